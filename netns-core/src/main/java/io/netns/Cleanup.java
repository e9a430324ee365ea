package io.netns;

import io.netns.internal.CrashPoint;
import io.netns.internal.Failures;
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

    void push(String what, Step step) {
        synchronized (this) {
            names.push(what);
            steps.push(step);
        }
        CrashPoint.passed("made " + what);
    }

    /**
     * Runs every step, last made first, each even when an earlier one failed.
     *
     * @param failures where the failures go
     */
    void runAll(Failures failures) {
        while (true) {
            String what;
            Step step;
            synchronized (this) {
                if (steps.isEmpty()) {
                    return;
                }
                what = names.pop();
                step = steps.pop();
            }
            try {
                step.undo();
            } catch (NetnsException e) {
                failures.add(e);
            } catch (Exception e) {
                NetnsException n = NetnsException.failure("cleanup", "removing " + what + " failed: " + e);
                n.initCause(e);
                failures.add(n);
            }
            CrashPoint.passed("removed " + what);
        }
    }

    /** Runs every step after a failed setup, adding cleanup failures to the setup's. */
    void undoAfter(Throwable setupFailure) {
        Failures failures = new Failures();
        runAll(failures);
        if (failures.first() != null) {
            setupFailure.addSuppressed(failures.first());
        }
    }
}
