package io.netns;

import io.netns.internal.Inet.Cidr;
import io.netns.internal.Inet;
import io.netns.internal.Names;
import io.netns.internal.OwnerRecord;
import io.netns.rtnl.RtnlClient;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * {@code bridge}: the sandbox gets its own namespace, a veth pair whose host side joins the host's bridge
 * network and whose peer is {@code eth0} inside, an address from the network's subnet, {@code lo} up and a
 * default route via the gateway (the first address of the subnet, on the bridge). With {@link #ipv6()} the
 * network is dual-stack: an IPv6 address, usable at once, and an IPv6 default route as well. Published ports
 * are DNAT rules made through {@code netns-iptables}. See {@link NetworkMode#bridge()}.
 *
 * <p>A bridge network is made once per {@link Host} and name, at first use, with the subnets (and
 * families) of that first use; a later mode naming the same network with another subnet, or asking IPv6 of
 * a network made without it, is refused.
 *
 * <p><b>Isolation.</b> As in Docker, sandboxes on different bridge networks of a host cannot reach each
 * other: traffic forwarded from one network's bridge to another's is dropped. Published ports (reached
 * through a host address) and the host itself stay reachable from every network. {@link #connectTo}
 * opens two networks to each other.
 */
public final class BridgeMode extends ModeSetup implements NetworkMode {
    /** The default network (and bridge interface) name. */
    public static final String DEFAULT_NAME = "netns0";
    /** The default subnet; chosen not to clash with Docker's 172.17.0.0/16 or Podman's 10.88.0.0/16. */
    public static final String DEFAULT_SUBNET = "10.89.0.0/24";
    /** The default MTU. */
    public static final int DEFAULT_MTU = 1500;

    static final BridgeMode DEFAULT = new BridgeMode(DEFAULT_NAME, null, null, DEFAULT_MTU, List.of(), Set.of(), false, null,
            null);

    private final String name;
    private final Cidr subnet;
    private final InetAddress ip;
    private final int mtu;
    private final List<PublishedPort> published;
    private final Set<String> connected;
    private final boolean ipv6;
    private final Cidr subnet6;
    /** NAT66 as asked; null when not asked (a new network masquerades, an existing one stays as made). */
    private final Boolean nat66;

    private BridgeMode(String name, Cidr subnet, InetAddress ip, int mtu, List<PublishedPort> published,
            Set<String> connected, boolean ipv6, Cidr subnet6, Boolean nat66) {
        this.name = name;
        this.subnet = subnet;
        this.ip = ip;
        this.mtu = mtu;
        this.published = List.copyOf(published);
        this.connected = Collections.unmodifiableSet(new LinkedHashSet<>(connected));
        this.ipv6 = ipv6;
        this.subnet6 = subnet6;
        this.nat66 = nat66;
    }

    /**
     * The bridge network, which is also the bridge interface's name in the host. Default {@value #DEFAULT_NAME}.
     *
     * @param name 1 to 15 characters from {@code [A-Za-z0-9_.-]} (an interface name)
     * @return a new mode
     */
    public BridgeMode name(String name) {
        checkBridgeName("bridge name", name);
        if (connected.contains(name)) {
            throw new IllegalArgumentException("bridge network '" + name + "' cannot be connected to itself: it is "
                    + "among connectTo " + connected);
        }
        return new BridgeMode(name, subnet, ip, mtu, published, connected, ipv6, subnet6, nat66);
    }

    /**
     * The network's IPv4 subnet, fixed when the network is first made. Default {@value #DEFAULT_SUBNET}
     * for a new network, or the subnet an existing network of this name has.
     *
     * <p>Refused at once: a prefix shorter than /8, and any subnet overlapping the unspecified
     * ({@code 0.0.0.0/8}), loopback ({@code 127.0.0.0/8}), link-local ({@code 169.254.0.0/16}), multicast
     * ({@code 224.0.0.0/4}), class E ({@code 240.0.0.0/4}) or limited broadcast ({@code 255.255.255.255})
     * ranges. Refused when the network is made (by {@link Host#create}, before anything is made): a subnet
     * overlapping an address or a non-default route of the host namespace, which includes every other
     * bridge network of the host; the message names what it overlaps.
     *
     * @param cidr an IPv4 CIDR with a prefix of /8 to /30, host bits zero, e.g. {@code 10.89.9.0/28}
     * @return a new mode
     * @throws IllegalArgumentException if the CIDR is malformed or breaks one of those rules
     */
    public BridgeMode subnet(String cidr) {
        Cidr c = Cidr.parse("bridge subnet", cidr);
        if (c.isIpv6()) {
            throw new IllegalArgumentException("bridge subnet must be IPv4: " + cidr + "; for an IPv6 subnet use subnet6(\""
                    + cidr + "\")");
        }
        if (c.prefix() > 30) {
            throw new IllegalArgumentException("bridge subnet prefix must be at most /30, to hold the gateway and "
                    + "one sandbox: " + cidr);
        }
        Subnets.checkUsable(c, cidr);
        if (ip != null && !c.contains(ip)) {
            throw new IllegalArgumentException("bridge ip " + Inet.toText(ip) + " is not in subnet " + c);
        }
        return new BridgeMode(name, c, ip, mtu, published, connected, ipv6, subnet6, nat66);
    }

    /**
     * Makes the network dual-stack: IPv6 as well as IPv4. The network's IPv6 subnet is {@link #subnet6}'s,
     * by default a unique local /64 derived from the network's name ({@link #defaultSubnet6}); its gateway
     * is the subnet's {@code ::1} on the bridge. Each sandbox gets an address of each family (from the one
     * lease store: never one address twice, across JVMs), a default route of each family via the gateway,
     * and its IPv6 address without duplicate address detection ({@code IFA_F_NODAD}, as the gateway's), so
     * it is usable, never {@code tentative}, as soon as {@link Host#create} returns. The host gets
     * {@code net.ipv6.conf.all.forwarding=1} as it gets {@code net.ipv4.ip_forward=1} (a host that takes its
     * own IPv6 route from router advertisements then needs {@code accept_ra=2} on that interface, as with
     * Docker).
     *
     * <p>Like the IPv4 subnet, the IPv6 subnet is fixed when the network is first made: asking a network
     * made without IPv6 for {@code ipv6()}, or a network for another {@link #subnet6}, is refused with
     * {@link IllegalArgumentException} when the sandbox is made. A mode without {@code ipv6()} joins a
     * network as it is, dual-stack or not. Default: IPv4 only.
     *
     * <pre>{@code
     * Sandbox web = host.create("web", NetworkMode.bridge().name("v6net").ipv6());
     * web.addresses();   // [10.89.0.2, fdXX:XXXX:XXXX::2]
     * }</pre>
     *
     * @return a new mode
     */
    public BridgeMode ipv6() {
        return new BridgeMode(name, subnet, ip, mtu, published, connected, true, subnet6, nat66);
    }

    /**
     * The network's IPv6 subnet, fixed when the network is first made; implies {@link #ipv6()}. Default
     * {@link #defaultSubnet6(String)} of the network's name for a new network, or the IPv6 subnet an existing
     * network of this name has.
     *
     * <p>Refused at once: a prefix shorter than /48 or longer than /120, and any subnet that overlaps the
     * unspecified, loopback, IPv4-compatible ({@code ::/96}), IPv4-mapped ({@code ::ffff:0:0/96}),
     * link-local ({@code fe80::/10}), site-local ({@code fec0::/10}), multicast ({@code ff00::/8}), Teredo
     * ({@code 2001::/32}) or 6to4 ({@code 2002::/16}) ranges or is neither unique local ({@code fc00::/7})
     * nor global unicast ({@code 2000::/3}); the documentation prefix {@code 2001:db8::/32} is allowed, as
     * IPv4's TEST-NETs are. Refused when the network is made (by {@link Host#create}, before anything is
     * made): a subnet overlapping an IPv6 address or a non-default IPv6 route of the host namespace, which
     * includes every other dual-stack bridge network of the host; the message names what it overlaps.
     *
     * @param cidr an IPv6 CIDR with a prefix of /48 to /120 (a /64 is usual), host bits zero, e.g.
     *     {@code fd89:0:0:1::/64}
     * @return a new mode
     * @throws IllegalArgumentException if the CIDR is malformed or breaks one of those rules
     */
    public BridgeMode subnet6(String cidr) {
        java.util.Objects.requireNonNull(cidr, "bridge subnet6");
        int slash = cidr.indexOf('/');
        if (slash > 0 && cidr.substring(0, slash).indexOf(':') >= 0
                && Inet.parse("bridge subnet6", cidr.substring(0, slash)) instanceof Inet4Address) {
            throw new IllegalArgumentException("bridge subnet6 " + cidr + " is in the IPv4-mapped range ::ffff:0:0/96, "
                    + "which cannot be used for a bridge network");
        }
        Cidr c = Cidr.parse("bridge subnet6", cidr);
        if (!c.isIpv6()) {
            throw new IllegalArgumentException("bridge subnet6 must be IPv6: " + cidr + "; for an IPv4 subnet use subnet(\""
                    + cidr + "\")");
        }
        Subnets.checkUsable6(c, cidr);
        return new BridgeMode(name, subnet, ip, mtu, published, connected, true, c, nat66);
    }

    /**
     * Whether the network's IPv6 traffic leaving the host (through an interface other than the bridge) is
     * masqueraded to the host's address: NAT66, as IPv4 is always masqueraded. Implies {@link #ipv6()}.
     * Default: on, for a unique local subnet (the default {@link #subnet6}) as for a global one, like
     * Docker's default for IPv6 networks ({@code ip6tables} on, {@code com.docker.network.bridge.enable_ip_masquerade}).
     *
     * <p>{@code nat66(false)} makes the network routed: other hosts see the sandboxes' own IPv6 addresses,
     * and the next router must route {@link #subnet6} to the host (typically a global prefix delegated to
     * it; a unique local subnet is reachable only where someone routes it). Forwarding, replies, published
     * ports and the masquerade of hairpin traffic (a sandbox reaching a published port of its own network)
     * are as with NAT66; new connections from outside to a sandbox's own address are not opened: they meet
     * the host's {@code FORWARD} policy. Needs {@code netns-iptables}'s support for it
     * ({@link Firewall#addNetwork(NetNamespace, Firewall.Owner, String, String, boolean)}).
     *
     * <p>Like the subnets it is fixed when the network is first made: a later mode of this {@link Host}
     * asking the other choice of the same network is refused when the sandbox is made; a mode that does not
     * ask joins the network as it is.
     *
     * <pre>{@code
     * host.create("web", NetworkMode.bridge().name("pub6").subnet6("2001:db8:0:1::/64").nat66(false));
     * }</pre>
     *
     * @param enabled false for a routed network
     * @return a new mode
     */
    public BridgeMode nat66(boolean enabled) {
        return new BridgeMode(name, subnet, ip, mtu, published, connected, true, subnet6, enabled);
    }

    /**
     * The IPv6 subnet a new dual-stack network named {@code network} gets when no {@link #subnet6} is given:
     * the unique local /64 (RFC 4193) {@code fdXX:XXXX:XXXX::/64} whose 40-bit global ID is the first five
     * bytes of SHA-256 of the name (UTF-8). It is the same in every run and JVM, and differs between names.
     * Should the host already use it (an address or a route overlapping it), the next subnet IDs of the
     * same /48 ({@code fdXX:XXXX:XXXX:1::/64}, ... up to {@code :f::/64}) are taken, the first free one.
     *
     * @param network a network name, e.g. {@value #DEFAULT_NAME}
     * @return its default IPv6 subnet, e.g. {@code fd12:3456:789a::/64}
     */
    public static String defaultSubnet6(String network) {
        checkBridgeName("bridge name", network);
        return Subnets.default6(network, 0).toString();
    }

    /**
     * The sandbox's own address. Default: the lowest free address of the subnet after the gateway.
     *
     * @param address an IPv4 literal inside the subnet, neither the network, gateway nor broadcast address
     * @return a new mode
     */
    public BridgeMode ip(String address) {
        InetAddress a = Inet.parse("bridge ip", address);
        if (!(a instanceof Inet4Address)) {
            throw new IllegalArgumentException("bridge ip must be IPv4: " + address);
        }
        if (subnet != null && !subnet.contains(a)) {
            throw new IllegalArgumentException("bridge ip " + address + " is not in subnet " + subnet);
        }
        return new BridgeMode(name, subnet, a, mtu, published, connected, ipv6, subnet6, nat66);
    }

    /**
     * The MTU of the sandbox's {@code eth0} and its veth peer. Default {@value #DEFAULT_MTU}.
     *
     * @param mtu 68..65535
     * @return a new mode
     */
    public BridgeMode mtu(int mtu) {
        if (mtu < 68 || mtu > 65535) {
            throw new IllegalArgumentException("mtu must be 68..65535: " + mtu);
        }
        return new BridgeMode(name, subnet, ip, mtu, published, connected, ipv6, subnet6, nat66);
    }

    /**
     * Publishes a port, a range or a choice of host ports, written as {@code docker run -p} takes it and
     * parsed exactly as Docker parses it ({@link PublishedPort#parse(String)}). Calls add up. Default: nothing
     * published.
     *
     * <pre>{@code
     * NetworkMode.bridge().publish("8080:80")                  // tcp, every host address
     * NetworkMode.bridge().publish("127.0.0.1:8080:80/udp")    // udp, one host address
     * NetworkMode.bridge().ipv6().publish("[fd00:20:30::100]:8080:80") // one IPv6 host address
     * NetworkMode.bridge().publish("8000-8099:8000-8099")      // a range, port for port
     * NetworkMode.bridge().publish("9000-9010:80")             // one free host port of 9000..9010
     * NetworkMode.bridge().publish("127.0.0.1::80")            // any free host port (of the ephemeral range)
     * }</pre>
     *
     * A host port that is chosen (a host range for one container port, or none given) is chosen when the
     * sandbox is made; {@link Sandbox#published()} tells which. Without a host port, each port of a container
     * range ({@code "8000-8002"}) gets its own free host port.
     *
     * @param spec {@code [hostIp:][hostPort:]containerPort[/protocol]}, see {@link PublishedPort#parse(String)}
     * @return a new mode
     * @throws IllegalArgumentException if the text breaks Docker's rules (the message names it and the rule),
     *     or a host port it publishes is published already by this mode
     */
    public BridgeMode publish(String spec) {
        return publish(PublishedPort.parse(spec));
    }

    /**
     * Publishes a TCP port on every host address, like {@code docker run -p 8080:80}. Default: nothing
     * published.
     *
     * @param hostPort 1..65535, or 0 for any free port of the host's ephemeral range
     * @param containerPort 1..65535
     * @return a new mode
     */
    public BridgeMode publish(int hostPort, int containerPort) {
        return publish(Protocol.TCP, null, hostPort, containerPort);
    }

    /**
     * Publishes a TCP port on one host address, like {@code docker run -p 10.20.30.100:8080:80}.
     *
     * @param hostIp an IP literal of the host
     * @param hostPort 1..65535, or 0 for any free port of the host's ephemeral range
     * @param containerPort 1..65535
     * @return a new mode
     */
    public BridgeMode publish(String hostIp, int hostPort, int containerPort) {
        return publish(Protocol.TCP, hostIp, hostPort, containerPort);
    }

    /**
     * Publishes a port of {@code protocol} on every host address, like {@code -p 5353:53/udp}.
     *
     * @param protocol TCP or UDP
     * @param hostPort 1..65535, or 0 for any free port of the host's ephemeral range
     * @param containerPort 1..65535
     * @return a new mode
     */
    public BridgeMode publish(Protocol protocol, int hostPort, int containerPort) {
        return publish(protocol, null, hostPort, containerPort);
    }

    /**
     * Publishes a port of {@code protocol} on one host address, or every one when {@code hostIp} is null.
     *
     * @param protocol TCP or UDP
     * @param hostIp an IP literal of the host, or null
     * @param hostPort 1..65535, or 0 for any free port of the host's ephemeral range
     * @param containerPort 1..65535
     * @return a new mode
     */
    public BridgeMode publish(Protocol protocol, String hostIp, int hostPort, int containerPort) {
        InetAddress addr = hostIp == null ? null : Inet.parse("publish host ip", hostIp);
        return publish(new PublishedPort(protocol, addr, hostPort, containerPort));
    }

    /**
     * Publishes a port as built or parsed ({@link PublishedPort#parse(String)}); an any-free-port range is
     * kept as one port per container port, as each gets its own host port.
     *
     * @param port the port, range or choice
     * @return a new mode
     * @throws IllegalArgumentException if a host port it publishes is published already by this mode
     */
    public BridgeMode publish(PublishedPort port) {
        List<PublishedPort> all = published;
        for (PublishedPort p : Objects.requireNonNull(port, "port").each()) {
            all = PublishedPort.append(all, p);
        }
        return new BridgeMode(name, subnet, ip, mtu, all, connected, ipv6, subnet6, nat66);
    }

    /**
     * Connects this bridge network with another bridge network of the same host, both ways: their
     * sandboxes reach each other directly, which the default isolation between networks forbids (as
     * {@code docker network connect} would, for every sandbox of both). The connection is made with the
     * network's other rules and lives as long as this network's; the other network need not exist yet.
     * Calls add up. Default: connected to none.
     *
     * <pre>{@code
     * host.create("api", NetworkMode.bridge().name("a").subnet("10.89.1.0/24"));
     * host.create("db",  NetworkMode.bridge().name("b").subnet("10.89.2.0/24").connectTo("a"));  // api <-> db
     * }</pre>
     *
     * @param network the other network's name (its bridge interface), not this network's own
     * @return a new mode
     * @throws IllegalArgumentException if the name is not a valid bridge name, or is this network's own
     */
    public BridgeMode connectTo(String network) {
        checkBridgeName("connectTo network", network);
        if (network.equals(name)) {
            throw new IllegalArgumentException("bridge network '" + name + "' cannot be connected to itself");
        }
        Set<String> all = new LinkedHashSet<>(connected);
        all.add(network);
        return new BridgeMode(name, subnet, ip, mtu, published, all, ipv6, subnet6, nat66);
    }

    private static void checkBridgeName(String what, String name) {
        Names.check(what, name);
        if (name.length() > 15) {
            throw new IllegalArgumentException(what + " must be at most 15 characters (an interface name): \"" + name
                    + "\"");
        }
    }

    /** @return the networks this one is connected to with {@link #connectTo}, in the order given */
    public Set<String> connectedTo() {
        return connected;
    }

    /** @return the network name */
    public String name() {
        return name;
    }

    /** @return the subnet asked for, or null to take the network's (or the default for a new network) */
    public String subnet() {
        return subnet == null ? null : subnet.toString();
    }

    Cidr subnetCidr() {
        return subnet;
    }

    /** @return true when {@link #ipv6()} or {@link #subnet6} asked for a dual-stack network */
    public boolean isIpv6() {
        return ipv6;
    }

    /** @return the IPv6 subnet asked for, or null to take the network's (or the default for a new network) */
    public String subnet6() {
        return subnet6 == null ? null : subnet6.toString();
    }

    Cidr subnet6Cidr() {
        return subnet6;
    }

    /** @return whether a new network made by this mode masquerades its IPv6 traffic: {@link #nat66(boolean)}, default true */
    public boolean nat66() {
        return nat66 == null || nat66;
    }

    /** @return NAT66 as asked, or null when not asked */
    Boolean nat66Asked() {
        return nat66;
    }

    /** @return the address asked for, or null to let IPAM choose */
    public InetAddress ip() {
        return ip;
    }

    /** @return the MTU */
    public int mtu() {
        return mtu;
    }

    /**
     * @return the ports to publish, in the order given (a range without host port, {@code "8000-8002"}, as one
     *     port per container port); {@link Sandbox#published()} tells what they became
     */
    public List<PublishedPort> published() {
        return published;
    }

    /**
     * A new namespace wired into this mode's bridge network of the host ({@link BridgeSetup}): a leased
     * address, a veth pair, a default route, and the published ports.
     */
    @Override
    Sandbox setUp(Host host, String name, OwnerRecord record, Cleanup cleanup) throws NetnsException {
        NetNamespace.Created made = SandboxSetup.newNamespace(name, record, cleanup);
        List<PublishedPort> ports;
        try (RtnlClient inside = made.inside()) {
            ports = BridgeSetup.attach(host, name, this, made.namespace(), inside, record, cleanup);
        }
        Sandbox s = new Sandbox(host, name, this, made.namespace(), cleanup, null);
        s.published(ports);
        return s;
    }

    @Override
    public String kind() {
        return "bridge";
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof BridgeMode)) {
            return false;
        }
        BridgeMode b = (BridgeMode) o;
        return name.equals(b.name) && Objects.equals(subnet, b.subnet) && Objects.equals(ip, b.ip) && mtu == b.mtu
                && published.equals(b.published) && connected.equals(b.connected) && ipv6 == b.ipv6
                && Objects.equals(subnet6, b.subnet6) && Objects.equals(nat66, b.nat66);
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, subnet, ip, mtu, published, connected, ipv6, subnet6, nat66);
    }

    @Override
    public String toString() {
        return "bridge " + name + (subnet == null ? "" : " " + subnet)
                + (subnet6 != null ? " " + subnet6 : ipv6 ? " ipv6" : "") + (nat66 == null ? "" : nat66 ? " nat66" : " no-nat66")
                + (ip == null ? "" : " ip " + Inet.toText(ip))
                + (mtu == DEFAULT_MTU ? "" : " mtu " + mtu) + (published.isEmpty() ? "" : " publish " + published)
                + (connected.isEmpty() ? "" : " connectTo " + connected);
    }
}
