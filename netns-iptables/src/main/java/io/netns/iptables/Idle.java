package io.netns.iptables;

import io.netns.Netns;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Internal use only: the one daemon thread that ends what this module keeps open between changes
 * (an {@code iptables-restore} session, an nf_tables socket) once it has not been used for {@link #MILLIS},
 * and kills a session's tool that outlived its time limit.
 * Ending either may wait for the kernel (an RCU grace period); here that wait is off the callers' path.
 */
final class Idle {
    /** How long an unused session or socket stays open. */
    static final long MILLIS = 1000;
    /** Its thread is born in the JVM's initial namespace, whichever caller (maybe inside a sandbox) starts it. */
    private static final ScheduledExecutorService TIMER =
            Executors.newSingleThreadScheduledExecutor(Netns.homeThreads("netns-iptables-idle"));

    private Idle() {
    }

    /**
     * @param check run every {@code MILLIS / 2} from {@code MILLIS} on, until the future is cancelled
     * @return the schedule
     */
    static ScheduledFuture<?> every(Runnable check) {
        return TIMER.scheduleWithFixedDelay(check, MILLIS, MILLIS / 2, TimeUnit.MILLISECONDS);
    }

    /**
     * @param task run once after the delay, unless the future is cancelled first
     * @param delayNanos the delay
     * @return the schedule
     */
    static ScheduledFuture<?> after(Runnable task, long delayNanos) {
        return TIMER.schedule(task, delayNanos, TimeUnit.NANOSECONDS);
    }

    /**
     * @param lastUse {@link System#nanoTime()} of the last use
     * @param now {@link System#nanoTime()} now
     * @return whether that was {@link #MILLIS} or more ago
     */
    static boolean expired(long lastUse, long now) {
        return now - lastUse >= TimeUnit.MILLISECONDS.toNanos(MILLIS);
    }
}
