package io.netns.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netns.NetNamespace;
import io.netns.NetnsException;
import io.netns.testing.ChildJvm;
import io.netns.testing.Cmd;
import io.netns.testing.TestLab;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Thread safety of the switch: many threads, several namespaces, nesting and exceptions, each call checked
 * against the kernel's {@code /proc/thread-self/ns/net}; and where threads and pools started inside a call
 * live (as {@link NetNamespace}'s javadoc documents).
 */
@Timeout(180)
class ThreadsIT {
    private static final int THREADS = 32;
    private static final int CALLS = 2_000;

    @RegisterExtension
    final TestLab lab = new TestLab("relthr");

    private final String p = lab.prefix();
    private final List<NetNamespace> made = new ArrayList<>();

    @AfterEach
    void cleanup() throws Exception {
        for (NetNamespace ns : made) {
            ns.close();
            ns.delete();
        }
        String left = Cmd.run("ip", "netns", "list");
        assertFalse(left.contains(p), "namespaces left: " + left);
    }

    private NetNamespace create(String name) throws NetnsException {
        NetNamespace ns = NetNamespace.create(p + name);
        made.add(ns);
        return ns;
    }

    /** Thrown inside on purpose, to check the way back. */
    private static final class Boom extends Exception {
        Boom(String m) {
            super(m);
        }
    }

    @Test
    void thirtyTwoThreadsTimesTwoThousandCallsNeverRunInTheWrongNamespace() throws Exception {
        NetNamespace[] ns = new NetNamespace[4];
        for (int i = 0; i < ns.length; i++) {
            ns[i] = create("n" + i);
        }
        AtomicLong calls = new AtomicLong();
        AtomicLong nested = new AtomicLong();
        AtomicLong thrown = new AtomicLong();
        ConcurrentLinkedQueue<String> mismatches = new ConcurrentLinkedQueue<>();
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> threads = new ArrayList<>();
        List<Throwable> crashed = new ArrayList<>();
        for (int t = 0; t < THREADS; t++) {
            int id = t;
            Runnable body = () -> {
                long home = Proc.threadNetInode();
                try {
                    start.await();
                    for (int k = 0; k < CALLS; k++) {
                        int c = k;
                        NetNamespace outer = ns[(id + c) % 4];
                        NetNamespace inner = ns[(id + c + 1 + c % 3) % 4];
                        boolean nest = c % 4 == 0;
                        boolean fail = c % 7 == 0;
                        try {
                            outer.call(() -> {
                                long in = Proc.threadNetInode();
                                if (in != outer.inode()) {
                                    mismatches.add("thread " + id + " call " + c + ": inside " + in + ", want " + outer.inode());
                                }
                                if (nest) {
                                    nested.incrementAndGet();
                                    long deep = inner.call(Proc::threadNetInode);
                                    if (deep != inner.inode()) {
                                        mismatches.add("thread " + id + " call " + c + ": nested " + deep + ", want " + inner.inode());
                                    }
                                    long back = Proc.threadNetInode();
                                    if (back != outer.inode()) {
                                        mismatches.add("thread " + id + " call " + c + ": after nested " + back + ", want " + outer.inode());
                                    }
                                }
                                if (fail) {
                                    throw new Boom("on purpose " + c);
                                }
                                return in;
                            });
                        } catch (Boom expected) {
                            thrown.incrementAndGet();
                        }
                        calls.incrementAndGet();
                        long after = Proc.threadNetInode();
                        if (after != home) {
                            mismatches.add("thread " + id + " call " + c + ": after " + after + ", want home " + home);
                        }
                    }
                } catch (Throwable e) {
                    synchronized (crashed) {
                        crashed.add(e);
                    }
                }
            };
            // A quarter of the threads are born inside a namespace: their home is there, not the initial stack.
            Thread[] holder = new Thread[1];
            if (t % 4 == 3) {
                ns[t % 4].run(() -> {
                    holder[0] = new Thread(body, "reliability-" + id);
                    holder[0].start();
                });
            } else {
                holder[0] = new Thread(body, "reliability-" + id);
                holder[0].start();
            }
            threads.add(holder[0]);
        }
        long t0 = System.nanoTime();
        start.countDown();
        for (Thread t : threads) {
            t.join(TimeUnit.SECONDS.toMillis(150));
            assertFalse(t.isAlive(), t.getName() + " still runs");
        }
        double secs = (System.nanoTime() - t0) / 1e9;
        System.out.printf("threads: %d threads x %d calls = %d calls (%d nested, %d threw) in %.1f s, %d mismatches%n",
                THREADS, CALLS, calls.get(), nested.get(), thrown.get(), secs, mismatches.size());
        assertEquals(List.of(), crashed);
        assertEquals(List.of(), List.copyOf(mismatches).subList(0, Math.min(10, mismatches.size())));
        assertEquals((long) THREADS * CALLS, calls.get());
        assertTrue(thrown.get() > 0 && nested.get() > 0);
    }

    @Test
    void everyKindOfThrowableInsideStillReturnsTheThreadHome() throws Exception {
        NetNamespace ns = create("throw");
        long home = Proc.threadNetInode();
        RuntimeException unchecked = new IllegalStateException("unchecked");
        assertSame(unchecked, assertThrows(IllegalStateException.class, () -> ns.run(() -> {
            throw unchecked;
        })));
        assertEquals(home, Proc.threadNetInode());
        IOException checked = new IOException("checked");
        assertSame(checked, assertThrows(IOException.class, () -> ns.run(() -> {
            throw checked;
        })));
        assertEquals(home, Proc.threadNetInode());
        AssertionError error = new AssertionError("an Error");
        assertSame(error, assertThrows(AssertionError.class, () -> ns.run(() -> {
            throw error;
        })));
        assertEquals(home, Proc.threadNetInode());
        assertThrows(StackOverflowError.class, () -> ns.run(ThreadsIT::recurse));
        assertEquals(home, Proc.threadNetInode());
        // and the thread still works afterwards
        assertEquals(ns.inode(), (long) ns.call(Proc::threadNetInode));
        assertEquals(home, Proc.threadNetInode());
    }

    private static void recurse() {
        recurse();
    }

    @Test
    void threadsAndPoolWorkersLiveWhereTheThreadThatSpawnedThemWas() throws Exception {
        NetNamespace ns = create("pools");
        long home = Proc.threadNetInode();

        // A thread started inside a call is born inside and stays there after the call returns.
        long[] born = new long[2];
        CountDownLatch callReturned = new CountDownLatch(1);
        Thread[] t = new Thread[1];
        ns.run(() -> {
            t[0] = new Thread(() -> {
                born[0] = Proc.threadNetInode();
                try {
                    callReturned.await();
                } catch (InterruptedException e) {
                    return;
                }
                born[1] = Proc.threadNetInode();
            });
            t[0].start();
        });
        callReturned.countDown();
        t[0].join(10_000);
        assertEquals(ns.inode(), born[0], "born inside");
        assertEquals(ns.inode(), born[1], "stays inside after the call that started it returned");

        // A pool made outside whose first worker is spawned by a task submitted inside a call: that worker
        // lives inside, and later runs tasks submitted from outside there too.
        ExecutorService lazy = Executors.newFixedThreadPool(1);
        try {
            long first = ns.call(() -> lazy.submit(Proc::threadNetInode).get(10, TimeUnit.SECONDS));
            long later = lazy.submit(Proc::threadNetInode).get(10, TimeUnit.SECONDS);
            assertEquals(ns.inode(), first);
            assertEquals(ns.inode(), later, "the worker spawned inside runs an outside submission inside");
        } finally {
            lazy.shutdownNow();
        }

        // A pool made inside a call whose worker is spawned outside: the worker lives outside. What counts is
        // the thread that spawns the worker, not where the pool object was made.
        ExecutorService madeInside = ns.call(() -> Executors.newFixedThreadPool(1));
        try {
            assertEquals(home, madeInside.submit(Proc::threadNetInode).get(10, TimeUnit.SECONDS));
        } finally {
            madeInside.shutdownNow();
        }

        // A ForkJoinPool (the kind of commonPool()) spawns its worker on the submitting thread: inside.
        ForkJoinPool fj = new ForkJoinPool(1);
        try {
            long first = ns.call(() -> fj.submit(Proc::threadNetInode).get(10, TimeUnit.SECONDS));
            long later = fj.submit(Proc::threadNetInode).get(10, TimeUnit.SECONDS);
            assertEquals(ns.inode(), first);
            assertEquals(ns.inode(), later);
        } finally {
            fj.shutdownNow();
        }

        // ns.executor(): inside on purpose, however the task is submitted.
        assertEquals(ns.inode(), (long) ns.executor().submit(Proc::threadNetInode).get(10, TimeUnit.SECONDS));
        assertEquals(home, Proc.threadNetInode());
    }

    /**
     * {@link ForkJoinPool#commonPool()} itself, in a fresh JVM where it has no worker yet: the first task
     * submitted inside a call spawns its worker inside, and every later task of the whole JVM, submitted
     * from anywhere, then runs inside that namespace (until the worker retires after its idle timeout).
     */
    @Test
    void aCommonPoolWorkerSpawnedInsideACallServesTheWholeJvmFromInside() throws Exception {
        NetNamespace ns = create("common");
        ChildJvm.Result r = ChildJvm.run(ChildJvm.argv(List.of(), System.getProperty("java.class.path"),
                CommonPoolChild.class, ns.name()), 120);
        System.out.println("commonPool child: " + r.output().strip());
        assertEquals(0, r.exit(), r.output());
        assertTrue(r.output().contains("home=" + Proc.threadNetInode()), r.output());
        assertTrue(r.output().contains("ns=" + ns.inode()), r.output());
        assertTrue(r.output().contains("workersBefore=0"), r.output());
        assertTrue(r.output().contains("submittedInside=" + ns.inode()), r.output());
        assertTrue(r.output().contains("submittedOutsideLater=" + ns.inode()), r.output());
        assertTrue(r.output().contains("callerStillHome=" + Proc.threadNetInode()), r.output());
    }
}
