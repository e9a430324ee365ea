package io.netns.planner;

import io.netns.planner.Occupancy.Check;
import io.netns.planner.Occupancy.Claim;
import io.netns.planner.SearchMemo.Cursor;
import io.netns.planner.SearchMemo.Known;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Set;
import java.util.SortedMap;
import java.util.SortedSet;

/**
 * Internal use only. One planning run: the policy of {@code research/planner-rules.md} §6, greedy over the
 * services in most-constrained-first order. The parts:
 * <ul>
 *   <li>{@link Occupancy}: who holds which (protocol, port, address) and the kernel's overlap rules;</li>
 *   <li>{@link Candidates}: the host's addresses and which may be picked automatically;</li>
 *   <li>{@link PortOrder}: the order in which a port search tries ports;</li>
 *   <li>{@link SearchMemo}: what searches have learnt, so saturated ports cost O(1) amortized;</li>
 *   <li>{@link Explainer}: the English, written once the plan is final;</li>
 *   <li>this class: the order of services and, per service, the steps of {@link #plan}.</li>
 * </ul>
 */
final class PlanEngine {

    /** What a failed service records at plan time so its explanation can be written at the end. */
    static final class Failure {
        Status status;
        String reason;
        Check blocker;
        int port;
        List<Claim> group;
    }

    /** Result of planning one service, before the explanation is written. */
    static final class Result {
        final ListenRequest request;
        Status status = Status.OK;
        final Set<Warning> warnings = EnumSet.noneOf(Warning.class);
        final List<String> notes = new ArrayList<>();
        final List<String> preferNotes = new ArrayList<>();
        final List<Binding> bindings = new ArrayList<>();
        Failure failure;
        /** The first port where an existing {@code [::]} of assumed v6only=0 ruled out a candidate, or 0. */
        int assumedPort;

        Result(ListenRequest request) {
            this.request = request;
        }

        /** Records {@link Warning#V6ONLY_ASSUMED} at {@code port}. */
        void assumed(int port) {
            warnings.add(Warning.V6ONLY_ASSUMED);
            if (assumedPort == 0) {
                assumedPort = port;
            }
        }

        /** Marks the service failed and returns {@code false}, so a step can {@code return res.fail(...)}. */
        boolean fail(Status st, String reason, Check blocker, int port, List<Claim> group) {
            status = st;
            Failure f = new Failure();
            f.status = st;
            f.reason = reason;
            f.blocker = blocker;
            f.port = port;
            f.group = group;
            failure = f;
            return false;
        }
    }

    /** Whether and how a named address can be bound (§3.5, §6.7). */
    enum AddressUse {
        /** The address is on the host. */
        LOCAL,
        /** Not on the host, but {@code ip_nonlocal_bind=1} allows it. */
        NONLOCAL_BY_SYSCTL,
        /** Not on the host, but the service sets {@code IP_FREEBIND}. */
        NONLOCAL_BY_FREEBIND,
        /** An IPv6 link-local address without a zone: EINVAL. */
        SCOPE_REQUIRED,
        /** Not on the host: EADDRNOTAVAIL. */
        NOT_ON_HOST;

        Status problem() {
            return this == SCOPE_REQUIRED ? Status.SCOPE_REQUIRED
                    : this == NOT_ON_HOST ? Status.ADDRESS_NOT_ON_HOST : null;
        }

        boolean nonlocal() {
            return this == NONLOCAL_BY_SYSCTL || this == NONLOCAL_BY_FREEBIND;
        }
    }

    /** One service's search in progress: its candidate groups, how to use the memo, and what it found. */
    private static final class Search {
        final ListenRequest r;
        final Result res;
        /** The wildcard asked for, narrowed by the request's family. */
        ListenRequest.Wild wild;
        /** The address groups to try, in order; each group is claimed as a whole. */
        List<List<Claim>> groups;
        /** The preferred address when it is usable (it is then {@code groups.get(0)}). */
        Ip preferred;
        /** How the required address, or else the preferred one, can be bound. */
        AddressUse named = AddressUse.LOCAL;
        /** Whether the groups are the host's candidates, so the {@link Known} memo applies. */
        boolean fromCandidates;
        int prefIdx = -1;
        int shape = -1;
        /** The group position where the memo's known candidates start: after a preferred address. */
        int jumpPos;
        Check found;
        List<Claim> chosen;
        int port = -1;

