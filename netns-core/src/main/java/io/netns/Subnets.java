package io.netns;

import io.netns.internal.Inet;
import io.netns.internal.Inet.Cidr;
import io.netns.rtnl.Addr;
import io.netns.rtnl.Link;
import io.netns.rtnl.Route;
import io.netns.rtnl.RtnlClient;
import java.net.InetAddress;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Which IPv4 subnets a bridge network may use: never a special-purpose range (checked at the call), never
 * one that overlaps what the host namespace already has (checked when the network is made), and never an
 * address a host interface holds (checked at every lease).
 */
final class Subnets {
    /** The shortest prefix a bridge subnet may have. */
    static final int MIN_PREFIX = 8;

    /** Ranges no bridge subnet may overlap, with what they are (RFC 6890); the first match is named. */
    private static final Map<Cidr, String> SPECIAL = new LinkedHashMap<>();

    static {
        SPECIAL.put(Cidr.parse("range", "0.0.0.0/8"), "the unspecified (\"this network\") range");
        SPECIAL.put(Cidr.parse("range", "127.0.0.0/8"), "the loopback range");
        SPECIAL.put(Cidr.parse("range", "169.254.0.0/16"), "the link-local range");
        SPECIAL.put(Cidr.parse("range", "224.0.0.0/4"), "the multicast range");
        SPECIAL.put(Cidr.parse("range", "255.255.255.255/32"), "the limited broadcast address");
        SPECIAL.put(Cidr.parse("range", "240.0.0.0/4"), "the reserved class E range");
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
        Map<Integer, Link> links = new HashMap<>();
        for (Link l : rtnl.links()) {
            links.put(l.index(), l);
        }
        for (Addr a : rtnl.addresses()) {
            Link l = link(rtnl, links, a.linkIndex());
            if (!a.isIpv4() || (l != null && l.name().equals(bridge))) {
                continue;
            }
            Cidr held = Cidr.of(a.address(), a.prefixLength());
            if (held.overlaps(subnet)) {
                throw overlap(host, bridge, subnet, "address " + a.cidr() + " of " + describe(l, a.linkIndex()));
            }
        }
        for (Route r : rtnl.routes()) {
            Link l = link(rtnl, links, r.outputIndex());
            if (r.family() != Addr.AF_INET || r.isDefault() || (l != null && l.name().equals(bridge))) {
                continue;
            }
            if (Cidr.of(r.destination(), r.prefixLength()).overlaps(subnet)) {
                throw overlap(host, bridge, subnet, "route " + r.destinationCidr()
                        + (r.gateway() == null ? "" : " via " + Inet.toText(r.gateway()))
                        + (l == null ? "" : " dev " + l.name()));
            }
        }
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

    private static NetnsException overlap(Host host, String bridge, Cidr subnet, String what) {
        return NetnsException.failure("bridge network", "subnet " + subnet + " of new bridge network '" + bridge + "' overlaps "
                + what + " on " + host + "; choose a subnet that the host does not use");
    }

    /**
     * @param rtnl a client in the host's namespace
     * @param subnet a network's subnet
     * @return the addresses of that subnet which an interface of the host holds (the bridge's own gateway
     *     among them), with the interface's index
     * @throws NetnsException if the addresses cannot be listed
     */
    static Map<InetAddress, Integer> held(RtnlClient rtnl, Cidr subnet) throws NetnsException {
        Map<InetAddress, Integer> out = new HashMap<>();
        List<Addr> all = rtnl.addresses();
        for (Addr a : all) {
            if (subnet.contains(a.address())) {
                out.put(a.address(), a.linkIndex());
            }
        }
        return out;
    }
}
