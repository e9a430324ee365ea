package io.netns;

/**
 * Work to run inside a namespace that returns a value and may throw {@code X}. A lambda that throws no
 * checked exception makes {@code X} a {@link RuntimeException}, so callers catch only what their code
 * throws (and {@link NetnsException}); a {@link java.util.concurrent.Callable} fits as {@code c::call}.
 *
 * @param <T> the result type
 * @param <X> the checked exception the work may throw
 */
@FunctionalInterface
public interface NetnsCallable<T, X extends Exception> {
    /**
     * Runs the work.
     *
     * @return the result
     * @throws X what the work throws
     */
    T call() throws X;
}