        Search(ListenRequest r, Result res) {
            this.r = r;
            this.res = res;
        }

        boolean hasPreferred() {
            return preferred != null;
        }

        boolean choseOtherThanPreferred() {
            return preferred != null && !chosen.get(0).ip.equals(preferred);
        }

        /** Whether the chosen address is not local and the bind relies on IP_FREEBIND, not on the sysctl. */
        boolean needsFreebind() {
            return named == AddressUse.NONLOCAL_BY_FREEBIND && !choseOtherThanPreferred();
        }
    }

    private final KernelPorts kernel;
    private final Occupancy occupancy;
    private final Candidates candidates;
    private final PortOrder ports;
    private final SearchMemo memo;
    private final Explainer explainer;
    private final Check scratch = new Check();

    PlanEngine(KernelPorts kernel, SortedMap<Ip, SortedSet<String>> host, Collection<ExistingSocket> existing) {
        this.kernel = kernel;
        this.occupancy = new Occupancy(existing, kernel.bindV6only());
        this.candidates = new Candidates(host);
        this.ports = new PortOrder(kernel);
        this.memo = new SearchMemo(candidates);
        this.explainer = new Explainer(occupancy, candidates, memo, ports);
    }

    // ---------------------------------------------------------------------------------------------------------
    // The run: services most constrained first (§6.9), explanations once everything is placed.

    private static final int MODES = ListenRequest.PortMode.values().length;

