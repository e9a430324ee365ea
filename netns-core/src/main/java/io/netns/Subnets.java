package io.netns;

import io.netns.internal.Inet;
import io.netns.internal.Inet.Cidr;
import io.netns.rtnl.Addr;
import io.netns.rtnl.Link;
import io.netns.rtnl.Route;
import io.netns.rtnl.RtnlClient;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Which subnets a bridge network may use: never a special-purpose range (checked at the call), never one
 * that overlaps what the host namespace already has (checked when the network is made), and never an
 * address a host interface holds (checked at every lease). IPv4 ({@link BridgeMode#subnet}) and IPv6
 * ({@link BridgeMode#subnet6}) alike.
 */
final class Subnets {
    /** The shortest prefix a bridge subnet may have. */
    static final int MIN_PREFIX = 8;
    /** The shortest prefix an IPv6 bridge subnet may have: a site's whole allocation is a /48. */
    static final int MIN_PREFIX6 = 48;
    /** The longest prefix an IPv6 bridge subnet may have: 256 addresses. */
    static final int MAX_PREFIX6 = 120;
    /** How many subnet IDs of the name's ULA /48 the default IPv6 subnet may take, the first free one. */
    static final int DEFAULT6_TRIES = 16;

    /** Ranges no bridge subnet may overlap, with what they are (RFC 6890); the first match is named. */
    private static final Map<Cidr, String> SPECIAL = new LinkedHashMap<>();
    /** The IPv6 ones (RFC 6890, RFC 4291); anything else outside ULA and global unicast is refused too. */
    private static final Map<Cidr, String> SPECIAL6 = new LinkedHashMap<>();
    private static final Cidr ULA = Cidr.parse("range", "fc00::/7");
    private static final Cidr GLOBAL_UNICAST = Cidr.parse("range", "2000::/3");

    static {
        SPECIAL.put(Cidr.parse("range", "0.0.0.0/8"), "the unspecified (\"this network\") range");
        SPECIAL.put(Cidr.parse("range", "127.0.0.0/8"), "the loopback range");
        SPECIAL.put(Cidr.parse("range", "169.254.0.0/16"), "the link-local range");
        SPECIAL.put(Cidr.parse("range", "224.0.0.0/4"), "the multicast range");
        SPECIAL.put(Cidr.parse("range", "255.255.255.255/32"), "the limited broadcast address");
        SPECIAL.put(Cidr.parse("range", "240.0.0.0/4"), "the reserved class E range");
        SPECIAL6.put(Cidr.parse("range", "::/128"), "the unspecified address");
        SPECIAL6.put(Cidr.parse("range", "::1/128"), "the loopback address");
        SPECIAL6.put(Cidr.parse("range", "::/96"), "the deprecated IPv4-compatible range");
        SPECIAL6.put(Cidr.parse("range", "fe80::/10"), "the link-local range");
        SPECIAL6.put(Cidr.parse("range", "fec0::/10"), "the deprecated site-local range");
        SPECIAL6.put(Cidr.parse("range", "ff00::/8"), "the multicast range");
        SPECIAL6.put(Cidr.parse("range", "2001::/32"), "the Teredo range");
        SPECIAL6.put(Cidr.parse("range", "2002::/16"), "the 6to4 range");
    }

    private Subnets() {
    }

    /**
     * Refuses a subnet that no bridge network may have, whatever the host.
     *
     * @param c an IPv4 subnet
     * @param text what the caller wrote, for the message
     * @throws IllegalArgumentException naming the value and the rule
     */
    static void checkUsable(Cidr c, String text) {
        if (c.prefix() < MIN_PREFIX) {
            throw new IllegalArgumentException("bridge subnet prefix must be at least /" + MIN_PREFIX + ": " + text
                    + " would take over a large share of all IPv4 addresses (and its NAT rule all forwarded traffic)");
        }
        for (Map.Entry<Cidr, String> e : SPECIAL.entrySet()) {
            if (e.getKey().overlaps(c)) {
                throw new IllegalArgumentException("bridge subnet " + text + " overlaps " + e.getValue() + " "
                        + e.getKey() + ", which cannot be used for a bridge network");
            }
        }
    }

    /**
     * Refuses an IPv6 subnet that no bridge network may have, whatever the host: a prefix outside
     * /{@value #MIN_PREFIX6}../{@value #MAX_PREFIX6}, a special-purpose range, anything that is neither a
     * unique local ({@code fc00::/7}) nor a global unicast ({@code 2000::/3}) prefix. The documentation
     * prefix {@code 2001:db8::/32} is allowed, as IPv4's TEST-NETs are.
     *
     * @param c an IPv6 subnet
     * @param text what the caller wrote, for the message
     * @throws IllegalArgumentException naming the value and the rule
     */
    static void checkUsable6(Cidr c, String text) {
        if (c.prefix() < MIN_PREFIX6 || c.prefix() > MAX_PREFIX6) {
            throw new IllegalArgumentException("bridge subnet6 prefix must be /" + MIN_PREFIX6 + " to /" + MAX_PREFIX6
                    + " (a /64 is usual): " + text);
        }
        for (Map.Entry<Cidr, String> e : SPECIAL6.entrySet()) {
            if (e.getKey().overlaps(c)) {
                throw new IllegalArgumentException("bridge subnet6 " + text + " overlaps " + e.getValue() + " "
                        + e.getKey() + ", which cannot be used for a bridge network");
            }
        }
        if (!ULA.contains(c.network()) && !GLOBAL_UNICAST.contains(c.network())) {
            throw new IllegalArgumentException("bridge subnet6 " + text + " must be a unique local (" + ULA
                    + ") or global unicast (" + GLOBAL_UNICAST + ") prefix");
        }
    }

    /**
     * The default IPv6 subnet of a bridge network: the RFC 4193 unique local /64
     * {@code fdXX:XXXX:XXXX:<try>::/64} whose 40-bit global ID is the first 5 bytes of SHA-256 of the
     * network name (UTF-8), so the same name gives the same subnet in every run and JVM, and different
     * names different ones (but for a 2^-40 chance).
     *
     * @param network the network's name
     * @param attempt the subnet ID, 0 first
     * @return the subnet
     */
    static Cidr default6(String network, int attempt) {
        byte[] h;
        try {
            h = MessageDigest.getInstance("SHA-256").digest(network.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        byte[] a = new byte[16];
        a[0] = (byte) 0xfd;
        System.arraycopy(h, 0, a, 1, 5);
        a[6] = (byte) (attempt >>> 8);
        a[7] = (byte) attempt;
        try {
            return Cidr.of(InetAddress.getByAddress(a), 64);
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * The default IPv6 subnet the host does not use yet: the first of {@link #default6}'s
     * {@value #DEFAULT6_TRIES} subnet IDs that overlaps no address and no route of the host namespace.
     *
     * @throws NetnsException naming what the first one overlaps, when none is free
     */
    static Cidr freeDefault6(Host host, RtnlClient rtnl, String bridge) throws NetnsException {
        String first = null;
        for (int i = 0; i < DEFAULT6_TRIES; i++) {
            Cidr c = default6(bridge, i);
            String used = overlap(rtnl, bridge, c);
            if (used == null) {
                return c;
            }
            if (first == null) {
                first = used;
            }
        }
        throw NetnsException.failure("bridge network", "no default IPv6 subnet is free for new bridge network '" + bridge
                + "' on " + host + ": " + default6(bridge, 0) + " to " + default6(bridge, DEFAULT6_TRIES - 1)
                + " overlap what the host has (the first: " + first + "); choose one with subnet6(...)");
    }

    /**
     * Refuses a new network's subnet that overlaps an address or a (non-default) route of the host
     * namespace, and so another bridge network of the host. Addresses and routes on a link named like the
     * network's bridge are its own (another process made the same network a moment ago) and do not count.
     *
     * @param host the host
     * @param rtnl a client in the host's namespace
     * @param bridge the new network's bridge name
     * @param subnet its subnet
     * @throws NetnsException naming what the subnet overlaps
     */
    static void checkFree(Host host, RtnlClient rtnl, String bridge, Cidr subnet) throws NetnsException {
        String used = overlap(rtnl, bridge, subnet);
        if (used != null) {
            throw NetnsException.failure("bridge network", "subnet " + subnet + " of new bridge network '" + bridge
                    + "' overlaps " + used + " on " + host + "; choose a subnet that the host does not use");
        }
    }

    /** @return what of the host the subnet overlaps (an address or a non-default route of its family), or null */
    private static String overlap(RtnlClient rtnl, String bridge, Cidr subnet) throws NetnsException {
        Map<Integer, Link> links = new HashMap<>();
        for (Link l : rtnl.links()) {
            links.put(l.index(), l);
        }
        for (Addr a : rtnl.addresses()) {
            if (a.isIpv4() == subnet.isIpv6()) {
                continue;
            }
            Link l = link(rtnl, links, a.linkIndex());
            if (l != null && l.name().equals(bridge)) {
                continue;
            }
            Cidr held = Cidr.of(a.address(), a.prefixLength());
            if (held.overlaps(subnet)) {
                return "address " + Inet.toText(a.address()) + "/" + a.prefixLength() + " of " + describe(l, a.linkIndex());
            }
        }
        int family = subnet.isIpv6() ? Addr.AF_INET6 : Addr.AF_INET;
        for (Route r : rtnl.routes()) {
            if (r.family() != family || r.isDefault()) {
                continue;
            }
            Link l = link(rtnl, links, r.outputIndex());
            if (l != null && l.name().equals(bridge)) {
                continue;
            }
            if (Cidr.of(r.destination(), r.prefixLength()).overlaps(subnet)) {
                return "route " + Cidr.of(r.destination(), r.prefixLength()) + (r.gateway() == null ? "" : " via " + Inet.toText(r.gateway()))
                        + (l == null ? "" : " dev " + l.name());
            }
        }
        return null;
    }

    /** A link by index, asked again when made after the listing (by another process making this network). */
    private static Link link(RtnlClient rtnl, Map<Integer, Link> links, int index) throws NetnsException {
        if (index <= 0) {
            return null;
        }
        Link l = links.get(index);
        if (l == null) {
            l = rtnl.link(index).orElse(null);
            if (l != null) {
                links.put(index, l);
            }
        }
        return l;
    }

    private static String describe(Link l, int index) {
        if (l == null) {
            return "interface #" + index;
        }
        return "bridge".equals(l.kind()) ? "bridge " + l.name() + " (a bridge network of the host)" : "interface " + l.name();
    }

    /**
     * @param rtnl a client in the host's namespace
     * @param subnet a network's subnet
     * @return the addresses of that subnet which an interface of the host holds (the bridge's own gateway
     *     among them), with the interface's index
     * @throws NetnsException if the addresses cannot be listed
     */
    static Map<InetAddress, Integer> held(RtnlClient rtnl, Cidr subnet) throws NetnsException {
        return held(rtnl.addresses(), subnet);
    }

    /**
     * @param all the addresses of the host's namespace
     * @param subnet a network's subnet
     * @return those of the subnet, with the interface's index
     */
    static Map<InetAddress, Integer> held(List<Addr> all, Cidr subnet) {
        Map<InetAddress, Integer> out = new HashMap<>();
        for (Addr a : all) {
            if (subnet.contains(a.address())) {
                out.put(a.address(), a.linkIndex());
            }
        }
        return out;
    }
}
