package io.netns.internal;

import io.netns.NetnsException;

/**
 * Internal use only: runs every step of a teardown even when some fail, and keeps the first failure with
 * the others suppressed on it.
 *
 * <pre>{@code
 * Failures f = new Failures();
 * f.run(() -> a.close());
 * f.run(() -> b.delete());
 * f.throwIfAny();
 * }</pre>
 */
public final class Failures {
    /** One step that may fail. */
    @FunctionalInterface
    public interface Step {
        /**
         * Runs the step.
         *
         * @throws NetnsException if it fails
         */
        void run() throws NetnsException;
    }

    private NetnsException first;

    /**
     * Runs a step, keeping its failure.
     *
     * @param step the step
     */
    public void run(Step step) {
        try {
            step.run();
        } catch (NetnsException e) {
            add(e);
        }
    }

    /**
     * Keeps a failure: the first one, or suppressed on it.
     *
     * @param e the failure
     */
    public void add(NetnsException e) {
        if (first == null) {
            first = e;
        } else if (first != e) {
            first.addSuppressed(e);
        }
    }

    /** @return the first failure, with the others suppressed, or null when every step succeeded */
    public NetnsException first() {
        return first;
    }

    /**
     * @throws NetnsException the first failure, if any
     */
    public void throwIfAny() throws NetnsException {
        if (first != null) {
            throw first;
        }
    }
}
