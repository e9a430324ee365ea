package io.netns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netns.internal.posix.Native;
import io.netns.testing.Cmd;
import io.netns.testing.Ip;
import io.netns.testing.TestLab;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** NetNamespace against the kernel's own view: /proc/thread-self/ns/net, ip netns, real sockets. */
class NetNamespaceIT {
    @RegisterExtension
    final TestLab lab = new TestLab("nsit");

    private final List<String> made = new ArrayList<>();

    @AfterEach
    void cleanup() {
        for (String name : made) {
            Cmd.exec("ip", "netns", "delete", name);
        }
    }

    private NetNamespace create(String name) throws NetnsException {
        String full = lab.name(name);
        made.add(full);
        return NetNamespace.create(full);
    }

    /** The inode the kernel says the calling thread is in. */
    static long threadInode() throws IOException {
        String link = Files.readSymbolicLink(Path.of("/proc/thread-self/ns/net")).toString();
        return Long.parseLong(link.substring(5, link.length() - 1));
    }

    @Test
    void createIsVisibleToIproute2AndCallRunsInsideAndComesBack() throws Exception {
        long home = threadInode();
        try (NetNamespace ns = create("a")) {
            assertTrue(Cmd.run("ip", "netns", "list").contains(ns.name()), "ip netns list shows " + ns.name());
            assertNotEquals(home, ns.inode());
            long inside = ns.call(NetNamespaceIT::threadInode);
            assertEquals(ns.inode(), inside);
            assertEquals(home, threadInode());
            String ipView = Cmd.run("ip", "netns", "exec", ns.name(), "readlink", "/proc/self/ns/net").trim();
            assertEquals("net:[" + ns.inode() + "]", ipView);
            ns.delete();
            assertFalse(Cmd.run("ip", "netns", "list").contains(ns.name()));
        }
    }

    @Test
    void anExceptionInsideStillReturnsTheThreadHome() throws Exception {
        long home = threadInode();
        try (NetNamespace ns = create("ex")) {
            IOException thrown = assertThrows(IOException.class, () -> ns.run(() -> {
                throw new IOException("boom " + threadInode());
            }));
            assertEquals("boom " + ns.inode(), thrown.getMessage());
            assertEquals(home, threadInode());
            ns.delete();
        }
    }

    @Test
    void nestedCallsSwitchToTheInnerAndBackToTheOuter() throws Exception {
        long home = threadInode();
        try (NetNamespace a = create("n1"); NetNamespace b = create("n2")) {
            long[] seen = a.call(() -> {
                long inA = threadInode();
                long inB = b.call(NetNamespaceIT::threadInode);
                long sameA = a.call(NetNamespaceIT::threadInode); // re-entry: no switch
                return new long[] {inA, inB, sameA, threadInode()};
            });
            assertEquals(a.inode(), seen[0]);
            assertEquals(b.inode(), seen[1]);
            assertEquals(a.inode(), seen[2]);
            assertEquals(a.inode(), seen[3]);
            assertEquals(home, threadInode());
            a.delete();
            b.delete();
        }
    }

