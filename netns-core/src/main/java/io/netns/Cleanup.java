package io.netns;

import java.util.ArrayDeque;
import java.util.Deque;

/**
 * What a sandbox made, as undo steps in the order made. Setup pushes one step per thing it makes; a
 * failure half-way and {@link Sandbox#close()} both run the steps in reverse, every one of them even when
 * some fail, so nothing is left half-made.
 */
final class Cleanup {
    /** One undo step. */
    @FunctionalInterface
    interface Step {
        void undo() throws Exception;
    }

    private final Deque<String> names = new ArrayDeque<>();
    private final Deque<Step> steps = new ArrayDeque<>();

    synchronized void push(String what, Step step) {
        names.push(what);
        steps.push(step);
    }

    /**
     * Runs every step, last made first.
     *
     * @return the first failure with the others suppressed, or null when all succeeded
     */
    NetnsException runAll() {
        NetnsException failure = null;
        while (true) {
            String what;
            Step step;
            synchronized (this) {
                if (steps.isEmpty()) {
                    return failure;
                }
                what = names.pop();
                step = steps.pop();
            }
            try {
                step.undo();
            } catch (Exception e) {
                NetnsException n = e instanceof NetnsException ? (NetnsException) e
                        : NetnsException.failure("cleanup", "removing " + what + " failed: " + e);
                if (n != e) {
                    n.initCause(e);
                }
                if (failure == null) {
                    failure = n;
                } else {
                    failure.addSuppressed(n);
                }
            }
        }
    }

    /** Runs every step after a failed setup, adding cleanup failures to the setup's. */
    void undoAfter(Throwable setupFailure) {
        NetnsException e = runAll();
        if (e != null) {
            setupFailure.addSuppressed(e);
        }
    }
}
