package io.netns.planner;

import io.netns.planner.Occupancy.Check;
import io.netns.planner.Occupancy.Claim;
import io.netns.planner.Occupancy.Occ;
import io.netns.planner.PlanEngine.Failure;
import io.netns.planner.PlanEngine.Result;
import io.netns.planner.SearchMemo.Known;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Internal use only. The English of a plan (§6.11): for each service what was chosen, or what blocks it, the
 * kernel rule that applied and concrete remedies. Remedies that name a free address or port are computed once
 * every service is planned, so they are free in the final plan, not only when the service was considered.
 */
final class Explainer {

    private final Occupancy occupancy;
    private final Candidates candidates;
    private final SearchMemo memo;
    private final PortOrder ports;
    private final KernelPorts kernel;
    private final Check scratch = new Check();
    private final Map<List<Object>, Integer> lowestFreeCache = new HashMap<>();

    Explainer(Occupancy occupancy, Candidates candidates, SearchMemo memo, PortOrder ports) {
        this.occupancy = occupancy;
        this.candidates = candidates;
        this.memo = memo;
        this.ports = ports;
        this.kernel = ports.kernel();
    }

    /**
     * The explanation of one service's result. Call only once every service is planned: remedies are cached on
     * the assumption that occupancy no longer changes.
     */
    String explain(Result res) {
        ListenRequest r = res.request;
        StringBuilder sb = new StringBuilder(160); // most explanations are 40-400 characters
        if (res.status == Status.OK) {
            sb.append(r.name).append(": ");
            StringBuilder bs = new StringBuilder();
            for (Binding b : res.bindings) {
                bs.append(bs.length() == 0 ? "" : ", ").append(b);
            }
            sb.append(bs).append(res.bindings.size() > 1 ? " are free" : " is free");
            for (String n : res.preferNotes) {
                sb.append("; ").append(n);
            }
            for (String n : res.notes) {
                sb.append("; ").append(n);
            }
            return sb.append('.').toString();
        }
        Failure f = res.failure;
        sb.append(r.name).append(": ").append(f.status).append(": ");
        switch (f.status) {
            case INVALID_REQUEST:
                sb.append(f.reason);
                break;
            case SCOPE_REQUIRED: {
                Ip ip = f.group.get(0).ip;
                sb.append(addressReason(Status.SCOPE_REQUIRED, ip, f.port));
                break;
            }
            case ADDRESS_NOT_ON_HOST: {
                if (f.reason != null) {
                    sb.append(f.reason).append(". Remedy: add an address to an interface, or require(...) one"
                            + " explicitly");
                } else {
                    Ip ip = f.group.get(0).ip;
                    sb.append(addressReason(Status.ADDRESS_NOT_ON_HOST, ip, f.port));
                    Ip alt = freeAddress(r, f.port, ip.family());
                    if (alt != null) {
                        sb.append("; or use ").append(alt).append(", where ").append(protoLabel(r)).append(' ')
                                .append(f.port).append(" is free");
                    }
                }
                break;
            }
            case PRIVILEGED_PORT: {
                sb.append("port ").append(f.port).append(" is below net.ipv4.ip_unprivileged_port_start=")
                        .append(kernel.unprivilegedPortStart())
                        .append(" and the service lacks CAP_NET_BIND_SERVICE, so bind() fails with EACCES. Remedy:"
                                + " grant CAP_NET_BIND_SERVICE (capNetBindService(true)), or sysctl -w"
                                + " net.ipv4.ip_unprivileged_port_start=")
                        .append(f.port);
                if (f.group != null) {
                    int q = lowestFreePort(r, f.group, Math.max(kernel.unprivilegedPortStart(), 1) - 1);
                    if (q > 0) {
                        sb.append(", or use port ").append(q).append(", the lowest free unprivileged port on ")
                                .append(groupText(f.group));
                    }
                }
                break;
            }
            case ADDRESS_IN_USE: {
                Check c = f.blocker;
                sb.append(c.hardProto.label()).append(' ').append(c.hardClaim.bracketed()).append(':').append(f.port)
                        .append(" is taken by ").append(blockerText(c, r));
                if (res.notes.size() > 0) {
                    for (String n : res.notes) {
                        sb.append("; ").append(n);
                    }
                }
                sb.append(". Remedy: ");
                List<String> rem = new ArrayList<>();
                if (r.wild == ListenRequest.Wild.NONE) {
                    Ip alt = freeAddress(r, f.port, r.family);
                    if (alt != null) {
                        rem.add("port " + f.port + " is free on " + alt + " (require(\"" + alt + "\"))");
                    }
                }
                int q = lowestFreePort(r, groupOf(c, f.group), f.port);
                if (q > 0) {
                    rem.add("the lowest free port on " + groupText(groupOf(c, f.group)) + " is " + q);
                }
                if (c.hard.existing != null) {
                    rem.add(c.hard.addr.isAny() ? "reconfigure the existing listener to a specific address"
                            : "stop or move the existing socket");
                } else {
                    rem.add("give service " + c.hard.service + " another address or port");
                }
                sb.append(String.join("; or ", rem));
                break;
            }
            case NO_FREE_PORT: {
                String range = r.mode == ListenRequest.PortMode.ANY ? "the automatic pool (" + ports.poolText(r) + ")"
                        : r.low + "-" + r.high;
                sb.append("every port of ").append(range).append(" is taken on every candidate address");
                if (f.blocker != null && f.blocker.hard != null) {
                    sb.append(" (first: ").append(f.blocker.hardProto.label()).append(' ')
                            .append(f.blocker.hardClaim.bracketed()).append(':').append(f.port).append(" by ")
                            .append(blockerText(f.blocker, r)).append(')');
                }
                sb.append(". Remedy: ");
                int q = r.mode == ListenRequest.PortMode.RANGE ? lowestFreePort(r, f.group, r.high) : -1;
                if (q > 0) {
                    sb.append("widen the range: the lowest free port above it on ").append(groupText(f.group))
                            .append(" is ").append(q);
                } else {
                    sb.append("free a port, add a host address, or widen net.ipv4.ip_local_port_range");
                }
                break;
            }
            default:
                break;
        }
        return sb.append('.').toString();
    }

