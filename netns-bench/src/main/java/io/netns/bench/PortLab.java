package io.netns.bench;

import io.netns.BridgeMode;
import io.netns.Firewall;
import io.netns.NetNamespace;
import io.netns.NetnsException;
import io.netns.NetworkMode;
import io.netns.Protocol;
import io.netns.PublishedPort;
import io.netns.Sandbox;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;

/**
 * A lab host for the published-port benchmarks: a {@link Lab} with a bridge network (made by an anchor
 * sandbox, so the network's own rules exist as on a real host), the {@link Firewall} of the class path, and
 * background ports published through {@link Firewall#publish} by owners that stand for other sandboxes.
 * Background owners publish in bulk (one call each) and are removed, one {@link Firewall#remove} each, by
 * {@link #close()}, before the lab host goes; so nothing is left under {@code /run/netns.d/ports} either.
 *
 * <p>Background host ports are {@value #BACKGROUND_BASE} and up (owner {@code i} of {@code n} ports each:
 * {@code BACKGROUND_BASE + i * n + j}), up to 10,000 × 3 of them below 65,536; the measured ports are below
 * {@value #BACKGROUND_BASE}. Background owners' sandbox addresses are addresses of the network's subnet that no
 * sandbox has: their rules are never hit by traffic, they are only there.
 */
final class PortLab implements AutoCloseable {
    /** The first background host port. */
    static final int BACKGROUND_BASE = 30000;
    /** The subnet of the benchmarks' bridge network: the anchor and the measured sandboxes lease from it. */
    static final String SUBNET = "10.214.0.0/22";

    final Lab lab;
    final Firewall firewall;
    final NetNamespace host;
    final BridgeMode network;
    /** The bridge interface, which is the network's name. */
    final String bridge;
    private final List<Firewall.Owner> background = new ArrayList<>();
    private final Undo undo = new Undo();

    private PortLab(Lab lab, Firewall firewall, BridgeMode network) {
        this.lab = lab;
        this.firewall = firewall;
        this.host = lab.host().namespace();
        this.network = network;
        this.bridge = network.name();
    }

    /**
     * Opens a lab host with a bridge network on it (one anchor sandbox, which stays until {@link #close()}).
     *
     * @param tag a short tag for the names
     * @return the lab
     * @throws Exception if any of it fails; nothing is left then
     */
    static PortLab open(String tag) throws Exception {
        Undo undo = new Undo();
        try {
            Lab lab = undo.closing(Lab.open(tag));
            BridgeMode network = NetworkMode.bridge().name(Names.unique("pb").substring(6)).subnet(SUBNET);
            PortLab p = new PortLab(lab, Firewall.load(), network);
            p.undo.push(undo::run);
            p.undo.closing(lab.host().create(Names.unique("anc"), network));
            return p;
        } catch (Exception | Error e) {
            throw undo.abort(e);
        }
    }

    /**
     * Publishes {@code owners × portsEach} background ports, one {@link Firewall#publish} call per owner, owner
     * {@code i} standing for a sandbox with its own address of the subnet.
     *
     * @param owners how many owners, 1..250
     * @param portsEach ports per owner, so that {@code owners * portsEach} ≤ 30,000
     * @throws NetnsException if a publication fails
     */
    void publishBackground(int owners, int portsEach) throws NetnsException {
        if (owners < 1 || owners > 250 || portsEach < 1 || (long) owners * portsEach > 30000) {
            throw new IllegalArgumentException("background of " + owners + " owners x " + portsEach
                    + " ports: 1..250 owners and at most 30,000 ports in all");
        }
        for (int i = 0; i < owners; i++) {
            List<PublishedPort> ports = new ArrayList<>(portsEach);
            for (int j = 0; j < portsEach; j++) {
                int port = BACKGROUND_BASE + i * portsEach + j;
                ports.add(new PublishedPort(Protocol.TCP, null, port, 80));
            }
            Firewall.Owner owner = Firewall.Owner.sandbox(lab.host().id(), "bg" + i);
            background.add(owner);
            firewall.publish(host, owner, bridge, List.of(fakeAddress(i)), ports);
        }
    }

    /** @return an address of the subnet that no sandbox leases: {@code 10.214.3.<i + 1>} */
    private static InetAddress fakeAddress(int i) {
        try {
            return InetAddress.getByAddress(new byte[] {10, (byte) 214, 3, (byte) (i + 1)});
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * @param s a sandbox
     * @return its IPv4 address
     * @throws NetnsException if its addresses cannot be read
     */
    static InetAddress ipv4(Sandbox s) throws NetnsException {
        for (InetAddress a : s.addresses()) {
            if (a instanceof Inet4Address && !a.isLoopbackAddress()) {
                return a;
            }
        }
        throw new IllegalStateException(s + " has no IPv4 address: " + s.addresses());
    }

    /** Removes the background owners' ports, then the anchor and the lab host. */
    @Override
    public void close() throws Exception {
        Undo last = new Undo();
        for (Firewall.Owner o : background) {
            last.push(() -> firewall.remove(host, o));
        }
        background.clear();
        try {
            last.run();
        } finally {
            undo.run();
        }
    }
}
