package io.netns;

import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;

/**
 * Rootless: {@link NetNamespace#call} from a thread of the JVM's own network stack, which could not switch
 * back once it left, runs the work on a thread living inside the target ({@link NetNamespace#executor()})
 * and waits for it. The caller sees what a switch would have given: the work's result, or the very
 * exception it threw; sockets it made and threads and processes it started are inside, as with a switch.
 * What differs: the work sees another {@link Thread} (its thread-locals, name and context class loader), and
 * an interrupt of the caller while it waits is passed on to the thread running the work.
 */
final class RunInside {
    private RunInside() {
    }

    static <T, X extends Exception> T call(NetNamespace target, NetnsCallable<T, X> work) throws X, NetnsException {
        Runner runner = new Runner();
        ClassLoader loader = Thread.currentThread().getContextClassLoader();
        Future<T> f;
        try {
            f = target.executor().submit(() -> {
                Thread self = Thread.currentThread();
                ClassLoader before = self.getContextClassLoader();
                runner.start(self);
                self.setContextClassLoader(loader);
                try {
                    return work.call();
                } finally {
                    self.setContextClassLoader(before);
                    runner.end();
                }
            });
        } catch (RejectedExecutionException e) {
            throw new IllegalStateException(target + " is closed", e);
        }
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    return f.get();
                } catch (InterruptedException e) {
                    interrupted = true;
                    runner.interrupt();
                } catch (ExecutionException e) {
                    throw RunInside.<RuntimeException>sneaky(e.getCause());
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @SuppressWarnings("unchecked")
    private static <E extends Throwable> E sneaky(Throwable t) throws E {
        throw (E) t;
    }

    /** The thread running the work while it runs, so that an interrupt reaches it and no later task. */
    private static final class Runner {
        private Thread thread;
        private boolean interrupt;

        synchronized void start(Thread t) {
            thread = t;
            if (interrupt) {
                t.interrupt();
            }
        }

        synchronized void end() {
            thread = null;
            Thread.interrupted(); // an interrupt meant for this work must not reach the pool's next task
        }

        synchronized void interrupt() {
            interrupt = true;
            if (thread != null) {
                thread.interrupt();
            }
        }
    }
}
