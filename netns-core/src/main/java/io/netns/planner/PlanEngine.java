package io.netns.planner;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.SortedSet;

/**
 * Internal use only. One planning run: the conflict model of {@code research/planner-rules.md} §3 and the policy
 * of §6, greedy over the services in most-constrained-first order. Occupied (protocol, port) pairs are indexed
 * in paged slots, each keyed by address, so one overlap check costs O(1) for a specific address and
 * O(sockets on that port) for a wildcard. Occupancy only grows, so what a search learns stays true: port searches
 * remember, per distinct request shape, the first port not yet known to be full ({@link Cursor}), and, per check
 * shape and port, which leading candidate addresses are known taken ({@link Known}), so a saturated port costs
 * O(1) amortized per request rather than O(addresses). Remedies in explanations are written once the plan is
 * final and cached. Every shortcut reproduces exactly what the full scan would have reported (warnings, first
 * blocker); {@code GoldenPlanTest} pins that.
 */
final class PlanEngine {

    /** Something that holds a (protocol, port, address): an existing socket or a planned binding. */
    static final class Occ {
        final Ip addr;
        /** {@code ::} that also covers IPv4 (v6only=0, known or assumed). */
        final boolean dual;
        /** v6only was unknown and assumed 0. */
        final boolean assumed;
        /** TIME_WAIT: blocks unless both sides set SO_REUSEADDR. */
        final boolean soft;
        final int uid;
        final boolean reusePort;
        final ExistingSocket existing;
        final String service;
        final Binding binding;
        final int rank;

        Occ(Ip addr, boolean dual, boolean assumed, boolean soft, int uid, boolean reusePort,
                ExistingSocket existing, String service, Binding binding, int rank) {
            this.addr = addr;
            this.dual = dual;
            this.assumed = assumed;
            this.soft = soft;
            this.uid = uid;
            this.reusePort = reusePort;
            this.existing = existing;
            this.service = service;
            this.binding = binding;
            this.rank = rank;
        }

        String describe() {
            if (existing != null) {
                String n = "existing socket '" + existing.notation() + "'";
                if (addr.isV6() && addr.isAny() && existing.v6only == null) {
                    n += assumed ? " (v6only unknown, assumed 0)" : " (v6only inferred 1: 0.0.0.0 on the same port"
                            + " also listens, which a dual-stack [::] would forbid)";
                }
                return n;
            }
            return "planned service " + service + " (" + binding + ")";
        }
    }

    /** Everything on one (protocol, port). */
    static final class Slot {
        final HashMap<Ip, List<Occ>> byAddr = new HashMap<>(4);
        final ArrayList<Occ> all = new ArrayList<>(2);

        void add(Occ o) {
            byAddr.computeIfAbsent(o.addr, k -> new ArrayList<>(1)).add(o);
            all.add(o);
        }
    }

    /** The verdict of checking one claim (or a group of claims) against the slots. */
    static final class Check {
        Occ hard;
        Ip hardClaim;
        boolean hardClaimDual;
        Protocol hardProto;
        Occ soft;
        Occ reuseExisting;
        boolean assumedHit;

        void reset() {
            hard = null;
            hardClaim = null;
            hardProto = null;
            soft = null;
            reuseExisting = null;
            assumedHit = false;
        }

        boolean free() {
            return hard == null && soft == null;
        }
    }

    /** One address claim of a candidate: an address, and for {@code ::} whether it also claims IPv4. */
    static final class Claim {
        final Ip ip;
        final boolean dual;

        Claim(Ip ip, boolean dual) {
            this.ip = ip;
            this.dual = dual;
        }
    }

    /** What a failed service records at plan time so its explanation can be written at the end. */
    static final class Failure {
        Status status;
        String reason;
        Check blocker;
        int port;
        List<Claim> group;
    }

    /** Search state shared by requests of the same shape: first port-order position not known to be full. */
    static final class Cursor {
        int tier;
        int port = -1;
    }

    /**
     * What is already known about the candidate addresses of one family at one port for one check shape
     * (protocols and SO_REUSEPORT uid: everything a check reads from the request). Occupancy only grows, so a
     * candidate once found busy (not free) or hard-blocked stays so, and whether its check hit an assumed
     * dual-stack {@code [::]} depends only on the existing sockets; searches skip the leading known candidates
     * instead of checking them again, which keeps a saturated port O(1) per request instead of O(addresses).
     */
    static final class Known {
        static final byte BUSY = 1;
        static final byte HARD = 2;
        static final byte ASSUMED = 4;
        final byte[] state;
        /** state[0..busyPrefix) are all BUSY; state[0..hardPrefix) are all HARD. */
        int busyPrefix;
        int hardPrefix;
        /** The lowest candidate index whose (busy) check had assumedHit, or MAX_VALUE. */
        int firstAssumed = Integer.MAX_VALUE;

        Known(int candidates) {
            state = new byte[candidates];
        }

        /** Records the check of candidate {@code ci}; a free check records nothing (it may be taken later). */
        void record(int ci, Check c) {
            if (c.free()) {
                return;
            }
            byte b = (byte) (BUSY | (c.hard != null ? HARD : 0) | (c.assumedHit ? ASSUMED : 0));
            state[ci] |= b;
            if (c.assumedHit && ci < firstAssumed) {
                firstAssumed = ci;
            }
            while (busyPrefix < state.length && (state[busyPrefix] & BUSY) != 0) {
                busyPrefix++;
            }
            while (hardPrefix < state.length && (state[hardPrefix] & HARD) != 0) {
                hardPrefix++;
            }
        }

