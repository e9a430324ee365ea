package io.netns.bench;

import io.netns.NetnsException;
import java.io.IOException;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.OutputTimeUnit;

/**
 * Running something in another namespace by forking, the way a JVM does it without netns: the baseline the
 * library exists to beat. All three start a child with {@link ProcessBuilder} and wait for it; output goes
 * to {@code /dev/null} ({@link ProcessBuilder.Redirect#DISCARD}) so pipes cost the same in each.
 */
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class ProcessBenchmark extends AbstractNetnsBenchmark {
    private static ProcessBuilder discard(String... command) {
        return new ProcessBuilder(command).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(ProcessBuilder.Redirect.DISCARD);
    }

    /**
     * {@code ip netns exec <ns> true}: fork+exec of ip, which setns's, remounts /sys and execs true. What
     * a program that shells out pays to run one thing in a namespace; compare with {@link SwitchBenchmark}.
     */
    @Benchmark
    public int ipNetnsExec(BenchNamespaces ns) throws IOException, InterruptedException {
        return discard("ip", "netns", "exec", ns.other.name(), "true").start().waitFor();
    }

    /** Fork+exec of {@code true} in the JVM's own namespace: the cost of any child process, the zero of the two others. */
    @Benchmark
    public int forkTrue() throws IOException, InterruptedException {
        return discard("true").start().waitFor();
    }

    /**
     * The library's way to start a child inside: switch in with {@code call()}, fork {@code true}, switch
     * back (what {@code Sandbox.start} does). Fair against {@link #ipNetnsExec}: same child, same namespace.
     */
    @Benchmark
    public int forkTrueInside(BenchNamespaces ns) throws IOException, InterruptedException, NetnsException {
        Process p = ns.other.call(() -> {
            try {
                return discard("true").start();
            } catch (IOException e) {
                throw NetnsException.wrap("start true", e);
            }
        });
        return p.waitFor();
    }
}
