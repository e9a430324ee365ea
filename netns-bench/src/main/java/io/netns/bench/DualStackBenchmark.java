package io.netns.bench;

import io.netns.BridgeMode;
import io.netns.NetnsException;
import io.netns.NetworkMode;
import io.netns.Sandbox;
import java.lang.reflect.InvocationTargetException;
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
 * <p>Both networks live on one lab host, each with an anchor sandbox so that the network exists and the
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
                dual = dualStack(NetworkMode.bridge().name(Names.unique("b6").substring(6)).subnet("10.215.4.0/22"));
                undo.closing(lab.host().create(Names.unique("a4"), ipv4));
                undo.closing(lab.host().create(Names.unique("a6"), dual));
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
     * @param mode a bridge mode
     * @return it with IPv6 too, its default subnet ({@code ipv6()}, called reflectively until it is on main)
     * @throws UnsupportedOperationException if this build has no {@code BridgeMode.ipv6()}
     */
    static BridgeMode dualStack(BridgeMode mode) {
        try {
            return (BridgeMode) BridgeMode.class.getMethod("ipv6").invoke(mode);
        } catch (NoSuchMethodException e) {
            throw new UnsupportedOperationException("dual-stack bridge networks: this build has no BridgeMode.ipv6() (#17)");
        } catch (IllegalAccessException e) {
            throw new IllegalStateException(e);
        } catch (InvocationTargetException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw new IllegalStateException(e.getCause());
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
