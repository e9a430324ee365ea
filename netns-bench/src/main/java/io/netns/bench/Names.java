package io.netns.bench;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Names of what the benchmarks make: {@code bench-[<run>.]<what><pid>-<n>} (pid and n in base 36, so a name stays short
 * enough to double as an interface name where a mode derives one from it), unique per JVM and across concurrent
 * JVMs, always within the 64-character namespace-name rule, and recognisable by {@code run.sh}'s leak check.
 */
public final class Names {
    private static final long PID = ProcessHandle.current().pid();
    private static final AtomicLong COUNTER = new AtomicLong();
    /** run.sh's run id ({@code NETNS_BENCH_RUN}, inherited by JMH forks), so its leak check sees only its own. */
    private static final String RUN = System.getenv().getOrDefault("NETNS_BENCH_RUN", "");

    private Names() {
    }

    /**
     * @param what a short tag, e.g. {@code sw} or {@code none}
     * @return a fresh name, e.g. {@code bench-n3lb-c}
     */
    public static String unique(String what) {
        return "bench-" + (RUN.isEmpty() ? "" : RUN + ".") + what + Long.toString(PID, 36) + "-" + Long.toString(COUNTER.incrementAndGet(), 36);
    }

}