        boolean assumedBefore(int end) {
            return firstAssumed < end;
        }
    }

    /** (protocol, port) slots in pages of 256 ports, allocated on first use (small plans touch few pages). */
    private final Slot[][] slots = new Slot[2 * 65536 >>> 8][];
    private final KernelPorts kernel;
    private final SortedMap<Ip, SortedSet<String>> host;
    /** Sorted: candidates are taken in this order. */
    private final Set<Ip> hostSet;
    /** The same addresses, for O(1) membership. */
    private final Set<Ip> hostLookup;
    private final boolean loopback8;
    private final List<Ip> candidates;
    private final boolean has4;
    private final boolean has6;
    private final Map<Object, Cursor> cursors = new HashMap<>();
    private final Check scratch = new Check();
    private final Map<List<Object>, Integer> shapes = new HashMap<>();
    private final Map<Long, Known> known = new HashMap<>();
    private final Map<List<Object>, Integer> lowestFreeCache = new HashMap<>();
    private final Map<List<Object>, Integer> firstPortCache = new HashMap<>();
    private final Map<List<Object>, int[][]> tierCache = new HashMap<>();
    private final Map<Family, Map<Ip, Integer>> candidateIndex = new HashMap<>();
    private final Map<Family, List<Ip>> candidatesByFamily = new HashMap<>();
    /** Set once every service is planned: from then on occupancy no longer changes and remedies are cached. */
    private boolean frozen;
    private int rank;

    PlanEngine(KernelPorts kernel, SortedMap<Ip, SortedSet<String>> host, Collection<ExistingSocket> existing) {
        this.kernel = kernel;
        this.host = host;
        this.hostSet = host.keySet();
        this.hostLookup = new java.util.HashSet<>(hostSet); // Ip.equals agrees with its compareTo
        this.loopback8 = hostSet.stream().anyMatch(ip -> !ip.isV6() && ip.isLoopback());
        List<Ip> c = new ArrayList<>();
        for (Ip ip : hostSet) {
            if (!ip.isLoopback() && !ip.isLinkLocal() && !ip.isAny()) {
                c.add(ip);
            }
        }
        if (c.isEmpty()) {
            // A loopback-only stack (a "none" sandbox): plan on loopback rather than nowhere.
            for (Ip ip : hostSet) {
                if (ip.isLoopback()) {
                    c.add(ip);
                }
            }
        }
        this.candidates = c;
        boolean n4 = hostSet.stream().anyMatch(ip -> !ip.isV6() && !ip.isLoopback());
        boolean n6 = hostSet.stream().anyMatch(ip -> ip.isV6() && !ip.isLoopback());
        if (!n4 && !n6) {
            n4 = hostSet.isEmpty() || hostSet.stream().anyMatch(ip -> !ip.isV6());
            n6 = hostSet.isEmpty() || hostSet.stream().anyMatch(Ip::isV6);
        }
        this.has4 = n4;
        this.has6 = n6;
        addExisting(existing);
    }

    private Slot slot(Protocol p, int port, boolean create) {
        int i = p.ordinal() * 65536 + port;
        Slot[] page = slots[i >>> 8];
        if (page == null) {
            if (!create) {
                return null;
            }
            page = new Slot[256];
            slots[i >>> 8] = page;
        }
        Slot s = page[i & 255];
        if (s == null && create) {
            s = new Slot();
            page[i & 255] = s;
        }
        return s;
    }

    // ---------------------------------------------------------------------------------------------------------
    // Existing sockets: v6only inference (§6.4), accepted children vs outbound connections (§6.3).

    private void addExisting(Collection<ExistingSocket> existing) {
        Map<Long, List<ExistingSocket>> listeners = new HashMap<>();
        for (ExistingSocket e : existing) {
            if (e.proto == Protocol.TCP && e.isListen()) {
                listeners.computeIfAbsent((long) e.port, k -> new ArrayList<>()).add(e);
            }
        }
        for (ExistingSocket e : existing) {
            boolean any6 = e.addr.isV6() && e.addr.isAny();
            boolean dual = false;
            boolean assumed = false;
            if (any6) {
                if (e.v6only != null) {
                    dual = !e.v6only;
                } else if (e.proto == Protocol.TCP && e.isListen() && any4Listener(listeners, e)) {
                    dual = false;
                } else {
                    dual = true;
                    assumed = true;
                }
            }
            boolean soft = false;
            if (e.proto == Protocol.TCP && !e.isListen()) {
                if (e.isTimeWait()) {
                    soft = true;
                } else if (childOfListener(listeners, e)) {
                    continue; // an accepted connection: its listener decides
                }
            }
            Occ o = new Occ(e.addr, dual, assumed, soft, e.uid, false, e, null, null, rank++);
            slot(e.proto, e.port, true).add(o);
        }
    }

