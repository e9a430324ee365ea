package io.netns;

/**
 * Work to run inside a namespace that may throw {@code X}; see {@link NetnsCallable}.
 *
 * @param <X> the checked exception the work may throw
 */
@FunctionalInterface
public interface NetnsRunnable<X extends Exception> {
    /**
     * Runs the work.
     *
     * @throws X what the work throws
     */
    void run() throws X;
}
