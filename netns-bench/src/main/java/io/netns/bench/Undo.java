package io.netns.bench;

import io.netns.NetNamespace;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * What a benchmark's {@code @Setup} made, undone in reverse order by its {@code @TearDown} — or by the setup
 * itself when it fails half-way, since JMH does not call {@code @TearDown} on a state whose {@code @Setup}
 * threw. Every step runs even when an earlier one fails; the first failure is thrown at the end with the
 * others suppressed, so a benchmark never leaves a {@code bench-} namespace behind because of one bad close.
 *
 * <p>Not thread-safe: one state, one {@code Undo}.
 */
public final class Undo {
    /** One step of undoing. */
    @FunctionalInterface
    public interface Step {
        /**
         * Undoes one thing.
         *
         * @throws Exception on failure; the remaining steps still run
         */
        void run() throws Exception;
    }

    private final Deque<Step> steps = new ArrayDeque<>();

    /**
     * @param step what to run at {@link #run()}, before every step registered earlier
     * @return this
     */
    public Undo push(Step step) {
        steps.push(step);
        return this;
    }

    /**
     * Registers the close and delete of a namespace this state made.
     *
     * @param ns the namespace
     * @return {@code ns}
     */
    public NetNamespace namespace(NetNamespace ns) {
        push(() -> {
            try {
                ns.close();
            } finally {
                ns.delete();
            }
        });
        return ns;
    }

    /**
     * Registers the close of something this state opened.
     *
     * @param <T> its type
     * @param c the closeable
     * @return {@code c}
     */
    public <T extends AutoCloseable> T closing(T c) {
        push(c::close);
        return c;
    }

    /**
     * Runs every step, last registered first, and forgets them.
     *
     * @throws Exception the first failure, with any later ones suppressed
     */
    public void run() throws Exception {
        Exception first = null;
        while (!steps.isEmpty()) {
            try {
                steps.pop().run();
            } catch (Exception | Error e) {
                Exception ex = e instanceof Exception ? (Exception) e : new IllegalStateException(e);
                if (first == null) {
                    first = ex;
                } else {
                    first.addSuppressed(ex);
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }

    /**
     * For a {@code @Setup} that failed: undoes what it made so far and rethrows its failure, with any
     * failure of the undoing suppressed into it.
     *
     * @param failure what made the setup fail
     * @return never returns normally
     * @throws Exception {@code failure}
     */
    public Exception abort(Throwable failure) throws Exception {
        try {
            run();
        } catch (Exception e) {
            failure.addSuppressed(e);
        }
        if (failure instanceof Exception) {
            throw (Exception) failure;
        }
        throw (Error) failure;
    }
}