    private static boolean any4Listener(Map<Long, List<ExistingSocket>> listeners, ExistingSocket six) {
        for (ExistingSocket l : listeners.getOrDefault((long) six.port, List.of())) {
            if (!l.addr.isV6() && l.addr.isAny()) {
                boolean sameUid = l.uid >= 0 && six.uid >= 0 && l.uid == six.uid;
                if (!sameUid) {
                    return true; // else SO_REUSEPORT could explain both: keep unknown
                }
            }
        }
        return false;
    }

    private static boolean childOfListener(Map<Long, List<ExistingSocket>> listeners, ExistingSocket e) {
        for (ExistingSocket l : listeners.getOrDefault((long) e.port, List.of())) {
            if (l.addr.equals(e.addr) || (l.addr.isAny() && (l.addr.isV6() || !e.addr.isV6()))) {
                return true;
            }
        }
        return false;
    }

    // ---------------------------------------------------------------------------------------------------------
    // Overlap (§3.1, §6.2)

    static boolean sameAddr(Ip a, Ip b) {
        if (a.equals(b)) {
            return true;
        }
        return a.isLinkLocal() && b.isLinkLocal() && (a.zone() == null || b.zone() == null)
                && a.withoutZone().equals(b.withoutZone());
    }

    static boolean overlaps(Ip cand, boolean candDual, Occ o) {
        Ip a = o.addr;
        if (cand.isV6()) {
            if (cand.isAny()) {
                return a.isV6() || candDual || (a.isAny() && o.dual);
            }
            return sameAddr(cand, a) || (a.isV6() && a.isAny());
        }
        if (cand.isAny()) {
            return !a.isV6() || (a.isAny() && o.dual);
        }
        return a.equals(cand) || a.equals(Ip.ANY4) || (a.equals(Ip.ANY6) && o.dual);
    }

    /** Accumulates into {@code c} what blocks {@code claim} on (p, port) for the given request. */
    private void check(Protocol p, int port, Claim claim, ListenRequest r, Check c) {
        Slot s = slot(p, port, false);
        if (s == null) {
            return;
        }
        Ip ip = claim.ip;
        if (ip.isAny()) {
            for (Occ o : s.all) {
                consider(p, claim, o, r, c);
            }
            return;
        }
        visit(p, s.byAddr.get(ip), claim, r, c);
        if (ip.isLinkLocal()) {
            if (ip.zone() != null) {
                visit(p, s.byAddr.get(ip.withoutZone()), claim, r, c);
            } else {
                for (Occ o : s.all) {
                    if (o.addr.isLinkLocal() && o.addr.zone() != null && sameAddr(ip, o.addr)) {
                        consider(p, claim, o, r, c);
                    }
                }
            }
        }
        if (!ip.isV6()) {
            visit(p, s.byAddr.get(Ip.ANY4), claim, r, c);
        }
        visit(p, s.byAddr.get(Ip.ANY6), claim, r, c);
    }

    private void visit(Protocol p, List<Occ> list, Claim claim, ListenRequest r, Check c) {
        if (list != null) {
            for (Occ o : list) {
                consider(p, claim, o, r, c);
            }
        }
    }

    private static void consider(Protocol p, Claim claim, Occ o, ListenRequest r, Check c) {
        if (!overlaps(claim.ip, claim.dual, o)) {
            return;
        }
        if (r.reuseUid >= 0 && o.uid == r.reuseUid && o.addr.equals(claim.ip)) {
            if (o.existing == null) {
                if (o.reusePort && o.dual == claim.dual) {
                    return; // both planned with SO_REUSEPORT under the same uid (socket(7))
                }
            } else if (!o.soft) {
                if (c.reuseExisting == null || o.rank < c.reuseExisting.rank) {
                    c.reuseExisting = o;
                }
                return;
            }
        }
        if (o.soft) {
            if (c.soft == null || o.rank < c.soft.rank) {
                c.soft = o;
            }
            return;
        }
        if (o.assumed && !claim.ip.isV6()) {
            c.assumedHit = true;
        }
        if (c.hard == null || o.rank < c.hard.rank) {
            c.hard = o;
            c.hardClaim = claim.ip;
            c.hardClaimDual = claim.dual;
            c.hardProto = p;
        }
    }

    private void checkGroup(ListenRequest r, int port, List<Claim> group, Check c) {
        c.reset();
        for (int i = 0, n = group.size(); i < n; i++) {
            Claim cl = group.get(i);
            if (r.tcp) {
                check(Protocol.TCP, port, cl, r, c);
            }
            if (r.udp) {
                check(Protocol.UDP, port, cl, r, c);
            }
        }
    }

    private static Check copy(Check c) {
        Check d = new Check();
        d.hard = c.hard;
        d.hardClaim = c.hardClaim;
        d.hardClaimDual = c.hardClaimDual;
        d.hardProto = c.hardProto;
        d.soft = c.soft;
        d.reuseExisting = c.reuseExisting;
        d.assumedHit = c.assumedHit;
        return d;
    }

    // ---------------------------------------------------------------------------------------------------------
    // Addresses

    boolean onHost(Ip ip) {
        if (hostLookup.contains(ip)) {
            return true;
        }
        return !ip.isV6() && ip.isLoopback() && loopback8; // 127.0.0.0/8 is local when lo has 127.x
    }

