package io.netns.iptables;

import io.netns.Exposure;
import io.netns.PublishedPort;
import io.netns.internal.Inet;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.Map;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Internal use only: the rules the library writes for each {@link io.netns.Firewall} call, as pure
 * functions of the values (no I/O), so they can be pinned by golden files.
 */
final class Rules {
    static final Inet.Cidr LOOPBACK4 = Inet.Cidr.parse("loopback", "127.0.0.0/8");
    static final Inet.Cidr LOOPBACK6 = Inet.Cidr.parse("loopback", "::1/128");

    private Rules() {
    }

    /** @return the jump from the chain's built-in parent: {@code -I INPUT 1 -m comment --comment "netns:chain" -j NETNS-INPUT} */
    static Rule jump(Chain chain) {
        return Rule.in(chain.parent()).comment(Ruleset.JUMP_TAG).jump(chain.name());
    }

    /**
     * A bridge network's rules, appended: masquerade of its traffic leaving the bridge, masquerade of
     * DNATed flows from its own sandboxes (hairpin) and, for IPv4, from 127.0.0.0/8 of the host; forwarding
     * out of the bridge from its subnet, of replies into it, and of flows into it that a published port's
     * DNAT made (so a sandbox's publication writes no filter rule, whatever the FORWARD policy); and its
     * isolation: in {@code NETNS-ISOLATION}, a drop of what other networks send into it that is not the
     * DNAT of a published port. Every rule names the bridge; the accepts also the subnet. Without
     * {@code masquerade} (a routed network: NAT66 off) the first rule, the masquerade of traffic leaving
     * the bridge, is left out; the hairpin masquerade stays (without it a sandbox's reply to a DNATed flow
     * from its own network would bypass the host and never be un-NATed).
     */
    static List<Rule> network(String tag, String bridge, Inet.Cidr subnet) {
        return network(tag, bridge, subnet, true);
    }

    static List<Rule> network(String tag, String bridge, Inet.Cidr subnet, boolean masquerade) {
        List<Rule> r = new ArrayList<>();
        if (masquerade) {
            r.add(Rule.in(Chain.NETNS_POSTROUTING).source(subnet).notOutInterface(bridge).comment(tag).jump("MASQUERADE"));
        }
        r.add(Rule.in(Chain.NETNS_POSTROUTING).source(subnet).outInterface(bridge).ctstate("DNAT").comment(tag)
                .jump("MASQUERADE"));
        if (!subnet.isIpv6()) {
            r.add(Rule.in(Chain.NETNS_POSTROUTING).source(LOOPBACK4).outInterface(bridge).comment(tag).jump("MASQUERADE"));
        }
        r.add(Rule.in(Chain.NETNS_FORWARD).inInterface(bridge).source(subnet).comment(tag).jump("ACCEPT"));
        r.add(Rule.in(Chain.NETNS_FORWARD).outInterface(bridge).destination(subnet).ctstate("RELATED", "ESTABLISHED")
                .comment(tag).jump("ACCEPT"));
        r.add(Rule.in(Chain.NETNS_FORWARD).notInInterface(bridge).outInterface(bridge).destination(subnet)
                .ctstate("DNAT").comment(tag).jump("ACCEPT"));
        r.add(Rule.in(Chain.NETNS_ISOLATION).outInterface(bridge).notCtstate("DNAT").comment(tag).jump("DROP"));
        return r;
    }

    /**
     * A bridge network's rule inserted first in {@code NETNS-FORWARD} (before every network's accepts):
     * traffic leaving its bridge for another interface goes through {@code NETNS-ISOLATION} (Docker's
     * {@code DOCKER-ISOLATION-STAGE-1}).
     */
    static Rule isolation(String tag, String bridge) {
        return Rule.in(Chain.NETNS_FORWARD).inInterface(bridge).notOutInterface(bridge).comment(tag)
                .jump(Chain.NETNS_ISOLATION.name());
    }

    /**
     * The rules that connect two networks both ways ({@code bridge().connectTo(...)}), inserted first in
     * {@code NETNS-ISOLATION}: their traffic returns before the drops.
     */
    static List<Rule> connect(String tag, String bridge, String other) {
        return List.of(Rule.in(Chain.NETNS_ISOLATION).inInterface(bridge).outInterface(other).comment(tag).jump("RETURN"),
                Rule.in(Chain.NETNS_ISOLATION).inInterface(other).outInterface(bridge).comment(tag).jump("RETURN"));
    }