    /**
     * The leading sort keys of a service as one number in {@code [0, 3 * MODES)}: required address 0, all
     * interfaces 1, the rest 2; then fixed port, range, any.
     */
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
        int n = byName.length;
        Result[] results = new Result[n];
        for (int i : planningOrder(byName)) {
            results[i] = e.plan(byName[i]);
        }
        LinkedHashMap<String, Outcome> out = new LinkedHashMap<>(n * 4 / 3 + 1);
        for (Result res : results) {
            out.put(res.request.name, new Outcome(res.request, res.status, res.warnings, e.explainer.explain(res),
                    res.bindings));
        }
        return out;
    }

    /**
     * The indexes of the name-sorted services in planning order: by {@link #rank}, then name. A stable counting
     * sort by rank of the name-sorted array, so O(n).
     */
    private static int[] planningOrder(ListenRequest[] byName) {
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
        return order;
    }

    // ---------------------------------------------------------------------------------------------------------
    // Planning one service

    /** Plans one service against everything placed so far and, when it fits, places it. */
    Result plan(ListenRequest r) {
        Result res = new Result(r);
        String invalid = invalid(r);
        if (invalid != null) {
            res.fail(Status.INVALID_REQUEST, invalid, null, 0, null);
            return res;
        }
        Search s = new Search(r, res);
        boolean placed = chooseGroups(s)
                && (r.mode == ListenRequest.PortMode.FIXED ? searchFixedPort(s) : searchPortOrder(s));
        if (placed) {
            noteWarnings(s);
            occupy(s);
        }
        return res;
    }

    /** Step 1: which address groups the service may take, in order. False (and failed) when there are none. */
    private boolean chooseGroups(Search s) {
        ListenRequest r = s.r;
        s.wild = r.wild;
        if (s.wild == ListenRequest.Wild.BOTH && r.family != null) {
            s.wild = r.family == Family.IPV4 ? ListenRequest.Wild.V4 : ListenRequest.Wild.V6;
        }
        boolean ok;
        if (s.wild != ListenRequest.Wild.NONE) {
            ok = wildcardGroup(s);
        } else if (r.require != null) {
            ok = requiredGroup(s);
        } else {
            ok = candidateGroups(s);
        }
        if (ok && s.fromCandidates) {
            s.prefIdx = s.hasPreferred() ? candidates.indexOf(r.family, s.preferred) : -1;
            s.shape = memo.shape(r, r.family);
            s.jumpPos = s.hasPreferred() ? 1 : 0;
        }
        return ok;
    }

    /** All interfaces: one group of the wildcards the host's families call for (§6.8). */
    private boolean wildcardGroup(Search s) {
        ListenRequest r = s.r;
        Result res = s.res;
        if (r.require != null || r.prefer != null) {
            res.warnings.add(Warning.WILDCARD_COLLAPSED);
            res.notes.add(explainer.wildcardCollapsedNote(r));
        }
        List<Claim> g = new ArrayList<>();
        if (s.wild == ListenRequest.Wild.V4) {
            g.add(new Claim(Ip.ANY4, false));
        } else if (s.wild == ListenRequest.Wild.V6) {
            g.add(new Claim(Ip.ANY6, false));
        } else if (candidates.has4 && candidates.has6) {
            g.add(new Claim(Ip.ANY4, false));
            g.add(new Claim(Ip.ANY6, false));
        } else if (candidates.has4) {
            g.add(new Claim(Ip.ANY4, false));
            res.warnings.add(Warning.IPV4_ONLY_ALL);
            res.notes.add(explainer.ipv4OnlyNote());
        } else {
            g.add(new Claim(Ip.ANY6, true));
        }
        s.groups = List.of(g);
        return true;
    }

    /** A required address: that one group, if it can be bound at all. */
    private boolean requiredGroup(Search s) {
        ListenRequest r = s.r;
        s.named = addressUse(r.require, r);
        List<Claim> g = List.of(new Claim(r.require, false));
        if (s.named.problem() != null) {
            return s.res.fail(s.named.problem(), null, null, r.low, g);
        }
        if (s.named.nonlocal()) {
            s.res.warnings.add(Warning.NONLOCAL_BIND);
        }
        s.groups = List.of(g);
        return true;
    }

    /** No address named, or only preferred: the host's candidates, the usable preferred one first. */
    private boolean candidateGroups(Search s) {
        ListenRequest r = s.r;
        Result res = s.res;
        s.fromCandidates = true;
        List<List<Claim>> all = candidates.groups(r.family);
        if (r.prefer != null) {
            AddressUse use = addressUse(r.prefer, r);
            if (use.problem() == null) {
                s.preferred = r.prefer;
                s.named = use;
            } else {
                res.warnings.add(Warning.PREFERRED_IP_UNAVAILABLE);
                res.notes.add(explainer.preferredUnusableNote(r, use.problem()));
            }
        }
        if (s.hasPreferred()) {
            List<List<Claim>> groups = new ArrayList<>(all.size() + 1);
            groups.add(List.of(new Claim(s.preferred, false)));
            for (List<Claim> g : all) {
                if (!g.get(0).ip.equals(s.preferred)) {
                    groups.add(g);
                }
            }
            s.groups = groups;
        } else {
            s.groups = all;
        }
        if (s.groups.isEmpty()) {
            return res.fail(Status.ADDRESS_NOT_ON_HOST, explainer.noCandidateReason(r), null, r.low, null);
        }
        return true;
    }

    /** Why an explicitly named address can or cannot be bound. */
    private AddressUse addressUse(Ip ip, ListenRequest r) {
        if (ip.isLinkLocal() && ip.zone() == null) {
            return AddressUse.SCOPE_REQUIRED;
        }
        if (!candidates.onHost(ip)) {
            if (kernel.nonlocalBind(ip.family())) {
                return AddressUse.NONLOCAL_BY_SYSCTL;
            }
            return r.freebind ? AddressUse.NONLOCAL_BY_FREEBIND : AddressUse.NOT_ON_HOST;
        }
        return AddressUse.LOCAL;
    }

    /**
     * Step 2 for a fixed port: the first group where the port is free, a clean one before one with only a
     * TIME_WAIT socket (unless that is the preferred address). Skips the candidates the memo knows are
     * hard-blocked, with the warnings and first blocker their checks would have given.
     */
    private boolean searchFixedPort(Search s) {
        ListenRequest r = s.r;
        Result res = s.res;
        List<List<Claim>> groups = s.groups;
        int port = r.low;
        if (ports.privileged(port, r)) {
            return res.fail(Status.PRIVILEGED_PORT, null, null, port, groups.get(0));
        }
        boolean pref = s.hasPreferred();
        int prefIdx = s.prefIdx;
        int jumpPos = s.jumpPos;
        Known kn = s.fromCandidates ? memo.known(s.shape, port, r.family) : null;
        int firstHardPos = -1;
        for (int pos = 0; pos < groups.size(); pos++) {
            if (kn != null && pos == jumpPos) {
                int skip = SearchMemo.skipCount(kn.hardPrefix, pref, prefIdx);
                if (skip > 0) {
                    // what checking them would do: each is hard, so warn and remember the first
                    if (kn.assumedBefore(kn.hardPrefix)) {
                        res.assumed(port);
                    }
                    if (firstHardPos < 0) {
                        firstHardPos = pos;
                    }
                    pos += skip - 1;
                    continue;
                }
            }
            List<Claim> g = groups.get(pos);
            check(r, kn, pos, pref, prefIdx, port, g);
            if (scratch.free()) {
                s.found = scratch.copy();
                s.chosen = g;
                break;
            }
            if (scratch.hard == null && s.chosen == null) {
                s.found = scratch.copy();
                s.chosen = g; // TIME_WAIT only: keep looking for a clean address, unless it is the preferred one
                if (g.get(0).ip.equals(s.preferred)) {
                    break;
                }
            } else if (scratch.hard != null) {
                if (scratch.assumedHit) {
                    res.assumed(port);
                }
                if (firstHardPos < 0) {
                    firstHardPos = pos;
                }
                notePreferredSkipped(s, g, port);
            }
        }
        if (s.chosen == null) {
            // occupancy has not changed since the search, so this is the check the search saw
            Check firstHard = null;
            if (firstHardPos >= 0) {
                occupancy.checkGroup(r, port, groups.get(firstHardPos), scratch);
                firstHard = scratch.copy();
            }
            return res.fail(Status.ADDRESS_IN_USE, null, firstHard, port, groups.get(0));
        }
        s.port = port;
        return true;
    }

    /**
     * Step 2 for a range or any port: port-major over the {@link PortOrder}, from the shape's cursor, the first
     * (port, group) that is free. Skips the candidates the memo knows are busy, with the warnings and first
     * blocker their checks would have given.
     */
    private boolean searchPortOrder(Search s) {
        ListenRequest r = s.r;
        Result res = s.res;
        List<List<Claim>> groups = s.groups;
        int[][] tiers = ports.tiers(r); // one lookup per request: a request costs well under a microsecond
        if (!ports.anyUnprivileged(tiers, r)) {
            return res.fail(Status.PRIVILEGED_PORT, null, null, r.mode == ListenRequest.PortMode.ANY
                    ? kernel.unprivilegedPortStart() - 1 : r.high, groups.get(0));
        }
        Cursor cur = memo.cursor(r.searchKey(s.hasPreferred() && candidates.set(r.family).contains(s.preferred)));
        boolean pref = s.hasPreferred();
        boolean cand = s.fromCandidates;
        int prefIdx = s.prefIdx;
        int jumpPos = s.jumpPos;
        int shape = s.shape;
        PortOrder order = ports;
        int firstHardPort = -1;
        int firstHardPos = -1;
        search:
        for (int ti = cur.tier; ti < tiers.length; ti++) {
            int[] t = tiers[ti];
            int start = ti == cur.tier && cur.port >= 0 ? Math.max(cur.port, t[0]) : t[0];
            for (int p = start; p <= t[1]; p++) {
                if (order.privileged(p, r) || !order.accepts(t, p, r)) {
                    continue;
                }
                Known kn = cand ? memo.known(shape, p, r.family) : null;
                for (int pos = 0; pos < groups.size(); pos++) {
                    if (kn != null && pos == jumpPos) {
                        int skip = SearchMemo.skipCount(kn.busyPrefix, pref, prefIdx);
                        if (skip > 0) {
                            // what checking them would do: none is free, so warn and remember the first
                            if (kn.assumedBefore(kn.busyPrefix)) {
                                res.assumed(p);
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
                    check(r, kn, pos, pref, prefIdx, p, g);
                    if (scratch.free()) {
                        s.found = scratch.copy();
                        s.chosen = g;
                        s.port = p;
                        cur.tier = ti;
                        cur.port = p;
                        break search;
                    }
                    if (scratch.assumedHit) {
                        res.assumed(p);
                    }
                    if (firstHardPort < 0) {
                        firstHardPort = p;
                        firstHardPos = pos;
                    }
                }
            }
        }
        if (s.chosen == null) {
            cur.tier = tiers.length;
            Check firstHard = null;
            if (firstHardPort >= 0) {
                // occupancy has not changed since the search, so this is the check the search saw
                occupancy.checkGroup(r, firstHardPort, groups.get(firstHardPos), scratch);
                firstHard = scratch.copy();
            } else {
                // the memo skipped ports known to be full: re-check the first one for the explanation
                firstHardPort = ports.firstPort(r);
                if (firstHardPort > 0) {
                    occupancy.checkGroup(r, firstHardPort, groups.get(0), scratch);
                    firstHard = scratch.copy();
                }
            }
            return res.fail(Status.NO_FREE_PORT, null, firstHard, firstHardPort, groups.get(0));
        }
        if (s.choseOtherThanPreferred()) {
            occupancy.checkGroup(r, s.port, groups.get(0), scratch);
            notePreferredSkipped(s, groups.get(0), s.port);
        }
        return true;
    }

    /** Checks group {@code g} at {@code pos} on {@code port} into {@link #scratch}, and records it in the memo. */
    private void check(ListenRequest r, Known kn, int pos, boolean pref, int prefIdx, int port, List<Claim> g) {
        occupancy.checkGroup(r, port, g, scratch);
        if (kn != null) {
            int ci = SearchMemo.canon(pos, pref, prefIdx);
            if (ci >= 0) {
                kn.record(ci, scratch);
            }
        }
    }

    /** When {@code g} is the preferred address and {@link #scratch} says it is taken, says so. */
    private void notePreferredSkipped(Search s, List<Claim> g, int port) {
        if (s.preferred != null && g.get(0).ip.equals(s.preferred)) {
            String note = explainer.preferredSkippedNote(s.preferred, port, scratch, s.r);
            if (note != null) {
                s.res.preferNotes.add(note);
            }
        }
    }

    /** Step 3: the warnings and notes of the chosen (group, port). */
    private void noteWarnings(Search s) {
        ListenRequest r = s.r;
        Result res = s.res;
        Set<Warning> w = res.warnings;
        if (s.choseOtherThanPreferred()) {
            w.add(Warning.PREFERRED_IP_UNAVAILABLE);
        } else if (s.hasPreferred() && s.named.nonlocal()) {
            w.add(Warning.NONLOCAL_BIND);
        }
        if (s.found.soft != null) {
            w.add(Warning.TIME_WAIT_PRESENT);
            res.notes.add(explainer.timeWaitNote(s.found.soft));
        }
        if (s.found.reuseExisting != null) {
            w.add(Warning.REUSEPORT_UNVERIFIED);
            res.notes.add(explainer.reusePortNote(s.found.reuseExisting, r));
        }
        if (w.contains(Warning.NONLOCAL_BIND)) {
            res.notes.add(explainer.nonlocalNote(s.chosen.get(0).ip, s.needsFreebind()));
        }
        if (kernel.isEphemeral(s.port)) {
            w.add(Warning.EPHEMERAL_RANGE);
            res.notes.add(explainer.ephemeralNote(s.port));
        }
        if (kernel.isReserved(s.port)) {
            w.add(Warning.RESERVED_PORT);
            res.notes.add(explainer.reservedNote(s.port));
        }
    }

    /** Step 4: the bindings, recorded in the occupancy so later services see them. */
    private void occupy(Search s) {
        ListenRequest r = s.r;
        boolean needsFreebind = s.needsFreebind();
        for (Claim cl : s.chosen) {
            for (Protocol p : new Protocol[] {Protocol.TCP, Protocol.UDP}) {
                if (p == Protocol.TCP ? !r.tcp : !r.udp) {
                    continue;
                }
                Binding b = new Binding(r.name, p, cl.ip, s.port, cl.dual, s.wild, r.tls && p == Protocol.TCP,
                        r.reuseUid >= 0, needsFreebind);
                s.res.bindings.add(b);
                occupancy.occupy(p, s.port, cl, r, b);
            }
        }
        s.res.bindings.sort(null);
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
}
