package io.netns.bench;

import io.netns.Firewall;
import io.netns.NetnsException;
import io.netns.Protocol;
import io.netns.PublishedPort;
import java.net.InetAddress;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Publishing and removing ports of one sandbox through the firewall module ({@link Firewall#publish} then
 * {@link Firewall#remove}, what a bridge sandbox with {@code -p} does at create and close) on a lab host that
 * already has many ports published, in microseconds. Issue #18's goal: the cost does not grow with the ports
 * already published — 10,000 within 1.2× of 10.
 *
 * <ul>
 *   <li>{@link #onePort}: one port, with {@code published} = 10, 1,000, 10,000 ports of one other owner
 *       already published;</li>
 *   <li>{@link #onePortAmongSandboxes}: the same, with {@code sandboxes} × {@code portsEach} (100 × 100) ports
 *       of that many owners already published;</li>
 *   <li>{@link #range}: a 1,000-port range {@code 20000-20999:20000-20999}, with 10 ports already published;
 *       compare with {@code onePort} at 10 (one map element after #18, so about the same). A firewall that
 *       refuses ranges makes its set-up fail with the firewall's reason; {@code run.sh} lists it as pending
 *       then (see {@link Capabilities}).</li>
 * </ul>
 *
 * The background is published once per trial ({@link PortLab}), in bulk; the measured owner's publication goes
 * again before the invocation returns, so every invocation starts from the same firewall.
 */
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class PublishBenchmark extends AbstractNetnsBenchmark {
    /** The measured single port's host port (the background's are {@value PortLab#BACKGROUND_BASE} and up). */
    static final int PORT = 29000;
    /** The 1,000-port range of {@link #range}. */
    static final PublishedPort RANGE = new PublishedPort(Protocol.TCP, null, 20000, 20999, 20000, 20999);

    /** What every state has: a lab, the measured owner (a sandbox name no sandbox has) and its address. */
    abstract static class Base {
        PortLab lab;
        Firewall.Owner owner;
        List<InetAddress> ips;

        void open(String tag, int owners, int portsEach) throws Exception {
            lab = PortLab.open(tag);
            try {
                lab.publishBackground(owners, portsEach);
                owner = Firewall.Owner.sandbox(lab.lab.host().id(), "measured");
                ips = List.of(InetAddress.getByName("10.214.2.1"));
            } catch (Exception | Error e) {
                try {
                    lab.close();
                } catch (Exception suppressed) {
                    e.addSuppressed(suppressed);
                }
                throw e;
            }
        }

        void publishRemove(List<PublishedPort> ports) throws NetnsException {
            lab.firewall.publish(lab.host, owner, lab.bridge, ips, ports);
            lab.firewall.remove(lab.host, owner);
        }

        @TearDown
        public void close() throws Exception {
            if (lab != null) {
                PortLab l = lab;
                lab = null;
                l.close();
            }
        }
    }

    /** {@code published} ports of one other owner. */
    @State(Scope.Benchmark)
    public static class Flat extends Base {
        /** Ports already published on the host. */
        @Param({"10", "1000", "10000"})
        public int published;

        @Setup
        public void open() throws Exception {
            open("pf", 1, published);
        }
    }

    /** {@code sandboxes} owners of {@code portsEach} ports each. */
    @State(Scope.Benchmark)
    public static class Sandboxes extends Base {
        /** Other owners (sandboxes) with published ports. */
        @Param({"100"})
        public int sandboxes;
        /** Ports each of them publishes. */
        @Param({"100"})
        public int portsEach;

        @Setup
        public void open() throws Exception {
            open("ps", sandboxes, portsEach);
        }
    }

    /**
     * 10 ports of one other owner, for the range. A firewall that refuses ranges fails the set-up with its
     * reason (JMH runs no tear-down after a failing benchmark method, but the set-up undoes what it made).
     */
    @State(Scope.Benchmark)
    public static class RangeState extends Base {
        @Setup
        public void open() throws Exception {
            open("pr", 1, 10);
            try {
                publishRemove(RANGE_LIST);
            } catch (Exception | Error e) {
                try {
                    close();
                } catch (Exception suppressed) {
                    e.addSuppressed(suppressed);
                }
                throw new IllegalStateException("this firewall cannot publish the range " + RANGE + ": " + e.getMessage(), e);
            }
        }
    }

    private static final List<PublishedPort> ONE = List.of(new PublishedPort(Protocol.TCP, null, PORT, 80));
    private static final List<PublishedPort> RANGE_LIST = List.of(RANGE);

    /**
     * Publish and remove one port ({@code -p 29000:80}) among {@code published} others.
     *
     * @param s the lab
     * @return the lab (against dead-code elimination)
     * @throws NetnsException if the firewall fails
     */
    @Benchmark
    public Object onePort(Flat s) throws NetnsException {
        s.publishRemove(ONE);
        return s;
    }

    /**
     * Publish and remove one port among {@code sandboxes} × {@code portsEach} others.
     *
     * @param s the lab
     * @return the lab
     * @throws NetnsException if the firewall fails
     */
    @Benchmark
    public Object onePortAmongSandboxes(Sandboxes s) throws NetnsException {
        s.publishRemove(ONE);
        return s;
    }

    /**
     * Publish and remove the range {@code 20000-20999:20000-20999}.
     *
     * @param s the lab
     * @return the lab
     * @throws NetnsException if the firewall fails
     * @throws IllegalArgumentException while the firewall refuses ranges (its reason)
     */
    @Benchmark
    public Object range(RangeState s) throws NetnsException {
        s.publishRemove(RANGE_LIST);
        return s;
    }
}
