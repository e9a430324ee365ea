package io.netns.internal;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * Internal use only, a test hook: with the system property {@code io.netns.test.haltAfterStep=N}, the JVM
 * halts (exit status {@value #STATUS}, no shutdown hooks, like a crash) right after the N-th step of
 * sandbox setup or teardown that passes here. Tests use it to crash a child JVM between every two steps
 * and check that {@code Host.reclaim()} removes everything. Without the property it costs one read of a
 * final field.
 */
public final class CrashPoint {
    /** The exit status of a halt here. */
    public static final int STATUS = 86;

    private static final int HALT_AFTER = Integer.getInteger("io.netns.test.haltAfterStep", 0);
    private static final AtomicInteger STEPS = new AtomicInteger();

    private CrashPoint() {
    }

    /**
     * A step was done.
     *
     * @param what the step, printed before halting
     */
    public static void passed(String what) {
        if (HALT_AFTER > 0 && STEPS.incrementAndGet() == HALT_AFTER) {
            System.out.println("halt after step " + HALT_AFTER + ": " + what);
            System.out.flush();
            Runtime.getRuntime().halt(STATUS);
        }
    }
}
