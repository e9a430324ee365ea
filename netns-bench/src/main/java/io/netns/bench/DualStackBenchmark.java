package io.netns.bench;

import io.netns.BridgeMode;
import io.netns.NetnsException;
import io.netns.NetworkMode;
import io.netns.Sandbox;
import java.net.Inet6Address;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Bridge sandbox create+close on a dual-stack network ({@code NetworkMode.bridge().ipv6()}) against the same
 * on an IPv4-only network, side by side in one run, in microseconds. Issue #17's goal: dual-stack within
 * 1.25× of IPv4-only (no DAD wait: the IPv6 address is usable when {@code create} returns).
 *
 * <p>The dual-stack network has the default IPv6 subnet of {@code ipv6()} (a ULA /64 derived from its name).
 * Both networks live on one lab host, each with an anchor sandbox so that the network exists and the
 * benchmark measures the n-th sandbox, as {@link SetupBenchmark#bridge} does.
 */
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class DualStackBenchmark extends AbstractNetnsBenchmark {
    /** A lab host with an IPv4-only and a dual-stack bridge network. */
    @State(Scope.Benchmark)
    public static class Networks {
        Lab lab;
        BridgeMode ipv4;
        BridgeMode dual;
        private final Undo undo = new Undo();

        @Setup
        public void open() throws Exception {
            try {
                lab = undo.closing(Lab.open("d"));
                ipv4 = NetworkMode.bridge().name(Names.unique("b4").substring(6)).subnet("10.215.0.0/22");
                dual = NetworkMode.bridge().name(Names.unique("b6").substring(6)).subnet("10.215.4.0/22").ipv6();
                undo.closing(lab.host().create(Names.unique("a4"), ipv4));
                Sandbox anchor = undo.closing(lab.host().create(Names.unique("a6"), dual));
                if (anchor.addresses().stream().noneMatch(a -> a instanceof Inet6Address && !a.isLinkLocalAddress())) {
                    throw new IllegalStateException("a dual-stack sandbox without an IPv6 address: " + anchor.addresses());
                }
            } catch (Exception | Error e) {
                throw undo.abort(e);
            }
        }

        @TearDown
        public void close() throws Exception {
            undo.run();
        }
    }

    /**
     * An IPv4-only bridge sandbox, create+close.
     *
     * @param s the networks
     * @return the sandbox, closed
     * @throws NetnsException if setup fails
     */
    @Benchmark
    public Sandbox ipv4(Networks s) throws NetnsException {
        Sandbox b = s.lab.host().create(Names.unique("v4"), s.ipv4);
        b.close();
        return b;
    }

    /**
     * A dual-stack bridge sandbox, create+close.
     *
     * @param s the networks
     * @return the sandbox, closed
     * @throws NetnsException if setup fails
     */
    @Benchmark
    public Sandbox dualStack(Networks s) throws NetnsException {
        Sandbox b = s.lab.host().create(Names.unique("v6"), s.dual);
        b.close();
        return b;
    }
}
