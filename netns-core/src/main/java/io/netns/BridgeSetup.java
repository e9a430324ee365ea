package io.netns;

import io.netns.internal.Inet;
import io.netns.internal.Inet.Cidr;
import io.netns.internal.OwnerRecord;
import io.netns.rtnl.Addr;
import io.netns.rtnl.Link;
import io.netns.rtnl.RtnlClient;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Bridge mode: a bridge network per host and name (the bridge, its gateway address, forwarding, outbound
 * NAT), addresses from {@link Ipam}, and the veth pair that wires a sandbox in.
 *
 * <p>Teardown is lazy where the kernel allows: closing a bridge sandbox remembers its veth for
 * {@link VethIsolation} (so a namespace that outlives the close, held by a socket or thread, can no longer
 * answer for its address once it is leased again), releases the lease, and unmounts its namespace; the kernel destroys the veth pair with the
 * namespace (an explicit veth delete costs ≈15 ms in the kernel, the unmount ≈0.1 ms). The next sandbox of
 * the same name gets a fresh host-side veth name if the old one is still being destroyed.
 */
final class BridgeSetup {
    private BridgeSetup() {
    }

    /**
     * A bridge network on one host.
     *
     * @param connected the networks it was connected to by this host ({@link BridgeMode#connectTo}); grows
     */
    record Network(String bridge, Cidr subnet, InetAddress gateway, Cidr subnet6, InetAddress gateway6, boolean madeHere,
            Set<String> connected, boolean nat66) {
        Network(String bridge, Cidr subnet, InetAddress gateway, Cidr subnet6, boolean madeHere, boolean nat66) {
            this(bridge, subnet, gateway, subnet6, subnet6 == null ? null : subnet6.address(1), madeHere,
                    ConcurrentHashMap.newKeySet(), nat66);
        }

        /** @return whether the network has IPv6 too */
        boolean dualStack() {
            return subnet6 != null;
        }
    }