    /** Why an explicitly named address cannot be bound, or null; adds NONLOCAL_BIND when allowed. */
    private Status addressProblem(Ip ip, ListenRequest r, Set<Warning> w, boolean[] needsFreebind) {
        if (ip.isLinkLocal() && ip.zone() == null) {
            return Status.SCOPE_REQUIRED;
        }
        if (!onHost(ip)) {
            boolean sysctl = kernel.nonlocalBind(ip.family());
            if (r.freebind || sysctl) {
                w.add(Warning.NONLOCAL_BIND);
                needsFreebind[0] = !sysctl;
                return null;
            }
            return Status.ADDRESS_NOT_ON_HOST;
        }
        return null;
    }

    private final Map<Family, List<List<Claim>>> groupCache = new HashMap<>();
    private final Map<Family, Set<Ip>> setCache = new HashMap<>();
    private Set<Ip> anyFamilySet;

    private Set<Ip> candidateSet(Family f) {
        if (f == null) {
            if (anyFamilySet == null) {
                anyFamilySet = new java.util.HashSet<>(candidates);
            }
            return anyFamilySet;
        }
        return setCache.computeIfAbsent(f, k -> new java.util.HashSet<>(candidates(k)));
    }
    private List<List<Claim>> anyFamilyGroups;

    /** One single-claim group per candidate address, built once per family (planning allocates per service). */
    private List<List<Claim>> candidateGroups(Family f) {
        if (f == null) {
            if (anyFamilyGroups == null) {
                anyFamilyGroups = toGroups(candidates);
            }
            return anyFamilyGroups;
        }
        return groupCache.computeIfAbsent(f, k -> toGroups(candidates(k)));
    }

    private static List<List<Claim>> toGroups(List<Ip> ips) {
        List<List<Claim>> out = new ArrayList<>(ips.size());
        for (Ip ip : ips) {
            out.add(List.of(new Claim(ip, false)));
        }
        return List.copyOf(out);
    }

    private List<Ip> candidates(Family f) {
        if (f == null) {
            return candidates;
        }
        return candidatesByFamily.computeIfAbsent(f, k -> {
            List<Ip> out = new ArrayList<>();
            for (Ip ip : candidates) {
                if (ip.family() == k) {
                    out.add(ip);
                }
            }
            return List.copyOf(out);
        });
    }

    /** The index of {@code ip} in {@code candidates(f)}, or -1. */
    private int candidateIndex(Family f, Ip ip) {
        Map<Ip, Integer> idx = candidateIndex.get(f);
        if (idx == null) {
            idx = new HashMap<>();
            List<Ip> c = candidates(f);
            for (int i = 0; i < c.size(); i++) {
                idx.put(c.get(i), i);
            }
            candidateIndex.put(f, idx);
        }
        Integer i = idx.get(ip);
        return i == null ? -1 : i;
    }

    /** A small id for everything a check reads from a request, plus the candidate family. */
    private int shape(ListenRequest r, Family f) {
        return shapes.computeIfAbsent(java.util.Arrays.asList(r.tcp, r.udp, r.reuseUid, f), k -> shapes.size());
    }

    private Known known(int shape, int port, Family f) {
        long key = ((long) shape << 17) | port;
        Known k = known.get(key);
        if (k == null) {
            k = new Known(candidates(f).size());
            known.put(key, k);
        }
        return k;
    }

    // ---------------------------------------------------------------------------------------------------------
    // Ports (§6.6)

    private boolean privileged(int port, ListenRequest r) {
        return !r.cap && port < kernel.unprivilegedPortStart();
    }

    /** Tiers of the port order: {low, high, filter}. Filter: 0 clean, 1 reserved only, 2 any-not-reserved. */
    private int[][] tiers(ListenRequest r) {
        // read-only after construction, so shared by every request of the same port shape
        return tierCache.computeIfAbsent(Arrays.asList(r.mode, r.low, r.high, r.cap), k -> makeTiers(r));
    }

    private int[][] makeTiers(ListenRequest r) {
        int el = kernel.ephemeralLow();
        int eh = kernel.ephemeralHigh();
        if (r.mode == ListenRequest.PortMode.ANY) {
            int low = Math.max(1024, r.cap ? 0 : kernel.unprivilegedPortStart());
            return new int[][] {{low, Math.min(el - 1, 65535), 0}, {Math.max(el, low), eh, 0}};
        }
        // range: outside-ephemeral clean, outside-ephemeral reserved, inside-ephemeral clean, inside reserved
        int a = r.low;
        int b = r.high;
        List<int[]> t = new ArrayList<>();
        int[][] outside = {{a, Math.min(b, el - 1)}, {Math.max(a, eh + 1), b}};
        for (int filter = 0; filter < 2; filter++) {
            for (int[] o : outside) {
                if (o[0] <= o[1]) {
                    t.add(new int[] {o[0], o[1], filter});
                }
            }
        }
        int il = Math.max(a, el);
        int ih = Math.min(b, eh);
        if (il <= ih) {
            t.add(new int[] {il, ih, 0});
            t.add(new int[] {il, ih, 1});
        }
        return t.toArray(new int[0][]);
    }

    private boolean tierAccepts(int[] tier, int port, ListenRequest r) {
        boolean res = kernel.isReserved(port);
        if (r.mode == ListenRequest.PortMode.ANY) {
            return !res;
        }
        return tier[2] == 0 ? !res : res;
    }

    // ---------------------------------------------------------------------------------------------------------
    // Planning one service

