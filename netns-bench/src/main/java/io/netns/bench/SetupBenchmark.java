package io.netns.bench;

import io.netns.BridgeMode;
import io.netns.NetNamespace;
import io.netns.NetnsException;
import io.netns.NetworkMode;
import io.netns.Sandbox;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Making and removing one sandbox per mode, on a lab host, in microseconds. Each invocation makes a fresh
 * name from a counter ({@link Names#unique}) and closes what it made before returning, so invocations are
 * independent and AverageTime is the create+close cost; nothing uses {@code Level.Invocation}.
 *
 * <p>What is per-host (the lab namespace, the bridge network, the joined stack for container mode) is made
 * once per trial in {@link LabState}: a bridge network is made by the first sandbox that uses it and lives
 * as long as the host, so {@link LabState} keeps one anchor sandbox on it and the benchmark measures the
 * n-th sandbox, not the first.
 *
 * <p>Floors in {@code floor.c}: {@code ns_create_delete} (unshare on the calling thread, bind mount, setns
 * back, umount, unlink)
 * for {@link #namespaceCreateDelete}, and {@code none_create_delete} (the same plus {@code lo} up over a raw
 * rtnetlink socket) for {@link #none} (target ≤ 1.5×), {@code bridge_create_delete} (the same namespace, a veth
 * made with its peer inside, attached and up, lo and eth0 up, address, default route, over raw rtnetlink) for
 * {@link #bridge} (target ≤ 2×). Bridge mode's peers are the CNI {@code bridge} plugin and bridge + {@code portmap}
 * for {@link #bridgePublished} (target: ≥ 15× faster), when installed ({@code run.sh --cni}).
 *
 * <p>{@link #none}, {@link #bridge} and {@link #bridgePublished} need rtnetlink, bridge mode and the
 * iptables firewall; until they are merged they throw, and {@code run.sh} leaves them out (see
 * {@link Capabilities}).
 */
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class SetupBenchmark extends AbstractNetnsBenchmark {
    /** The subnet of the bench bridge network: room for the anchor, the measured sandbox and ScaleCheck's. */
    static final String SUBNET = "10.213.0.0/22";

    /** A lab host, a stack for container mode to join, and the bridge anchors. */
    @State(Scope.Benchmark)
    public static class LabState {
        Lab lab;
        NetNamespace joinable;
        BridgeMode bridge;
        BridgeMode bridgePublished;
        Sandbox anchor;

        private final Undo undo = new Undo();

        @Setup
        public void open() throws Exception {
            try {
                joinable = undo.namespace(NetNamespace.create(Names.unique("join")));
                lab = undo.closing(Lab.open("s"));
                bridge = NetworkMode.bridge().name(Names.unique("br").substring(6)).subnet(SUBNET);
                bridgePublished = bridge.publish(18080, 80);
                try {
                    anchor = undo.closing(lab.host().create(Names.unique("anc"), bridge));
                } catch (UnsupportedOperationException notYet) {
                    anchor = null; // bridge mode not built: bridge() and bridgePublished() fail, run.sh skips them
                }
            } catch (Exception | Error e) {
                throw undo.abort(e);
            }
        }

        @TearDown
        public void close() throws Exception {
            undo.run(); // anchor, then the lab host (its bridge network goes with it), then the joined stack
        }
    }

    /**
     * {@code NetNamespace.create} + {@code close} + {@code delete}: the part of none and bridge that is the
     * namespace itself. Fair against {@code floor.c ns_create_delete}, which makes the same system calls
     * (open O_EXCL of the mount point, unshare and bind mount, open of the result, setns back,
     * umount2 MNT_DETACH, unlink) without the checks.
     */
    @Benchmark
    public NetNamespace namespaceCreateDelete() throws NetnsException {
        NetNamespace ns = NetNamespace.create(Names.unique("ns"));
        ns.close();
        ns.delete();
        return ns;
    }

    /** {@code none}: a namespace with {@code lo} up, plus the owner record; floor {@code none_create_delete}. */
    @Benchmark
    public Sandbox none(LabState s) throws NetnsException {
        return closed(s.lab.host().create(Names.unique("n"), NetworkMode.none()));
    }

    /** {@code container:<path>}: open the joined stack's file and write the owner record; no namespace made. */
    @Benchmark
    public Sandbox container(LabState s) throws NetnsException {
        return closed(s.lab.host().create(Names.unique("c"), NetworkMode.container(s.joinable.path())));
    }

    /** {@code host}: a second handle on the host's stack and the owner record (no openings asked). */
    @Benchmark
    public Sandbox host(LabState s) throws NetnsException {
        return closed(s.lab.host().create(Names.unique("h"), NetworkMode.host()));
    }

    /**
     * {@code bridge}: namespace, veth pair with its peer made inside, IPAM lease, addresses, routes, {@code lo}
     * up; the bridge network exists already (the anchor). Peer: CNI {@code bridge} + {@code host-local} ADD+DEL.
     */
    @Benchmark
    public Sandbox bridge(LabState s) throws NetnsException {
        return closed(s.lab.host().create(Names.unique("b"), s.bridge));
    }

    /** {@code bridge} with one published port: the above plus one DNAT opening through the firewall module. */
    @Benchmark
    public Sandbox bridgePublished(LabState s) throws NetnsException {
        return closed(s.lab.host().create(Names.unique("p"), s.bridgePublished));
    }

    private static Sandbox closed(Sandbox s) throws NetnsException {
        s.close();
        return s;
    }
}