    private static List<Claim> groupOf(Check c, List<Claim> fallback) {
        if (c != null && c.hardClaim != null && !c.hardClaim.isAny()) {
            return List.of(new Claim(c.hardClaim, false));
        }
        return fallback;
    }

    private static String protoLabel(ListenRequest r) {
        return r.tcp && r.udp ? "tcp+udp" : r.tcp ? "tcp" : "udp";
    }

    private static String groupText(List<Claim> g) {
        StringBuilder sb = new StringBuilder();
        for (Claim c : g) {
            sb.append(sb.length() == 0 ? "" : " + ").append(c.ip.bracketed());
        }
        return sb.toString();
    }

    static String sysctlNonlocal(Ip ip) {
        return ip.isV6() ? "net.ipv6.ip_nonlocal_bind" : "net.ipv4.ip_nonlocal_bind";
    }

    String addressReason(Status st, Ip ip, int port) {
        if (st == Status.SCOPE_REQUIRED) {
            List<String> ifs = candidates.interfacesOf(ip);
            return ip + " is an IPv6 link-local address and bind() needs its interface (scope id), else EINVAL."
                    + " Remedy: write " + (ifs.isEmpty() ? ip + "%<interface>" : ip + "%" + ifs.get(0))
                    + (ifs.size() > 1 ? " (also on " + String.join(", ", ifs.subList(1, ifs.size())) + ")" : "");
        }
        return ip + " is not an address of this host, so bind() fails with EADDRNOTAVAIL. Remedy: add it to an"
                + " interface (ip addr add " + ip.withoutZone() + (ip.isV6() ? "/128" : "/32") + " dev <if>), use"
                + " freebind() (" + (ip.isV6() ? "IPV6_FREEBIND" : "IP_FREEBIND") + "), or sysctl -w "
                + sysctlNonlocal(ip) + "=1";
    }

