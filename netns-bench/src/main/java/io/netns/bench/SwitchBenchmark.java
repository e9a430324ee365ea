package io.netns.bench;

import io.netns.NetnsCallable;
import io.netns.NetnsException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * The namespace-switch hot path: {@code ns.call(work)} from a thread that is elsewhere (two {@code setns}),
 * from a thread that already is there (no system call), and handing the work to {@code ns.executor()}.
 *
 * <p>The floor to compare {@link #callOtherAndBack} with is {@code floor.c}'s {@code setns_roundtrip}: the
 * same two {@code setns(fd, CLONE_NEWNET)} between the same kind of namespaces from one thread, in C with no
 * bookkeeping; {@code run.sh} runs both in one invocation and reports the ratio (target ≤ 1.15×). The
 * process baseline, {@code ip netns exec}, is in {@link ProcessBenchmark}.
 */
public class SwitchBenchmark extends AbstractNetnsBenchmark {
    /** The work: as small as possible, so the switch is what is measured. Not a constant JIT can fold away. */
    private static final NetnsCallable<Integer, RuntimeException> WORK = () -> 1;

    /**
     * Switch into another namespace and back: ThreadNs lookup, refcount acquire/release, two setns
     * through jnr-ffi. Fair against the C floor, which makes the same two system calls per operation.
     */
    @Benchmark
    public Integer callOtherAndBack(BenchNamespaces ns) throws NetnsException {
        return ns.other.call(WORK);
    }

    /**
     * Re-entry: {@code call()} on the namespace the thread is already in (its home). The contract is that
     * this makes no system call; target ≤ 100 ns. The baseline is {@link #direct}, the work called bare.
     */
    @Benchmark
    public Integer reentryHome(BenchNamespaces ns) throws NetnsException {
        return ns.home.call(WORK);
    }

    /**
     * Nested re-entry: a switch in, then a {@code call()} on the same namespace from inside. Minus
     * {@link #callOtherAndBack} it is the cost of the inner, switch-free call through the "current" path
     * (as opposed to the "home" path of {@link #reentryHome}).
     */
    @Benchmark
    public Integer reentryNested(BenchNamespaces ns) throws NetnsException {
        return ns.other.call(ns.nestedWork);
    }

    /** The work with no netns at all: the zero of {@link #reentryHome}. */
    @Benchmark
    public Integer direct() {
        return WORK.call();
    }

    /**
     * Hands the work to a thread living inside the namespace and waits for the result: the executor's
     * hand-off plus its per-task inside check. Fair against {@link #plainExecutorSubmit}, a
     * {@link ThreadPoolExecutor} of the same shape (0..∞ threads, {@link SynchronousQueue}, 30 s keep-alive)
     * doing the same hand-off with no namespace.
     */
    @Benchmark
    public Integer executorSubmit(BenchNamespaces ns) throws InterruptedException, ExecutionException {
        return ns.other.executor().submit(WORK::call).get();
    }

    /** The same hand-off on a plain pool of the executor's shape; the zero of {@link #executorSubmit}. */
    @Benchmark
    public Integer plainExecutorSubmit(PlainPool pool) throws InterruptedException, ExecutionException {
        return pool.executor.submit(WORK::call).get();
    }

    /** A pool shaped like {@code NamespaceExecutor}, without the namespace. */
    @State(Scope.Benchmark)
    public static class PlainPool {
        ThreadPoolExecutor executor;

        @Setup
        public void start() {
            executor = new ThreadPoolExecutor(0, Integer.MAX_VALUE, 30, TimeUnit.SECONDS, new SynchronousQueue<>(),
                    r -> {
                        Thread t = new Thread(r, "plain-pool");
                        t.setDaemon(true);
                        return t;
                    });
        }

        @TearDown
        public void stop() {
            if (executor != null) {
                executor.shutdownNow();
            }
        }
    }
}
