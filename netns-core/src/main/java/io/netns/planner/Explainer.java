package io.netns.planner;

import io.netns.internal.posix.Native;
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
            if (res.assumedPort > 0) {
                sb.append("; an existing [::]:").append(res.assumedPort).append(" of unknown v6only was assumed"
                        + " dual-stack, which ruled out IPv4 addresses there: check with `ss -l")
                        .append(r.tcp ? "t" : "u").append("ne 'sport = :").append(res.assumedPort)
                        .append("'` (v6only:1 frees them)");
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
                symptom(sb.append(". "), r, f.group, ip, f.port, EINVAL);
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
                        sb.append("; or use ").append(alt.bracketed()).append(':').append(f.port).append(", where ")
                                .append(protoLabel(r)).append(' ').append(f.port).append(" is free");
                    }
                    symptom(sb.append(". "), r, f.group, ip, f.port, EADDRNOTAVAIL);
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
                        sb.append(", or use ").append(groupAt(f.group, q))
                                .append(", the lowest free unprivileged port there");
                    }
                    symptom(sb.append(". "), r, f.group, f.group.get(0).ip, f.port, EACCES);
                }
                break;
            }
            case ADDRESS_IN_USE:
                addressInUse(sb, res, f);
                return sb.toString(); // ends with its own sentence
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
                if (f.blocker != null && f.blocker.hard != null) {
                    sb.append('.');
                    checks(sb, f.blocker, f.port);
                    return sb.toString();
                }
                break;
            }
            default:
                break;
        }
        return sb.append('.').toString();
    }

    // ---------------------------------------------------------------------------------------------------------
    // ADDRESS_IN_USE: what holds it and why, what the service will log, every free alternative (same port on
    // another address, then another port, then the other family), remedies, and checks for what was assumed.

    /** At most this many free addresses are listed per kind of alternative; more are summed up as "and more". */
    static final int MAX_LISTED = 4;

    private void addressInUse(StringBuilder sb, Result res, Failure f) {
        ListenRequest r = res.request;
        Check c = f.blocker;
        int port = f.port;
        if (r.tcp && r.udp) {
            // each protocol's outcome by name: the other one may be free
            Protocol other = c.hardProto == Protocol.TCP ? Protocol.UDP : Protocol.TCP;
            List<Claim> g = List.of(new Claim(c.hardClaim, c.hardClaimDual));
            occupancy.checkGroup(r, port, g, scratch, other == Protocol.TCP, other == Protocol.UDP);
            if (scratch.hard == null) {
                sb.append(other.label()).append(' ').append(c.hardClaim.bracketed()).append(':').append(port)
                        .append(" is free; ");
            }
        }
        sb.append(c.hardProto.label()).append(' ').append(c.hardClaim.bracketed()).append(':').append(port)
                .append(" is taken by ").append(blockerText(c, r));
        for (String n : res.notes) {
            sb.append("; ").append(n);
        }
        symptom(sb.append(". "), r, f.group, c.hardClaim, port, EADDRINUSE);
        sb.append('.');
        List<String> alts = alternatives(r, f, c);
        if (!alts.isEmpty()) {
            sb.append(" Free instead: ").append(String.join(", ", alts)).append('.');
        }
        sb.append(" Or ");
        Occ o = c.hard;
        String who = o.existing != null ? "the existing listener" : "service " + o.service;
        if (o.addr.isAny()) {
            sb.append("narrow ").append(who).append(" to one address");
            String[] ab = narrowing(r, port, c);
            if (ab != null) {
                sb.append(", e.g. ").append(ab[0]).append(", which leaves ").append(ab[1])
                        .append(" free for this service");
            }
            if (o.dual && !c.hardClaim.isV6()) {
                sb.append(", or make it IPv6-only (IPV6_V6ONLY=1, nginx ipv6only=on)");
            }
        } else if (o.existing != null) {
            sb.append("stop or move the existing socket");
        } else {
            sb.append("give service ").append(o.service).append(" another address or port");
        }
        sb.append('.');
        checks(sb, c, port);
    }

    /** The free alternatives in ip:port form, ordered by how little they change. */
    private List<String> alternatives(ListenRequest r, Failure f, Check c) {
        int port = f.port;
        List<Claim> g = f.group;
        boolean wildcard = g.get(0).ip.isAny();
        List<String> out = new ArrayList<>();
        // 1. the same port on another address of the same family (for all interfaces: any specific address)
        if (wildcard) {
            boolean both = g.size() == 2 || g.get(0).dual;
            if (both || !g.get(0).ip.isV6()) {
                freeAt(r, port, Family.IPV4, null, out);
            }
            if (both || g.get(0).ip.isV6()) {
                freeAt(r, port, Family.IPV6, null, out);
            }
        } else if (r.require != null) {
            freeAt(r, port, r.require.family(), r.require, out);
        }
        // 2. another port on the wanted address (or wildcard)
        List<Claim> at = groupOf(c, g);
        int q = lowestFreePort(r, at, port);
        if (q > 0) {
            out.add(groupAt(at, q));
        }
        // 3. the other family on the same port: one wildcard alone, or the other family's addresses
        if (wildcard) {
            List<Ip> halves = g.size() == 2 ? List.of(Ip.ANY4, Ip.ANY6)
                    : g.get(0).dual ? List.of() : List.of(g.get(0).ip.isV6() ? Ip.ANY4 : Ip.ANY6);
            for (Ip any : halves) {
                if (!(any.isV6() ? candidates.has6 : candidates.has4)) {
                    continue; // the host has no address of that family
                }
                occupancy.checkGroup(r, port, List.of(new Claim(any, false)), scratch);
                if (scratch.hard == null) {
                    out.add(any.bracketed() + ":" + port + (any.isV6() ? " (IPv6 only, v6only=1)" : " (IPv4 only)"));
                }
            }
        } else if (r.require != null || r.family != null) {
            Family asked = r.require != null ? r.require.family() : r.family;
            freeAt(r, port, asked == Family.IPV4 ? Family.IPV6 : Family.IPV4, null, out);
        }
        return out;
    }

    /**
     * When a wildcard blocks: an address the blocker could narrow to and one that would then be free for this
     * service (its required address, else another candidate), both in ip:port form; null when there are not two.
     */
    private String[] narrowing(ListenRequest r, int port, Check c) {
        Family fam = c.hardClaim.family();
        Ip forUs = r.require != null && r.wild == ListenRequest.Wild.NONE ? r.require
                : c.hardClaim.isAny() ? null : c.hardClaim;
        scratch.ignore = c.hard;
        try {
            if (forUs != null && !freeFor(r, port, forUs)) {
                return null;
            }
            Ip forThem = null;
            for (Ip ip : candidates.of(fam)) {
                if (ip.equals(forUs) || !freeFor(r, port, ip)) {
                    continue;
                }
                if (forThem == null) {
                    forThem = ip;
                    if (forUs != null) {
                        break;
                    }
                } else {
                    forUs = ip;
                    break;
                }
            }
            if (forThem == null || forUs == null) {
                return null;
            }
            return new String[] {forThem.bracketed() + ":" + port, forUs.bracketed() + ":" + port};
        } finally {
            scratch.ignore = null;
        }
    }

    private boolean freeFor(ListenRequest r, int port, Ip ip) {
        occupancy.checkGroup(r, port, List.of(new Claim(ip, false)), scratch);
        return scratch.hard == null;
    }

    /** Adds the candidates of family {@code fam} (other than {@code except}) where the port is free for r. */
    private void freeAt(ListenRequest r, int port, Family fam, Ip except, List<String> out) {
        List<Ip> c = candidates.of(fam);
        List<List<Claim>> groups = candidates.groups(fam);
        Known kn = memo.known(memo.shape(r, fam), port, fam);
        int listed = 0;
        for (int i = kn.busyPrefix; i < c.size(); i++) {
            if (kn.busy(i) || c.get(i).equals(except)) {
                continue; // occupancy only grows: still not free
            }
            occupancy.checkGroup(r, port, groups.get(i), scratch);
            kn.record(i, scratch);
            if (scratch.free()) {
                if (listed == MAX_LISTED) {
                    out.set(out.size() - 1, out.get(out.size() - 1) + " and more");
                    return;
                }
                out.add(c.get(i).bracketed() + ":" + port);
                listed++;
            }
        }
    }

    /** Verification commands for what the verdict assumed: v6only of a {@code [::]}, and who holds the port. */
    private static void checks(StringBuilder sb, Check c, int port) {
        Occ o = c.hard;
        if (o.existing == null) {
            return;
        }
        boolean tcp = c.hardProto == Protocol.TCP;
        String ss = "ss -" + (tcp ? (o.existing.isListen() ? "lt" : "ta") : "lu"); // bound UDP shows as UNCONN
        if (o.assumed) {
            sb.append(" v6only of [::]:").append(port).append(" is unknown and was assumed 0 (the default,"
                    + " net.ipv6.bindv6only=0); check with `").append(ss).append("ne 'sport = :").append(port)
                    .append("'`: v6only:1 would leave IPv4 free.");
        }
        if (o.existing.holder == null) {
            sb.append(" Who holds it: `").append(ss).append("np 'sport = :").append(port).append("'`.");
        }
    }

    static final int EACCES = Native.EACCES;
    static final int EINVAL = Native.EINVAL;
    static final int EADDRINUSE = Native.EADDRINUSE;
    static final int EADDRNOTAVAIL = Native.EADDRNOTAVAIL;

    /** glibc's {@code strerror} text, which the services' logs show (not the platform's, for stable output). */
    private static String strerror(int errno) {
        if (errno == EACCES) {
            return "Permission denied";
        }
        if (errno == EINVAL) {
            return "Invalid argument";
        }
        return errno == EADDRINUSE ? "Address already in use" : "Cannot assign requested address";
    }

    /**
     * What the service will log when {@code bind()} fails with {@code errno}: Apache httpd (TCP only), nginx and a
     * Java server. Apache's {@code Listen N} and Java's {@code new ServerSocket(N)} bind one dual-stack
     * {@code [::]}, nginx binds {@code 0.0.0.0} and {@code [::]} separately.
     */
    private static void symptom(StringBuilder sb, ListenRequest r, List<Claim> group, Ip claim, int port,
            int errno) {
        boolean allInterfaces = group != null && (group.size() == 2 || group.get(0).dual);
        String one = (allInterfaces ? Ip.ANY6 : claim).bracketed() + ":" + port;
        String nginx = claim.bracketed() + ":" + port;
        sb.append("The service will fail: ");
        if (r.tcp) {
            sb.append("Apache logs \"(").append(errno).append(')').append(strerror(errno))
                    .append(": AH00072: make_sock: could not bind to address ").append(one).append("\", ");
        }
        sb.append("nginx \"bind() to ").append(nginx).append(" failed (").append(errno).append(": ")
                .append(strerror(errno)).append(")\", Java \"java.net.BindException: ").append(strerror(errno))
                .append('"');
    }

    /** The group at {@code port} in ip:port form: {@code 10.0.0.1:81}, {@code *:81} for all interfaces. */
    private static String groupAt(List<Claim> g, int port) {
        if (g.size() == 2 || g.get(0).dual) {
            return "*:" + port + " (all interfaces)";
        }
        return g.get(0).ip.bracketed() + ":" + port;
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
            return "[::] with v6only=0 covers every IPv4 address too";
        }
        if (cand.isV6() && !cand.isAny()) {
            return "[::] covers every IPv6 address";
        }
        if (cand.equals(Ip.ANY4)) {
            return a.isV6() ? "[::] with v6only=0 covers every IPv4 address, 0.0.0.0 included"
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