    /** The blocker, the rule that applied. */
    String blockerText(Check c, ListenRequest r) {
        Occ o = c.hard;
        Ip cand = c.hardClaim;
        StringBuilder sb = new StringBuilder(o.describe()).append(": ");
        Ip a = o.addr;
        if (o.existing != null && o.existing.proto == Protocol.TCP && !o.existing.isListen()) {
            sb.append("the local port of a TCP socket in state ").append(o.existing.state)
                    .append(" blocks a listener on an overlapping address even with SO_REUSEADDR");
            if (!cand.equals(a)) {
                sb.append(" (").append(rule(cand, c.hardClaimDual, o)).append(')');
            }
            return sb.toString();
        }
        sb.append(rule(cand, c.hardClaimDual, o));
        if (r.reuseUid >= 0 && o.existing != null) {
            sb.append("; SO_REUSEPORT shares only an identical address between sockets of the same effective UID"
                    + " (this service uid=").append(r.reuseUid).append(", existing uid=")
                    .append(o.uid < 0 ? "unknown" : Integer.toString(o.uid)).append(')');
        } else if (r.reuseUid >= 0 && o.existing == null) {
            sb.append("; SO_REUSEPORT shares only an identical address when both sockets set it under the same"
                    + " effective UID");
        } else if (c.hardProto == Protocol.UDP) {
            sb.append(" (UDP shares a port only when both sockets set SO_REUSEADDR; the planner never assumes it)");
        } else if (!Occupancy.sameAddr(cand, a)) {
            sb.append(" (on Linux SO_REUSEADDR does not let overlapping addresses share a port once one listens)");
        }
        return sb.toString();
    }

    static String rule(Ip cand, boolean candDual, Occ o) {
        Ip a = o.addr;
        if (Occupancy.sameAddr(cand, a)) {
            return a.isAny() && a.isV6() ? "[::] and [::] always conflict, whatever v6only"
                    : "the same address and port are already bound";
        }
        if (!cand.isV6() && !cand.isAny()) {
            if (a.equals(Ip.ANY4)) {
                return "0.0.0.0 covers every IPv4 address";
            }
            return "[::] with v6only=0 covers every IPv4 address too" + (o.assumed
                    ? " (v6only is unknown and assumed 0, the Linux default net.ipv6.bindv6only=0)" : "");
        }
        if (cand.isV6() && !cand.isAny()) {
            return "[::] covers every IPv6 address";
        }
        if (cand.equals(Ip.ANY4)) {
            return a.isV6() ? "[::] with v6only=0 covers every IPv4 address, 0.0.0.0 included"
                    + (o.assumed ? " (v6only is unknown and assumed 0, the Linux default)" : "")
                    : "0.0.0.0 covers every IPv4 address, " + a + " included";
        }
        return a.isV6() ? "[::] covers every IPv6 address, " + a + " included"
                : "a dual-stack [::] (v6only=0) covers every IPv4 address, " + a + " included";
    }

    /** The first host candidate (of the family, if given) where the port is free for the request. */
    private Ip freeAddress(ListenRequest r, int port, Family f) {
        if (port <= 0) {
            return null;
        }
        List<Ip> c = candidates.of(f);
        List<List<Claim>> groups = candidates.groups(f);
        Known kn = memo.known(memo.shape(r, f), port, f);
        for (int i = kn.busyPrefix; i < c.size(); i++) {
            if (kn.busy(i)) {
                continue; // occupancy only grows: still not free
            }
            occupancy.checkGroup(r, port, groups.get(i), scratch);
            kn.record(i, scratch);
            if (scratch.free()) {
                return c.get(i);
            }
        }
        return null;
    }