    /** Result of planning one service, before the explanation is written. */
    static final class Result {
        ListenRequest request;
        Status status = Status.OK;
        final Set<Warning> warnings = EnumSet.noneOf(Warning.class);
        final List<String> notes = new ArrayList<>();
        final List<String> preferNotes = new ArrayList<>();
        final List<Binding> bindings = new ArrayList<>();
        Failure failure;
        List<Claim> chosen;
        int port;
    }

    Result plan(ListenRequest r) {
        Result res = new Result();
        res.request = r;
        Set<Warning> w = res.warnings;
        String invalid = invalid(r);
        if (invalid != null) {
            return fail(res, Status.INVALID_REQUEST, invalid, null, 0, null);
        }
        ListenRequest.Wild wild = r.wild;
        if (wild == ListenRequest.Wild.BOTH && r.family != null) {
            wild = r.family == Family.IPV4 ? ListenRequest.Wild.V4 : ListenRequest.Wild.V6;
        }
        boolean[] needsFreebind = {false};
        boolean[] preferFreebind = {false};
        boolean[] preferNonlocal = {false};
        List<List<Claim>> groups = new ArrayList<>();
        Ip preferred = null;
        if (wild != ListenRequest.Wild.NONE) {
            if (r.require != null || r.prefer != null) {
                w.add(Warning.WILDCARD_COLLAPSED);
                res.notes.add("asked for all interfaces and " + (r.require != null ? r.require : r.prefer)
                        + "; only the wildcard is kept, because a wildcard and a specific address on one port"
                        + " conflict on Linux (httpd fails with AH00072, nginx binds only the wildcard)");
            }
            List<Claim> g = new ArrayList<>();
            if (wild == ListenRequest.Wild.V4) {
                g.add(new Claim(Ip.ANY4, false));
            } else if (wild == ListenRequest.Wild.V6) {
                g.add(new Claim(Ip.ANY6, false));
            } else if (has4 && has6) {
                g.add(new Claim(Ip.ANY4, false));
                g.add(new Claim(Ip.ANY6, false));
            } else if (has4) {
                g.add(new Claim(Ip.ANY4, false));
                w.add(Warning.IPV4_ONLY_ALL);
                res.notes.add("the host has no IPv6 address other than loopback, so all interfaces means 0.0.0.0"
                        + " only (getaddrinfo AI_ADDRCONFIG)");
            } else {
                g.add(new Claim(Ip.ANY6, true));
            }
            groups.add(g);
        } else if (r.require != null) {
            Status st = addressProblem(r.require, r, w, needsFreebind);
            if (st != null) {
                return fail(res, st, null, null, r.low, List.of(new Claim(r.require, false)));
            }
            groups.add(List.of(new Claim(r.require, false)));
        } else {
            if (r.prefer != null) {
                EnumSet<Warning> pw = EnumSet.noneOf(Warning.class);
                Status st = addressProblem(r.prefer, r, pw, preferFreebind);
                preferNonlocal[0] = pw.contains(Warning.NONLOCAL_BIND);
                if (st == null) {
                    preferred = r.prefer;
                    groups.add(List.of(new Claim(r.prefer, false)));
                } else {
                    w.add(Warning.PREFERRED_IP_UNAVAILABLE);
                    res.notes.add("preferred " + r.prefer + " is unusable: "
                            + addressReason(st, r.prefer, r.low));
                }
            }
            if (preferred == null) {
                groups = candidateGroups(r.family);
            } else {
                for (List<Claim> g : candidateGroups(r.family)) {
                    if (!g.get(0).ip.equals(preferred)) {
                        groups.add(g);
                    }
                }
            }
            if (groups.isEmpty()) {
                return fail(res, Status.ADDRESS_NOT_ON_HOST, "the host has no usable "
                        + (r.family == null ? "" : r.family == Family.IPV4 ? "IPv4 " : "IPv6 ")
                        + "address to choose from (loopback and link-local addresses are never picked"
                        + " automatically; host addresses: " + hostList() + ")", null, r.low, null);
            }
        }

        // Candidate groups are candidates(r.family) in order, or the preferred address then the others: the
        // search then skips the leading candidates already known to be taken (see Known).
        boolean cand = wild == ListenRequest.Wild.NONE && r.require == null;
        boolean pref = preferred != null;
        int prefIdx = cand && pref ? candidateIndex(r.family, preferred) : -1;
        int shape = cand ? shape(r, r.family) : -1;
        int jumpPos = pref ? 1 : 0;
        Check found = null;
        List<Claim> chosen = null;
        int port = -1;
        if (r.mode == ListenRequest.PortMode.FIXED) {
            port = r.low;
            if (privileged(port, r)) {
                return fail(res, Status.PRIVILEGED_PORT, null, null, port, groups.get(0));
            }
            Known kn = cand ? known(shape, port, r.family) : null;
            int firstHardPos = -1;
            for (int pos = 0; pos < groups.size(); pos++) {
                if (kn != null && pos == jumpPos) {
                    int skip = skipCount(kn.hardPrefix, pref, prefIdx);
                    if (skip > 0) {
                        // what checking them would do: each is hard, so warn and remember the first
                        if (kn.assumedBefore(kn.hardPrefix)) {
                            w.add(Warning.V6ONLY_ASSUMED);
                        }
                        if (firstHardPos < 0) {
                            firstHardPos = pos;
                        }
                        pos += skip - 1;
                        continue;
                    }
                }
                List<Claim> g = groups.get(pos);
                checkGroup(r, port, g, scratch);
                if (kn != null) {
                    int ci = canon(pos, pref, prefIdx);
                    if (ci >= 0) {
                        kn.record(ci, scratch);
                    }
                }
                if (scratch.hard == null && scratch.soft == null) {
                    found = copy(scratch);
                    chosen = g;
                    break;
                }
                if (scratch.hard == null && chosen == null) {
                    found = copy(scratch);
                    chosen = g; // TIME_WAIT only: keep looking for a clean address, unless it is the preferred one
                    if (g.get(0).ip.equals(preferred)) {
                        break;
                    }
                } else if (scratch.hard != null) {
                    if (scratch.assumedHit) {
                        w.add(Warning.V6ONLY_ASSUMED);
                    }
                    if (firstHardPos < 0) {
                        firstHardPos = pos;
                    }
                    noteSkip(res, preferred, g, port, scratch);
                }
            }
            if (chosen == null) {
                // occupancy has not changed since the search, so this is the check the search saw
                Check firstHard = null;
                if (firstHardPos >= 0) {
                    checkGroup(r, port, groups.get(firstHardPos), scratch);
                    firstHard = copy(scratch);
                }
                return fail(res, Status.ADDRESS_IN_USE, null, firstHard, port, groups.get(0));
            }
        } else {
            int[][] tiers = tiers(r);
            boolean anyUnprivileged = false;
            for (int[] t : tiers) {
                for (int p = t[0]; p <= t[1] && !anyUnprivileged; p++) {
                    anyUnprivileged = !privileged(p, r);
                }
            }
            if (!anyUnprivileged) {
                return fail(res, Status.PRIVILEGED_PORT, null, null, r.mode == ListenRequest.PortMode.ANY
                        ? kernel.unprivilegedPortStart() - 1 : r.high, groups.get(0));
            }
            Cursor cur = cursors.computeIfAbsent(r.searchKey(preferred != null && candidateSet(r.family)
                    .contains(preferred)), k -> new Cursor());
            int firstHardPort = -1;
            int firstHardPos = -1;
            search:
            for (int ti = cur.tier; ti < tiers.length; ti++) {
                int[] t = tiers[ti];
                int start = ti == cur.tier && cur.port >= 0 ? Math.max(cur.port, t[0]) : t[0];
                for (int p = start; p <= t[1]; p++) {
                    if (privileged(p, r) || !tierAccepts(t, p, r)) {
                        continue;
                    }
                    Known kn = cand ? known(shape, p, r.family) : null;
                    for (int pos = 0; pos < groups.size(); pos++) {
                        if (kn != null && pos == jumpPos) {
                            int skip = skipCount(kn.busyPrefix, pref, prefIdx);
                            if (skip > 0) {
                                // what checking them would do: none is free, so warn and remember the first
                                if (kn.assumedBefore(kn.busyPrefix)) {
                                    w.add(Warning.V6ONLY_ASSUMED);
                                }
                                if (firstHardPort < 0) {
                                    firstHardPort = p;
                                    firstHardPos = pos;
                                }
                                pos += skip - 1;
                                continue;
                            }
                        }
                        List<Claim> g = groups.get(pos);
                        checkGroup(r, p, g, scratch);
                        if (kn != null) {
                            int ci = canon(pos, pref, prefIdx);
                            if (ci >= 0) {
                                kn.record(ci, scratch);
                            }
                        }
                        if (scratch.free()) {
                            found = copy(scratch);
                            chosen = g;
                            port = p;
                            cur.tier = ti;
                            cur.port = p;
                            break search;
                        }
                        if (scratch.assumedHit) {
                            w.add(Warning.V6ONLY_ASSUMED);
                        }
                        if (firstHardPort < 0) {
                            firstHardPort = p;
                            firstHardPos = pos;
                        }
                    }
                }
            }
            if (chosen == null) {
                cur.tier = tiers.length;
                Check firstHard = null;
                if (firstHardPort >= 0) {
                    // occupancy has not changed since the search, so this is the check the search saw
                    checkGroup(r, firstHardPort, groups.get(firstHardPos), scratch);
                    firstHard = copy(scratch);
                } else {
                    // the memo skipped ports known to be full: re-check the first one for the explanation
                    firstHardPort = firstPort(tiers, r);
                    if (firstHardPort > 0) {
                        checkGroup(r, firstHardPort, groups.get(0), scratch);
                        firstHard = copy(scratch);
                    }
                }
                return fail(res, Status.NO_FREE_PORT, null, firstHard, firstHardPort, groups.get(0));
            }
            if (preferred != null && !chosen.get(0).ip.equals(preferred)) {
                checkGroup(r, port, groups.get(0), scratch);
                noteSkip(res, preferred, groups.get(0), port, scratch);
            }
        }
        if (preferred != null && !chosen.get(0).ip.equals(preferred)) {
            w.add(Warning.PREFERRED_IP_UNAVAILABLE);
        }
        if (preferred != null && chosen.get(0).ip.equals(preferred) && preferNonlocal[0]) {
            w.add(Warning.NONLOCAL_BIND);
            needsFreebind[0] = preferFreebind[0];
        }
        if (found.soft != null) {
            w.add(Warning.TIME_WAIT_PRESENT);
            res.notes.add("a TCP socket in TIME_WAIT overlaps (" + found.soft.describe() + "): the bind works only"
                    + " if both sockets set SO_REUSEADDR, as httpd and nginx do");
        }
        if (found.reuseExisting != null) {
            w.add(Warning.REUSEPORT_UNVERIFIED);
            res.notes.add("shares " + found.reuseExisting.describe() + " through SO_REUSEPORT with uid "
                    + r.reuseUid + "; /proc cannot show whether that socket set SO_REUSEPORT");
        }
        if (w.contains(Warning.NONLOCAL_BIND)) {
            Ip ip = chosen.get(0).ip;
            res.notes.add(ip + " is not on the host; the bind relies on " + (needsFreebind[0]
                    ? (ip.isV6() ? "IPV6_FREEBIND" : "IP_FREEBIND") : sysctlNonlocal(ip) + "=1"));
        }
        if (kernel.isEphemeral(port)) {
            w.add(Warning.EPHEMERAL_RANGE);
            res.notes.add("port " + port + " is inside net.ipv4.ip_local_port_range " + kernel.ephemeralLow() + "-"
                    + kernel.ephemeralHigh() + ", where outbound connections may take it first");
        }
        if (kernel.isReserved(port)) {
            w.add(Warning.RESERVED_PORT);
            res.notes.add("port " + port + " is in net.ipv4.ip_local_reserved_ports; explicit binds still work");
        }
        res.chosen = chosen;
        res.port = port;
        for (Claim cl : chosen) {
            for (Protocol p : new Protocol[] {Protocol.TCP, Protocol.UDP}) {
                if (p == Protocol.TCP ? !r.tcp : !r.udp) {
                    continue;
                }
                Binding b = new Binding(r.name, p, cl.ip, port, cl.dual, wild, r.tls && p == Protocol.TCP,
                        r.reuseUid >= 0, needsFreebind[0]);
                res.bindings.add(b);
                slot(p, port, true).add(new Occ(cl.ip, cl.dual, false, false, r.reuseUid, r.reuseUid >= 0, null,
                        r.name, b, rank++));
            }
        }
        res.bindings.sort(null);
        return res;
    }