    /**
     * Wires a new namespace in.
     *
     * @param inside a client whose socket lives in {@code ns}; the caller closes it
     * @return the mode's ports as published ({@link Firewall#publish}: every host-port choice made), empty when
     *     it publishes none
     */
    static List<PublishedPort> attach(Host host, String name, BridgeMode mode, NetNamespace ns, RtnlClient inside,
            OwnerRecord record, Cleanup cleanup) throws NetnsException {
        RtnlClient hostRtnl = host.rtnl();
        int[] bridgeIndex = new int[1];
        Network net = ensureNetwork(host, hostRtnl, mode, bridgeIndex);
        record.put("network", net.bridge());

        List<Addr> hostAddresses = hostRtnl.addresses(); // one dump for both families' leases
        InetAddress ip = Ipam.lease(host.id(), net.bridge(), net.subnet(), mode.ip(), name,
                Subnets.held(hostAddresses, net.subnet()).keySet());
        cleanup.push("address lease " + Inet.toText(ip), () -> Ipam.release(host.id(), net.bridge(), ip, name));
        record.put("ip", Inet.toText(ip));
        VethIsolation.leased(host, hostRtnl, net.bridge(), ip, name); // a closed namespace that had it: off the bridge
        InetAddress ip6 = null;
        if (net.dualStack()) {
            InetAddress leased6 = Ipam.lease(host.id(), net.bridge(), net.subnet6(), null, name,
                    Subnets.held(hostAddresses, net.subnet6()).keySet());
            ip6 = leased6;
            cleanup.push("address lease " + Inet.toText(leased6), () -> Ipam.release(host.id(), net.bridge(), leased6, name));
            record.put("ip6", Inet.toText(leased6));
            VethIsolation.leased(host, hostRtnl, net.bridge(), leased6, name);
        }

        int mtu = mode.mtu() != BridgeMode.DEFAULT_MTU ? mode.mtu() : 0;
        // One message: the pair, the host end in the bridge and up, the MTU of both ends.
        String veth = addVeth(hostRtnl, host.id(), name, ns, bridgeIndex[0], mtu);
        record.put("veth", veth);
        // Before the lease is released (undo runs last made first): a namespace that outlives close() (a socket
        // or thread still in it) loses the bridge before its address is anybody else's (see VethIsolation).
        InetAddress closing6 = ip6;
        cleanup.push("veth " + veth + " on the bridge", () -> {
            VethIsolation.closing(host, net.bridge(), ip, name, veth);
            if (closing6 != null) {
                VethIsolation.closing(host, net.bridge(), closing6, name, veth);
            }
        });
        // No delete step for the veth: it dies with the sandbox's namespace, which the namespace step removes.
        // Until then a failure must still not leave it, so delete it explicitly if setup fails from here on.
        Cleanup.Step deleteVeth = () -> hostRtnl.delete(veth);
        try {
            inside.setUp("lo");
            inside.setUp("eth0");
            inside.addAddress("eth0", ip, net.subnet().prefix());
            inside.addDefaultRoute(net.gateway());
            if (ip6 != null) {
                // No duplicate address detection: usable at once, never tentative (IPAM made it unique).
                inside.addAddress("eth0", ip6, net.subnet6().prefix(), Addr.F_NODAD);
                inside.addDefaultRoute(net.gateway6());
            }
            if (mode.published().isEmpty()) {
                return List.of();
            }
            Firewall fw = Firewall.load();
            Firewall.Owner owner = Firewall.Owner.sandbox(host.id(), name);
            record.put("firewall", "1");
            cleanup.push("published ports of " + name, () -> fw.remove(host.namespace(), owner));
            List<InetAddress> addresses = ip6 == null ? List.of(ip) : List.of(ip, ip6); // one per family
            return List.copyOf(fw.publish(host.namespace(), owner, net.bridge(), addresses, mode.published()));
        } catch (NetnsException | RuntimeException e) {
            try {
                deleteVeth.undo();
            } catch (Exception suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    /** Makes the network at first use on this host, or checks the one there against the mode. */
    private static Network ensureNetwork(Host host, RtnlClient rtnl, BridgeMode mode, int[] bridgeIndex)
            throws NetnsException {
        Map<String, Network> networks = host.networks();
        synchronized (networks) {
            Network known = networks.get(mode.name());
            Optional<Link> bridge = known == null ? Optional.empty() : rtnl.link(known.bridge());
            if (bridge.isEmpty()) {
                known = findOrMake(host, rtnl, mode);
                networks.put(mode.name(), known);
                bridge = rtnl.link(known.bridge());
                if (bridge.isEmpty()) {
                    throw NetnsException.failure("bridge network", "bridge '" + known.bridge() + "' of " + host
                            + " vanished while it was being set up");
                }
            }
            bridgeIndex[0] = bridge.get().index();
            Cidr asked = mode.subnetCidr();
            if (asked != null && !asked.equals(known.subnet())) {
                throw new IllegalArgumentException("bridge network '" + mode.name() + "' on " + host + " has subnet "
                        + known.subnet() + "; this mode asks for " + asked + " (use another name for another subnet)");
            }
            if (mode.isIpv6() && !known.dualStack()) {
                throw new IllegalArgumentException("bridge network '" + mode.name() + "' on " + host + " was made without "
                        + "IPv6 (subnet " + known.subnet() + " only); this mode asks for IPv6"
                        + (mode.subnet6() == null ? "" : " (subnet6 " + mode.subnet6() + ")")
                        + " (use another name for a dual-stack network)");
            }
            if (mode.nat66Asked() != null && known.dualStack() && known.nat66() != mode.nat66()) {
                throw new IllegalArgumentException("bridge network '" + mode.name() + "' on " + host + " was made with NAT66 "
                        + (known.nat66() ? "on" : "off") + "; this mode asks for nat66(" + mode.nat66() + ") (use another "
                        + "name for a network with the other choice)");
            }
            Cidr asked6 = mode.subnet6Cidr();
            if (asked6 != null && !asked6.equals(known.subnet6())) {
                throw new IllegalArgumentException("bridge network '" + mode.name() + "' on " + host + " has IPv6 subnet "
                        + known.subnet6() + "; this mode asks for " + asked6 + " (use another name for another subnet)");
            }
            if (mode.ip() != null && !known.subnet().contains(mode.ip())) {
                throw new IllegalArgumentException("bridge ip " + Inet.toText(mode.ip()) + " is not in subnet "
                        + known.subnet() + " of network '" + mode.name() + "'");
            }
            for (String other : mode.connectedTo()) {
                if (!known.connected().contains(other)) {
                    Firewall.load().connect(host.namespace(), Firewall.Owner.network(host.id(), known.bridge()),
                            known.bridge(), other);
                    known.connected().add(other);
                }
            }
            return known;
        }
    }

    private static Network findOrMake(Host host, RtnlClient rtnl, BridgeMode mode) throws NetnsException {
        String bridge = mode.name();
        Optional<Link> there = rtnl.link(bridge);
        if (there.isPresent()) {
            return existing(host, rtnl, there.get(), mode.nat66());
        }
        Cidr subnet = mode.subnetCidr() != null ? mode.subnetCidr() : Cidr.parse("subnet", BridgeMode.DEFAULT_SUBNET);
        InetAddress gateway = subnet.address(1);
        Subnets.checkFree(host, rtnl, bridge, subnet);
        Cidr subnet6 = null;
        if (mode.isIpv6()) {
            subnet6 = mode.subnet6Cidr();
            if (subnet6 != null) {
                Subnets.checkFree(host, rtnl, bridge, subnet6);
            } else {
                subnet6 = Subnets.freeDefault6(host, rtnl, bridge);
            }
        }
        try {
            rtnl.addBridge(bridge);
        } catch (NetlinkException e) {
            if (!"EEXIST".equals(e.errnoName())) {
                throw e;
            }
            Optional<Link> made = rtnl.link(bridge); // another process made it a moment ago
            if (made.isEmpty()) {
                throw e;
            }
            return existing(host, rtnl, made.get(), mode.nat66());
        }
        Network made = new Network(bridge, subnet, gateway, subnet6, true, mode.nat66());
        try {
            if (made.dualStack()) {
                // Before the IPv4 address, which another process joining this network waits for (existing()):
                // it then sees both. No duplicate address detection: the gateway is usable at once.
                rtnl.addAddress(bridge, made.gateway6(), subnet6.prefix(), Addr.F_NODAD);
            }
            if (made.dualStack()) {
                // No duplicate address detection of the bridge's link-local address either: until it ends (≈1 s
                // after the first port joins) the host sends no neighbour solicitation on the bridge (it has no
                // usable source), so nothing reaches a sandbox through the host in that second.
                Sysctl.writeIpv6Conf(host.namespace(), bridge, "accept_dad", "0");
            }
            rtnl.addAddress(bridge, gateway, subnet.prefix());
            rtnl.setUp(bridge);
            Sysctl.write(host.namespace(), "net.ipv4.ip_forward", "1");
            if (made.dualStack()) {
                Sysctl.write(host.namespace(), FORWARDING6, "1");
            }
            Firewall fw = FirewallLookup.optional();
            if (fw != null) {
                Firewall.Owner owner = Firewall.Owner.network(host.id(), bridge);
                fw.addNetwork(host.namespace(), owner, bridge, subnet.toString());
                if (made.dualStack()) {
                    fw.addNetwork(host.namespace(), owner, bridge, subnet6.toString(), made.nat66()); // false: routed
                }
            }
        } catch (NetnsException | RuntimeException e) {
            try {
                rtnl.delete(bridge);
                if (FirewallLookup.optional() != null) {
                    FirewallLookup.optional().remove(host.namespace(), Firewall.Owner.network(host.id(), bridge));
                }
            } catch (NetnsException | RuntimeException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
        Ipam.reset(host.id(), bridge);
        return made;
    }

    /** The host's IPv6 forwarding switch, the IPv6 counterpart of {@code net.ipv4.ip_forward}. */
    static final String FORWARDING6 = "net.ipv6.conf.all.forwarding";

    /**
     * A bridge that exists already (a link of another kind is refused): its gateway address gives the subnet. A process that has just made it
     * adds the address right after the bridge, so it is awaited briefly before the bridge is called foreign.
     */
    private static Network existing(Host host, RtnlClient rtnl, Link link, boolean nat66) throws NetnsException {
        String bridge = link.name();
        if (!"bridge".equals(link.kind())) {
            throw NetnsException.failure("bridge network", "link '" + bridge + "' exists on " + host + " but is "
                    + (link.kind() == null ? "a device without a kind" : "a " + link.kind()) + ", not a bridge: netns "
                    + "adopts only a bridge as a network's bridge; choose another bridge name");
        }
        long deadline = System.nanoTime() + 2_000_000_000L;
        do {
            List<Addr> addrs = rtnl.addresses(bridge);
            for (Addr a : addrs) {
                if (a.address() instanceof Inet4Address) {
                    // The IPv6 gateway is added before the IPv4 one: if the network has IPv6, it is there now.
                    Addr v6 = null;
                    for (Addr b : addrs) {
                        if (!b.isIpv4() && !b.address().isLinkLocalAddress() && b.scope() == Addr.SCOPE_UNIVERSE) {
                            v6 = b;
                            break;
                        }
                    }
                    return new Network(bridge, Cidr.of(a.address(), a.prefixLength()), a.address(),
                            v6 == null ? null : Cidr.of(v6.address(), v6.prefixLength()), v6 == null ? null : v6.address(),
                            false, ConcurrentHashMap.newKeySet(), nat66);
                }
            }
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        } while (System.nanoTime() < deadline);
        throw NetnsException.failure("bridge network", "link '" + bridge + "' exists on " + host
                + " but has no IPv4 address: it was not made by netns; choose another bridge name");
    }

    /**
     * The host side of the pair: {@code nv} + 12 hex digits of a hash of host and sandbox name (≤ 15
     * characters, as interface names must be). If that name is taken (earlier sandboxes of the same name
     * still being destroyed by the kernel's lazy namespace cleanup, which lags under load, or a hash
     * collision), the next salt is tried.
     */
    /** Names tried per sandbox name: enough for a burst of same-name sandboxes whose old pairs linger. */
    static final int VETH_SALTS = 64;

    private static String addVeth(RtnlClient rtnl, String hostId, String name, NetNamespace ns, int bridgeIndex,
            int mtu) throws NetnsException {
        NetlinkException last = null;
        for (int salt = 0; salt < VETH_SALTS; salt++) {
            String veth = vethName(hostId, name, salt);
            try {
                rtnl.addVeth(veth, "eth0", ns, bridgeIndex, mtu);
                return veth;
            } catch (NetlinkException e) {
                if (!"EEXIST".equals(e.errnoName())) {
                    throw e;
                }
                last = e;
            }
        }
        throw last;
    }

    static String vethName(String hostId, String name, int salt) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            byte[] h = md.digest((hostId + "/" + name + "#" + salt).getBytes(StandardCharsets.UTF_8));
            StringBuilder b = new StringBuilder("nv");
            for (int i = 0; i < 6; i++) {
                b.append(String.format("%02x", h[i]));
            }
            return b.toString();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * When a host closes: each bridge network it made goes with it once no port of the bridge is left
     * (sandboxes of another JVM may still use it), together with the network's firewall rules.
     */
    static void closeNetworks(Host host) throws NetnsException {
        Map<String, Network> networks = host.networks();
        synchronized (networks) {
            for (Network n : networks.values()) {
                if (!n.madeHere()) {
                    continue;
                }
                RtnlClient rtnl = host.rtnl();
                var bridge = rtnl.link(n.bridge());
                if (bridge.isPresent() && rtnl.links().stream().noneMatch(l -> l.masterIndex() == bridge.get().index())) {
                    Firewall fw = FirewallLookup.optional();
                    if (fw != null) {
                        fw.remove(host.namespace(), Firewall.Owner.network(host.id(), n.bridge()));
                    }
                    rtnl.delete(n.bridge());
                    Ipam.forget(host.id(), n.bridge());
                }
            }
            networks.clear();
        }
    }
}