    /** The lowest port above {@code after} where the group is free and the port is allowed, or -1. */
    private int lowestFreePort(ListenRequest r, List<Claim> group, int after) {
        if (group == null) {
            return -1;
        }
        // Explanations are written once the plan is final: the answer depends only on these.
        List<Object> key = new ArrayList<>(5 + 2 * group.size());
        key.add(r.tcp);
        key.add(r.udp);
        key.add(r.reuseUid);
        key.add(r.cap);
        key.add(after);
        for (Claim c : group) {
            key.add(c.ip);
            key.add(c.dual);
        }
        Integer q = lowestFreeCache.get(key);
        if (q == null) {
            q = scanFreePort(r, group, after);
            lowestFreeCache.put(key, q);
        }
        return q;
    }

    private int scanFreePort(ListenRequest r, List<Claim> group, int after) {
        for (int p = Math.max(after + 1, 1); p <= 65535; p++) {
            if (ports.privileged(p, r)) {
                continue;
            }
            occupancy.checkGroup(r, p, group, scratch);
            if (scratch.free()) {
                return p;
            }
        }
        return -1;
    }

    // ---------------------------------------------------------------------------------------------------------
    // Notes written while planning: facts about the chosen binding, not remedies.

    String wildcardCollapsedNote(ListenRequest r) {
        return "asked for all interfaces and " + (r.require != null ? r.require : r.prefer)
                + "; only the wildcard is kept, because a wildcard and a specific address on one port"
                + " conflict on Linux (httpd fails with AH00072, nginx binds only the wildcard)";
    }

    String ipv4OnlyNote() {
        return "the host has no IPv6 address other than loopback, so all interfaces means 0.0.0.0"
                + " only (getaddrinfo AI_ADDRCONFIG)";
    }

    String preferredUnusableNote(ListenRequest r, Status problem) {
        return "preferred " + r.prefer + " is unusable: " + addressReason(problem, r.prefer, r.low);
    }

    String noCandidateReason(ListenRequest r) {
        return "the host has no usable " + (r.family == null ? "" : r.family == Family.IPV4 ? "IPv4 " : "IPv6 ")
                + "address to choose from (loopback and link-local addresses are never picked"
                + " automatically; host addresses: " + candidates.describe() + ")";
    }

    /** Why the preferred address was passed over, given its check {@code c}; null when it was not. */
    String preferredSkippedNote(Ip preferred, int port, Check c, ListenRequest r) {
        if (c.hard != null) {
            return "preferred " + preferred.bracketed() + ":" + port + " is taken: " + blockerText(c, r);
        }
        if (c.soft != null) {
            return "preferred " + preferred.bracketed() + ":" + port + " has a TIME_WAIT socket ("
                    + c.soft.describe() + ")";
        }
        return null;
    }

    String timeWaitNote(Occ soft) {
        return "a TCP socket in TIME_WAIT overlaps (" + soft.describe() + "): the bind works only"
                + " if both sockets set SO_REUSEADDR, as httpd and nginx do";
    }

    String reusePortNote(Occ shared, ListenRequest r) {
        return "shares " + shared.describe() + " through SO_REUSEPORT with uid "
                + r.reuseUid + "; /proc cannot show whether that socket set SO_REUSEPORT";
    }

    String nonlocalNote(Ip ip, boolean freebind) {
        return ip + " is not on the host; the bind relies on " + (freebind
                ? (ip.isV6() ? "IPV6_FREEBIND" : "IP_FREEBIND") : sysctlNonlocal(ip) + "=1");
    }

    String ephemeralNote(int port) {
        return "port " + port + " is inside net.ipv4.ip_local_port_range " + kernel.ephemeralLow() + "-"
                + kernel.ephemeralHigh() + ", where outbound connections may take it first";
    }

    String reservedNote(int port) {
        return "port " + port + " is in net.ipv4.ip_local_reserved_ports; explicit binds still work";
    }
}