    /**
     * The candidate index of the group at {@code pos}: candidates in order, or with a preferred address the
     * preferred one (index {@code prefIdx}, -1 when it is no candidate) first and the others in order.
     */
    private static int canon(int pos, boolean pref, int prefIdx) {
        if (!pref) {
            return pos;
        }
        if (pos == 0) {
            return prefIdx;
        }
        int c = pos - 1;
        return prefIdx >= 0 && c >= prefIdx ? c + 1 : c;
    }

    /**
     * How many groups from {@code jumpPos} on are the known candidates {@code [0, prefix)}: all of them, less
     * the preferred one, which sits at position 0.
     */
    private static int skipCount(int prefix, boolean pref, int prefIdx) {
        return pref && prefIdx >= 0 && prefIdx < prefix ? prefix - 1 : prefix;
    }

    private int firstPort(int[][] tiers, ListenRequest r) {
        // the same for every failed request of this port shape: scan once (a wide range is 64k ports)
        return firstPortCache.computeIfAbsent(Arrays.asList(r.mode, r.low, r.high, r.cap),
                k -> scanFirstPort(tiers, r));
    }

    private int scanFirstPort(int[][] tiers, ListenRequest r) {
        for (int[] t : tiers) {
            for (int p = t[0]; p <= t[1]; p++) {
                if (!privileged(p, r) && tierAccepts(t, p, r)) {
                    return p;
                }
            }
        }
        return -1;
    }