    @Test
    void sixteenThreadsSwitchingConcurrentlyNeverSeeAWrongNamespace() throws Exception {
        NetNamespace[] ns = {create("t1"), create("t2"), create("t3")};
        long home = threadInode();
        ExecutorService pool = Executors.newFixedThreadPool(16);
        AtomicInteger mismatches = new AtomicInteger();
        try {
            List<Future<?>> fs = new ArrayList<>();
            for (int t = 0; t < 16; t++) {
                int seed = t;
                fs.add(pool.submit(() -> {
                    for (int i = 0; i < 300; i++) {
                        NetNamespace target = ns[(seed + i) % ns.length];
                        long in = target.call(NetNamespaceIT::threadInode);
                        if (in != target.inode() || threadInode() != home) {
                            mismatches.incrementAndGet();
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : fs) {
                f.get(120, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
            for (NetNamespace n : ns) {
                n.close();
                n.delete();
            }
        }
        assertEquals(0, mismatches.get());
    }

    @Test
    void aSocketBoundInsideStaysInside() throws Exception {
        // Two lab namespaces, never the machine's own loopback (other programs use its ports): what binds in
        // one is invisible in the other.
        try (NetNamespace ns = create("sock"); NetNamespace other = create("other")) {
            Cmd.run("ip", "-n", ns.name(), "link", "set", "lo", "up");
            Cmd.run("ip", "-n", other.name(), "link", "set", "lo", "up");
            try (ServerSocket inside = ns.call(() -> new ServerSocket(0, 50, InetAddress.getLoopbackAddress()))) {
                int port = inside.getLocalPort();
                // The other stack has nothing on that port: a connection is refused ...
                other.run(() -> assertThrows(ConnectException.class, () -> {
                    try (Socket s = new Socket()) {
                        s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 2000);
                    }
                }));
                // ... and the same port binds there, while inside a connection is accepted from the client
                try (ServerSocket outside = other.call(() -> new ServerSocket(port, 50, InetAddress.getLoopbackAddress()))) {
                    assertEquals(port, outside.getLocalPort());
                    ns.run(() -> {
                        try (Socket s = new Socket()) {
                            s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 2000);
                            try (Socket accepted = inside.accept()) {
                                assertEquals(s.getLocalPort(), accepted.getPort(), "the accepted peer is this client");
                            }
                        }
                    });
                }
                // the kernel's view: ss inside lists the listener
                String ss = Cmd.in(ns.name(), "ss", "-Hltn");
                assertTrue(ss.contains(":" + port + " "), ss);
            }
            ns.delete();
            other.delete();
        }
    }

    @Test
    void pathDeviceAndInodeAreWhatStatSaysAndInitialIsTheJvmsOwnStackFromAnyThread() throws Exception {
        String own = Files.readSymbolicLink(Path.of("/proc/self/ns/net")).toString(); // the JVM's main thread
        try (NetNamespace ns = create("ident")) {
            assertEquals(NetNamespace.NETNS_DIR.resolve(ns.name()), ns.path());
            String[] st = Cmd.run("stat", "-L", "-c", "%d %i", ns.path().toString()).trim().split(" ");
            assertEquals(Long.parseLong(st[0]), ns.device(), "st_dev of the nsfs file");
            assertEquals(Long.parseLong(st[1]), ns.inode(), "st_ino of the nsfs file");
            ns.run(() -> {
                try (NetNamespace initial = NetNamespace.initial(); NetNamespace here = NetNamespace.current()) {
                    assertEquals(own, "net:[" + initial.inode() + "]", "initial() from a thread inside a lab");
                    assertEquals(ns, here);
                    assertNotEquals(initial, here);
                    assertEquals(ns.device(), initial.device(), "one nsfs for both");
                }
            });
            ns.delete();
        }
    }

    /** Read-only: the real host is never changed by a test. */
    @Test
    void hostCurrentIsTheJvmsOwnStackFromAnyThread() throws Exception {
        String own = Files.readSymbolicLink(Path.of("/proc/self/ns/net")).toString();
        if (Netns.mode() == Netns.Mode.ROOTLESS) {
            // the machine's stack is not this user namespace's: refused, with the reason
            NetnsException e = assertThrows(NetnsException.class, Host::current);
            assertTrue(e.getMessage().contains("rootless") && e.getMessage().contains("Host.createLab"), e.getMessage());
            return;
        }
        Host h = Host.current();
        assertSame(h, Host.current());
        assertEquals("host", h.id());
        assertEquals(own, "net:[" + h.namespace().inode() + "]");
        assertFalse(h.isClosed());
        try (NetNamespace ns = create("cur")) {
            ns.run(() -> {
                assertSame(h, Host.current());
                assertEquals(own, "net:[" + Host.current().namespace().inode() + "]");
            });
            ns.delete();
        }
    }

    @Test
    void openFindsANamespaceMadeByIpNetnsAdd() throws Exception {
        String name = lab.name("ipadd");
        made.add(name);
        Ip.netnsAdd(name);
        try (NetNamespace ns = NetNamespace.open(name); NetNamespace byPath = NetNamespace.open(Path.of("/run/netns", name))) {
            assertEquals(name, ns.name());
            assertEquals(ns, byPath);
            String ipView = Cmd.run("ip", "netns", "exec", name, "readlink", "/proc/self/ns/net").trim();
            assertEquals("net:[" + ns.inode() + "]", ipView);
        }
    }

    @Test
    void ofPidAndCurrentSeeTheProcessAndTheThread() throws Exception {
        try (NetNamespace self = NetNamespace.ofPid(ProcessHandle.current().pid());
                NetNamespace cur = NetNamespace.current()) {
            assertEquals(self, cur);
            assertEquals(threadInode(), cur.inode());
            assertNull(cur.name());
        }
        try (NetNamespace ns = create("cur")) {
            long inode = ns.call(() -> {
                try (NetNamespace inside = NetNamespace.current()) {
                    return inside.inode();
                }
            });
            assertEquals(ns.inode(), inode);
            ns.delete();
        }
    }

    @Test
    void theThreadThatMakesANamespaceGoesBackHomeAndHoldsNothing() throws Exception {
        // Rootless, the makers are helper threads whose home is a namespace of the JVM's own user namespace: the
        // initial one is not theirs to return to. Otherwise the calling thread makes it, and comes back itself.
        boolean rootless = Netns.mode() == Netns.Mode.ROOTLESS;
        String home = rootless ? "net:[" + Netns.rootlessHome().inode() + "]"
                : Files.readSymbolicLink(Path.of("/proc/self/ns/net")).toString();
        String callerBefore = Files.readSymbolicLink(Path.of("/proc/thread-self/ns/net")).toString();
        long inode;
        Thread[] maker = new Thread[1];
        long[] makerInode = new long[1];
        String full = lab.name("maker");
        made.add(full);
        try (NetNamespace ns = NetNamespace.create(full, false, id -> {
            maker[0] = Thread.currentThread();
            try {
                makerInode[0] = threadInode();
            } catch (IOException e) {
                throw NetnsException.wrap("readlink", e);
            }
        }).namespace()) {
            inode = ns.inode();
            assertEquals(inode, makerInode[0], "the maker was inside the new namespace when it was told its identity");
            assertEquals(callerBefore, Files.readSymbolicLink(Path.of("/proc/thread-self/ns/net")).toString(),
                    "the calling thread is where it was");
            ns.delete();
        }
        List<String> makers = new ArrayList<>();
        String gone = "net:[" + inode + "]";
        try (var tasks = Files.list(Path.of("/proc/self/task"))) {
            for (Path task : (Iterable<Path>) tasks::iterator) {
                String comm;
                String net;
                try {
                    comm = Files.readString(task.resolve("comm")).trim();
                    net = Files.readSymbolicLink(task.resolve("ns/net")).toString();
                } catch (IOException gone2) {
                    continue;
                }
                assertNotEquals(gone, net, "task " + task + " (" + comm + ") is still in the namespace it made");
                if (comm.startsWith("netns-create")) {
                    makers.add(comm);
                    assertEquals(home, net, comm + " went back home");
                }
            }
        }
        if (rootless) {
            assertNotSame(Thread.currentThread(), maker[0], "rootless, a helper thread makes it");
            assertFalse(makers.isEmpty(), "rootless, the helper thread is kept for the next create");
        } else {
            assertSame(Thread.currentThread(), maker[0], "a platform thread makes the namespace itself: no hand-off");
        }
        // Nothing of the process holds the deleted namespace: no task is in it, no descriptor on it.
        try (var fds = Files.list(Path.of("/proc/self/fd"))) {
            for (Path fd : (Iterable<Path>) fds::iterator) {
                try {
                    assertNotEquals(gone, Files.readSymbolicLink(fd).toString(), "fd " + fd + " holds it");
                } catch (IOException closedMeanwhile) {
                    // the listing's own descriptor
                }
            }
        }
    }

    @Test
    void aNamespaceMadeInsideACallLeavesTheThreadInsideThatCall() throws Exception {
        long home = threadInode();
        try (NetNamespace outer = create("outer")) {
            long[] seen = outer.call(() -> {
                try (NetNamespace made = create("inner")) {
                    long after = threadInode();
                    long insideMade = made.call(NetNamespaceIT::threadInode);
                    made.delete();
                    return new long[] {after, insideMade, made.inode(), threadInode()};
                }
            });
            assertEquals(outer.inode(), seen[0], "back in the namespace the call switched it into, not home");
            assertEquals(seen[2], seen[1], "the new namespace is the one the handle names");
            assertNotEquals(outer.inode(), seen[2]);
            assertEquals(outer.inode(), seen[3]);
            assertEquals(home, threadInode());
            outer.delete();
        }
    }

    @Test
    void aThreadBornInsideMakesANamespaceAndComesBackToItsBirthNamespace() throws Exception {
        try (NetNamespace birth = create("birth")) {
            long[] seen = new long[3];
            Throwable[] failed = new Throwable[1];
            birth.run(() -> {
                Thread t = new Thread(() -> {
                    try (NetNamespace made = create("bornmade")) {
                        seen[0] = threadInode();
                        seen[1] = made.inode();
                        made.delete();
                    } catch (Throwable e) {
                        failed[0] = e;
                    }
                });
                t.start();
                try {
                    t.join();
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            });
            if (failed[0] != null) {
                throw new AssertionError(failed[0]);
            }
            assertEquals(birth.inode(), seen[0], "the thread is back in the namespace it was born in");
            assertNotEquals(birth.inode(), seen[1]);
            birth.delete();
        }
    }

    @Test
    void aBindMountOfAnotherKindOfNamespaceIsRefused() throws Exception {
        Path file = Files.createTempFile("nsit-uts", "");
        try {
            Cmd.run("mount", "--bind", "/proc/self/ns/uts", file.toString());
            try {
                NetnsException e = assertThrows(NetnsException.class, () -> NetNamespace.open(file));
                assertTrue(e.getMessage().contains("not a network namespace"), e.getMessage());
            } finally {
                Cmd.exec("umount", file.toString());
            }
        } finally {
            Files.deleteIfExists(file);
        }
    }

    @Test
    void missingAndInvalidNamesFailFastNamingTheValue() {
        NamespaceNotFoundException e = assertThrows(NamespaceNotFoundException.class,
                () -> NetNamespace.open(lab.name("no-such")));
        assertTrue(e.getMessage().contains("ENOENT"), e.getMessage());
        assertEquals("ENOENT", e.errnoName());
        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class, () -> NetNamespace.open("../etc"));
        assertTrue(bad.getMessage().contains("../etc"), bad.getMessage());
        assertThrows(IllegalArgumentException.class, () -> NetNamespace.create("a/b"));
        NetnsException notNet = assertThrows(NetnsException.class, () -> NetNamespace.open(Path.of("/proc/self/ns/uts")));
        assertTrue(notNet.getMessage().contains("not a network namespace"), notNet.getMessage());
    }

    @Test
    void aDuplicateNameFailsAndLeavesTheExistingNamespaceUnharmed() throws Exception {
        try (NetNamespace ns = create("dup")) {
            NetnsException e = assertThrows(NetnsException.class, () -> NetNamespace.create(ns.name()));
            assertTrue(e.getMessage().contains("already exists"), e.getMessage());
            try (NetNamespace again = NetNamespace.open(ns.name())) {
                assertEquals(ns, again);
            }
            ns.delete();
        }
    }

    @Test
    void executorThreadsLiveInsideWithoutSwitchingPerTask() throws Exception {
        long home = threadInode();
        try (NetNamespace ns = create("exec")) {
            ExecutorService ex = ns.executor();
            assertEquals(ns.inode(), ex.submit(NetNamespaceIT::threadInode).get(10, TimeUnit.SECONDS));
            CountDownLatch ran = new CountDownLatch(1);
            long[] seen = new long[1];
            ex.execute(() -> {
                try {
                    seen[0] = threadInode();
                } catch (IOException e) {
                    throw new RuntimeException(e);
                }
                ran.countDown();
            });
            assertTrue(ran.await(10, TimeUnit.SECONDS));
            assertEquals(ns.inode(), seen[0]);
            assertEquals(home, threadInode());
            ns.close();
            assertTrue(ex.isShutdown());
            ns.delete();
        }
    }

    @Test
    void threadsStartedInsideACallAreBornInside() throws Exception {
        try (NetNamespace ns = create("born")) {
            long[] child = new long[1];
            ns.run(() -> {
                Thread t = new Thread(() -> {
                    try {
                        child[0] = threadInode();
                    } catch (IOException e) {
                        throw new RuntimeException(e);
                    }
                });
                t.start();
                t.join();
            });
            assertEquals(ns.inode(), child[0], "a thread inherits the namespace of the thread that started it");
            ns.delete();
        }
    }

    @Test
    void aThreadBornInsideSwitchesElsewhereAndComesBackToItsBirthNamespace() throws Exception {
        try (NetNamespace a = create("home"); NetNamespace b = create("away")) {
            long[] seen = new long[3];
            a.run(() -> {
                Thread t = new Thread(() -> {
                    try {
                        for (int i = 0; i < 100; i++) {
                            seen[0] = b.call(NetNamespaceIT::threadInode);
                            seen[1] = threadInode();
                        }
                        seen[2] = a.call(NetNamespaceIT::threadInode); // home already: no switch
                    } catch (Exception e) {
                        throw new RuntimeException(e);
                    }
                });
                t.start();
                t.join();
            });
            assertEquals(b.inode(), seen[0]);
            assertEquals(a.inode(), seen[1], "back in the namespace it was born in");
            assertEquals(a.inode(), seen[2]);
            a.delete();
            b.delete();
        }
    }

    @Test
    void aFailedWayBackPoisonsTheThreadForEveryLaterCall() throws Exception {
        NetNamespace a = create("p1");
        NetNamespace b = create("p2");
        Throwable[] outcome = new Throwable[3];
        Thread[] threads = new Thread[2]; // the poisoned thread, the thread that made a namespace for it
        String madeName = lab.name("p3");
        made.add(madeName);
        Runnable body = () -> {
            try {
                a.run(() -> b.run(() -> {
                    // Pull the way back away: a's descriptor now names /dev/null, which setns refuses.
                    Native.close(a.fd());
                    Native.open("/dev/null", Native.O_RDONLY, 0);
                }));
            } catch (Throwable t) {
                outcome[0] = t;
            }
            try {
                b.run(() -> { });
            } catch (Throwable t) {
                outcome[1] = t;
            }
            // A poisoned thread may be anywhere: it does not make a namespace itself, a helper thread does.
            threads[0] = Thread.currentThread();
            try (NetNamespace p3 = NetNamespace.create(madeName, false, id -> threads[1] = Thread.currentThread())
                    .namespace()) {
                p3.delete();
            } catch (Throwable t) {
                outcome[2] = t;
            }
        };
        if (Netns.mode() == Netns.Mode.ROOTLESS) {
            // A thread of the JVM's own stack hands its calls to threads inside; one living in a namespace of
            // this user namespace switches itself, and that is the thread this is about.
            try (NetNamespace base = create("p0")) {
                base.executor().submit(body).get();
                base.delete();
            }
        } else {
            Thread worker = new Thread(body);
            worker.start();
            worker.join();
        }
        b.close();
        b.delete();
        Cmd.exec("ip", "netns", "delete", a.name());
        assertTrue(outcome[0] instanceof NetnsException, String.valueOf(outcome[0]));
        assertTrue(outcome[0].getMessage().contains("poisoned"), outcome[0].getMessage());
        assertTrue(outcome[1] instanceof IllegalStateException, String.valueOf(outcome[1]));
        assertTrue(outcome[1].getMessage().contains("poisoned"), outcome[1].getMessage());
        assertNull(outcome[2], "create on a poisoned thread: " + outcome[2]);
        assertNotSame(threads[0], threads[1], "a helper thread made it");
        assertTrue(threads[1].getName().startsWith("netns-create"), threads[1].getName());
    }

    @Test
    void aThousandCreateDeleteCyclesLeakNoDescriptorAndNoMount() throws Exception {
        // Warm up the classes and lazily opened descriptors first.
        try (NetNamespace ns = create("cyc")) {
            ns.run(() -> { });
            ns.delete();
        }
        if (Netns.mode() == Netns.Mode.ROOTLESS) {
            Thread.sleep(200); // the warm-up's executor thread lets the descriptor go as it ends, after close()
        }
        long fds = countFds();
        String name = "nsit-cycle-" + ProcessHandle.current().pid();
        long mounts = countNetnsMounts(name);
        made.add(name);
        for (int i = 0; i < 1000; i++) {
            try (NetNamespace ns = NetNamespace.create(name)) {
                ns.run(() -> { });
                if (i == 0) {
                    assertEquals(1, countNetnsMounts(name), "the count sees the namespace's own mount");
                }
                ns.delete();
            }
        }
        // Rootless, run() went through each handle's executor, whose thread lets the descriptor go as it ends,
        // just after close(): give the last one a moment.
        for (int i = 0; i < 100 && countFds() != fds && Netns.mode() == Netns.Mode.ROOTLESS; i++) {
            Thread.sleep(10);
        }
        assertEquals(fds, countFds(), "open descriptors of the JVM");
        assertEquals(0, mounts);
        assertEquals(0, countNetnsMounts(name), "mounts of " + name + " left under /run/netns");
    }

    static long countFds() throws IOException {
        try (var s = Files.list(Path.of("/proc/self/fd"))) {
            return s.count();
        }
    }

    /** Counts this test's own mounts only: other tests on the machine make and remove theirs meanwhile. */
    static long countNetnsMounts(String name) throws IOException {
        return Files.readAllLines(Path.of("/proc/self/mountinfo")).stream()
                .filter(l -> l.contains(" /run/netns/" + name + " ")).count();
    }
}