    /**
     * A sandbox's published ports, as elements of the maps of the library's nf_tables table: one element
     * per port, one interval element per range whose ports keep their numbers ({@code 8000-8099:8000-8099},
     * which DNATs the address only), and one element per port of a range mapped to other numbers
     * ({@code 8000-8099:9000-9099}: the kernel's nf_tables cannot shift a port range, see {@link NatTable}).
     * A published port on every host address matches every local address of the host (from other hosts
     * and sandboxes, and from the host itself, 127.0.0.1 included); one on a loopback address only the
     * host's own traffic; {@code ::1} is never DNATed (see {@link #checkNotLoopback6}). Forwarding of the
     * DNATed flows is the network's rule ({@link #network}).
     *
     * @throws IllegalArgumentException if a port still chooses its host port ({@link PublishedPort#choosesHostPort()}:
     *     the choice is made before), or has a host address of the other family, or is on {@code ::1}
     */
    static List<NatTable.Mapping> publish(String tag, InetAddress sandboxIp, List<PublishedPort> ports) {
        Family family = Family.of(sandboxIp);
        Set<NatTable.Mapping> r = new LinkedHashSet<>();
        for (PublishedPort p : ports) {
            if (p.hostIp() != null && Family.of(p.hostIp()) != family) {
                throw new IllegalArgumentException("published port " + p + " has a host address of another family than "
                        + "the sandbox address " + Addr.text(sandboxIp));
            }
            checkNotLoopback6(p);
            if (p.choosesHostPort()) {
                throw new IllegalArgumentException("the host port of " + p + " is not chosen yet");
            }
            InetAddress on = p.hostIp() == null || p.hostIp().isAnyLocalAddress() ? null : p.hostIp();
            if (p.hostPort() == p.hostPortEnd()) {
                r.add(NatTable.Mapping.port(p.protocol(), on, p.hostPort(), sandboxIp, p.containerPort(), tag));
            } else if (p.hostPort() == p.containerPort()) {
                r.add(new NatTable.Mapping(p.protocol(), on, p.hostPort(), p.hostPortEnd(), sandboxIp, 0, tag));
            } else {
                for (int i = 0; i <= p.hostPortEnd() - p.hostPort(); i++) {
                    r.add(NatTable.Mapping.port(p.protocol(), on, p.hostPort() + i, sandboxIp, p.containerPort() + i, tag));
                }
            }
        }
        return new ArrayList<>(r);
    }

    /**
     * Refuses a port published on {@code ::1}: the host's packets to {@code [::1]} DNATed to a sandbox leave
     * the host with the source {@code ::1}, which the sandbox's kernel drops (a loopback source on a
     * non-loopback interface, RFC 4291 2.5.3); IPv6 has no {@code route_localnet}. Docker answers
     * {@code [::1]} with its userland proxy; netns has none. For the same reason a wildcard publication's
     * DNAT from the host leaves {@code ::1} alone.
     *
     * @throws IllegalArgumentException if the port's host address is {@code ::1}
     */
    static void checkNotLoopback6(PublishedPort p) {
        if (p.hostIp() != null && Family.of(p.hostIp()) == Family.IPV6 && p.hostIp().isLoopbackAddress()) {
            throw new IllegalArgumentException("published port " + p + " cannot be on the IPv6 loopback address ::1: "
                    + "the kernel drops a DNAT from ::1 to a sandbox (IPv6 has no route_localnet); publish on 127.0.0.1 "
                    + "or on an address of the host");
        }
    }

    /**
     * A sandbox's addresses by family, checked.
     *
     * @param sandboxIps one address, or one of each family
     * @return them by family, IPv4 first
     * @throws IllegalArgumentException if there is none, a null, or two of one family
     */
    static Map<Family, InetAddress> byFamily(List<InetAddress> sandboxIps) {
        if (sandboxIps == null || sandboxIps.isEmpty() || sandboxIps.size() > 2) {
            throw new IllegalArgumentException("a sandbox publishes with one address, or one of each family: "
                    + sandboxIps);
        }
        Map<Family, InetAddress> out = new EnumMap<>(Family.class);
        for (InetAddress a : sandboxIps) {
            if (a == null) {
                throw new IllegalArgumentException("a sandbox address is null: " + sandboxIps);
            }
            if (out.put(Family.of(a), a) != null) {
                throw new IllegalArgumentException("two sandbox addresses of one family: " + sandboxIps);
            }
        }
        return out;
    }

    /**
     * The ports a publication makes in one family: those without a host address (every family) and those
     * whose host address, a wildcard included, is of that family ({@code 0.0.0.0}: IPv4 only; {@code ::}:
     * IPv6 only).
     */
    static List<PublishedPort> portsOf(Family family, List<PublishedPort> ports) {
        List<PublishedPort> out = new ArrayList<>();
        for (PublishedPort p : ports) {
            if (p.hostIp() == null || Family.of(p.hostIp()) == family) {
                out.add(p);
            }
        }
        return out;
    }

    /** Host-mode openings: an ACCEPT in NETNS-INPUT per opening, without {@code -d} for a wildcard address. */
    static List<Rule> expose(String tag, List<Exposure> openings) {
        Set<Rule> r = new LinkedHashSet<>();
        for (Exposure e : openings) {
            InetAddress a = e.address().getAddress();
            Rule.Builder b = Rule.in(Chain.NETNS_INPUT);
            if (!a.isAnyLocalAddress()) {
                b.destination(a);
            }
            r.add(b.dport(e.protocol(), e.address().getPort()).comment(tag).jump("ACCEPT"));
        }
        return new ArrayList<>(r);
    }

    /** @return whether any port needs DNAT of 127.0.0.1 (wildcard or loopback IPv4 host address) */
    static boolean needsRouteLocalnet(InetAddress sandboxIp, List<PublishedPort> ports) {
        if (Family.of(sandboxIp) != Family.IPV4) {
            return false;
        }
        for (PublishedPort p : ports) {
            if (p.hostIp() == null || p.hostIp().isAnyLocalAddress() || p.hostIp().isLoopbackAddress()) {
                return true;
            }
        }
        return false;
    }

    /** The chains a set of rules lives in. */
    static Set<Chain> chains(List<Rule> rules) {
        Set<Chain> out = new LinkedHashSet<>();
        for (Rule r : rules) {
            out.add(r.chain());
        }
        return out;
    }
}