    private void noteSkip(Result res, Ip preferred, List<Claim> g, int port, Check c) {
        if (preferred != null && g.get(0).ip.equals(preferred) && c.hard != null) {
            res.preferNotes.add("preferred " + preferred.bracketed() + ":" + port + " is taken: "
                    + blockerText(c, res.request));
        } else if (preferred != null && g.get(0).ip.equals(preferred) && c.soft != null) {
            res.preferNotes.add("preferred " + preferred.bracketed() + ":" + port + " has a TIME_WAIT socket ("
                    + c.soft.describe() + ")");
        }
    }

    private static Result fail(Result res, Status st, String reason, Check blocker, int port, List<Claim> group) {
        res.status = st;
        Failure f = new Failure();
        f.status = st;
        f.reason = reason;
        f.blocker = blocker;
        f.port = port;
        f.group = group;
        res.failure = f;
        return res;
    }

    private static String invalid(ListenRequest r) {
        if (r.require != null && r.prefer != null) {
            return "require(" + r.require + ") and prefer(" + r.prefer + ") exclude each other; keep one";
        }
        Ip named = r.require != null ? r.require : r.prefer;
        if (named != null && named.isAny() && r.wild == ListenRequest.Wild.NONE) {
            return named.bracketed() + " is a wildcard, not an address; use allInterfaces(Family."
                    + named.family() + ")";
        }
        if (r.family != null && named != null && named.family() != r.family && r.wild == ListenRequest.Wild.NONE) {
            return named + " is not " + r.family + " but family(Family." + r.family + ") was asked; drop one";
        }
        if (r.family != null && (r.wild == ListenRequest.Wild.V4 && r.family != Family.IPV4
                || r.wild == ListenRequest.Wild.V6 && r.family != Family.IPV6)) {
            return "allInterfaces(Family." + (r.wild == ListenRequest.Wild.V4 ? "IPV4" : "IPV6")
                    + ") contradicts family(Family." + r.family + "); drop one";
        }
        if (r.tls && !r.tcp) {
            return "tls() needs TCP, but " + r.name + " is UDP only; drop tls() or use tcp(...)";
        }
        return null;
    }

