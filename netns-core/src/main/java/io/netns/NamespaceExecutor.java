package io.netns;

import io.netns.internal.posix.Native;
import java.util.concurrent.Callable;
import java.util.concurrent.FutureTask;
import java.util.concurrent.RunnableFuture;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The threads of {@link NetNamespace#executor()}: each switches in once when it starts and holds a
 * reference on the namespace until it ends. Every task still goes through {@link NetNamespace#call}, which
 * on such a thread is a field comparison; if a thread could not switch in, the task fails with the reason
 * (its future completes exceptionally) instead of running in the wrong namespace.
 */
final class NamespaceExecutor extends ThreadPoolExecutor {
    private final NetNamespace ns;

    NamespaceExecutor(NetNamespace ns) {
        super(0, Integer.MAX_VALUE, 30, TimeUnit.SECONDS, new SynchronousQueue<>(), new Factory(ns));
        this.ns = ns;
    }

    @Override
    protected <T> RunnableFuture<T> newTaskFor(Callable<T> task) {
        return new InsideTask<>(() -> ns.call(task::call));
    }

    @Override
    protected <T> RunnableFuture<T> newTaskFor(Runnable task, T value) {
        return new InsideTask<>(() -> {
            ns.run(task::run);
            return value;
        });
    }

    @Override
    public void execute(Runnable task) {
        if (task instanceof InsideTask) {
            super.execute(task);
        } else {
            super.execute(() -> {
                try {
                    ns.run(task::run);
                } catch (NetnsException e) {
                    throw new IllegalStateException(e.getMessage(), e);
                }
            });
        }
    }

    /** A task that already switches (or checks) by itself: a failure to be inside completes it exceptionally. */
    private static final class InsideTask<T> extends FutureTask<T> {
        InsideTask(Callable<T> inside) {
            super(inside);
        }
    }

    private static final class Factory implements java.util.concurrent.ThreadFactory {
        private final NetNamespace ns;
        private final AtomicInteger count = new AtomicInteger();

        Factory(NetNamespace ns) {
            this.ns = ns;
        }

        @Override
        public Thread newThread(Runnable worker) {
            String label = ns.name() != null ? ns.name() : Long.toString(ns.inode());
            Thread t = new Thread(() -> {
                boolean held = false;
                ThreadNs.markWorker();
                try {
                    ns.acquire();
                    held = true;
                    Native.setns(ns.fd());
                    ThreadNs.adoptHome(ns);
                } catch (NetnsException | RuntimeException e) {
                    // Not inside: tasks on this thread will try to switch themselves, and fail with the reason.
                }
                try {
                    worker.run();
                } finally {
                    if (held) {
                        ns.release();
                    }
                }
            }, "netns-" + label + "-" + count.incrementAndGet());
            t.setDaemon(true);
            return t;
        }
    }
}