    // ---------------------------------------------------------------------------------------------------------
    // Explanations (§6.11), written after every service is planned so remedies reflect the final plan.

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
                String range = r.mode == ListenRequest.PortMode.ANY ? "the automatic pool (" + poolText(r) + ")"
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

    private String poolText(ListenRequest r) {
        int[][] t = tiers(r);
        return t[0][0] + "-" + t[0][1] + " without reserved ports, then " + t[1][0] + "-" + t[1][1];
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

    private String hostList() {
        if (host.isEmpty()) {
            return "none";
        }
        StringBuilder sb = new StringBuilder();
        for (Map.Entry<Ip, SortedSet<String>> e : host.entrySet()) {
            sb.append(sb.length() == 0 ? "" : ", ").append(e.getKey().withoutZone()).append(" on ")
                    .append(String.join("/", e.getValue()));
        }
        return sb.toString();
    }

    private String sysctlNonlocal(Ip ip) {
        return ip.isV6() ? "net.ipv6.ip_nonlocal_bind" : "net.ipv4.ip_nonlocal_bind";
    }

    String addressReason(Status st, Ip ip, int port) {
        if (st == Status.SCOPE_REQUIRED) {
            List<String> ifs = new ArrayList<>();
            for (Map.Entry<Ip, SortedSet<String>> e : host.entrySet()) {
                if (e.getKey().withoutZone().equals(ip.withoutZone())) {
                    ifs.addAll(e.getValue());
                }
            }
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
        } else if (!sameAddr(cand, a)) {
            sb.append(" (on Linux SO_REUSEADDR does not let overlapping addresses share a port once one listens)");
        }
        return sb.toString();
    }

    static String rule(Ip cand, boolean candDual, Occ o) {
        Ip a = o.addr;
        if (sameAddr(cand, a)) {
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
        List<Ip> c = candidates(f);
        List<List<Claim>> groups = candidateGroups(f);
        Known kn = known(shape(r, f), port, f);
        for (int i = kn.busyPrefix; i < c.size(); i++) {
            if ((kn.state[i] & Known.BUSY) != 0) {
                continue; // occupancy only grows: still not free
            }
            checkGroup(r, port, groups.get(i), scratch);
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
        if (!frozen) {
            return scanFreePort(r, group, after);
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
            if (privileged(p, r)) {
                continue;
            }
            checkGroup(r, p, group, scratch);
            if (scratch.free()) {
                return p;
            }
        }
        return -1;
    }

    /** Orders services most-constrained first (§6.9). {@link #run} applies it as name sort + {@link #rank}. */
    static final Comparator<ListenRequest> ORDER = Comparator
            .comparingInt((ListenRequest r) -> r.wild != ListenRequest.Wild.NONE ? 1 : r.require != null ? 0 : 2)
            .thenComparingInt(r -> r.mode.ordinal())
            .thenComparing(r -> r.name);

    private static final int MODES = ListenRequest.PortMode.values().length;

    /** The leading keys of {@link #ORDER} as one number in {@code [0, 3 * MODES)}. */
    static int rank(ListenRequest r) {
        int cls = r.wild != ListenRequest.Wild.NONE ? 1 : r.require != null ? 0 : 2;
        return cls * MODES + r.mode.ordinal();
    }

    /**
     * Runs the whole plan.
     *
     * @return the outcomes in service-name order (iteration order of the returned map)
     */
    static LinkedHashMap<String, Outcome> run(KernelPorts kernel, SortedMap<Ip, SortedSet<String>> host,
            Collection<ExistingSocket> existing, Collection<ListenRequest> requests) {
        PlanEngine e = new PlanEngine(kernel, host, existing);
        ListenRequest[] byName = requests.toArray(new ListenRequest[0]);
        Arrays.sort(byName, (a, b) -> a.name.compareTo(b.name));
        // A stable counting sort of the name-sorted services by rank is ORDER (names are unique), in O(n).
        int n = byName.length;
        int[] start = new int[3 * MODES + 1];
        for (ListenRequest r : byName) {
            start[rank(r) + 1]++;
        }
        for (int k = 1; k < start.length; k++) {
            start[k] += start[k - 1];
        }
        int[] order = new int[n];
        for (int i = 0; i < n; i++) {
            order[start[rank(byName[i])]++] = i;
        }
        Result[] results = new Result[n];
        for (int i : order) {
            results[i] = e.plan(byName[i]);
        }
        e.frozen = true;
        LinkedHashMap<String, Outcome> out = new LinkedHashMap<>(n * 4 / 3 + 1);
        for (Result res : results) {
            out.put(res.request.name, new Outcome(res.request, res.status, res.warnings, e.explain(res),
                    res.bindings));
        }
        return out;
    }
}
