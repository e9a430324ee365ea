package io.netns.planner;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Internal use only. Who holds which (protocol, port, address) during one planning run, and the kernel's overlap
 * rules between a new claim and those holders ({@code research/planner-rules.md} §3, §6.2–§6.4). Existing sockets
 * are added once; planned bindings are added as services are placed; nothing is ever removed, so a claim once
 * found taken stays taken (the search memos rely on that).
 *
 * <p>Holders are indexed in paged slots, one per (protocol, port), each keyed by address: checking a specific
 * address costs O(1), a wildcard O(holders on that port).
 */
final class Occupancy {

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
        /** Insertion order: the first holder found is the one explanations name. */
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
                if (existing.holder != null) {
                    n += " of " + existing.holder;
                }
                return n;
            }
            return "planned service " + service + " (" + binding + ")";
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

    /** The verdict of checking one claim (or a group of claims) against the holders. Reused; see {@link #copy}. */
    static final class Check {
        /** The first holder that blocks outright, with the claim and protocol it blocked. */
        Occ hard;
        Ip hardClaim;
        boolean hardClaimDual;
        Protocol hardProto;
        /** The first TIME_WAIT holder that overlaps. */
        Occ soft;
        /** The first existing socket shared through SO_REUSEPORT (unverifiable from outside). */
        Occ reuseExisting;
        /** A hard blocker was an existing {@code [::]} whose v6only=0 was only assumed. */
        boolean assumedHit;
        /** A holder to leave out ("what if it were gone"); kept across {@link #reset()}. */
        Occ ignore;

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

        Check copy() {
            Check d = new Check();
            d.hard = hard;
            d.hardClaim = hardClaim;
            d.hardClaimDual = hardClaimDual;
            d.hardProto = hardProto;
            d.soft = soft;
            d.reuseExisting = reuseExisting;
            d.assumedHit = assumedHit;
            return d;
        }
    }

    /** Everything on one (protocol, port). */
    private static final class Slot {
        final HashMap<Ip, List<Occ>> byAddr = new HashMap<>(4);
        final ArrayList<Occ> all = new ArrayList<>(2);

        void add(Occ o) {
            byAddr.computeIfAbsent(o.addr, k -> new ArrayList<>(1)).add(o);
            all.add(o);
        }
    }

    /** (protocol, port) slots in pages of 256 ports, allocated on first use (small plans touch few pages). */
    private final Slot[][] slots = new Slot[2 * 65536 >>> 8][];
    private int rank;

    /**
     * @param existing the sockets already there
     * @param bindV6only {@code net.ipv6.bindv6only}: what an unknown v6only is assumed to be
     */
    Occupancy(Collection<ExistingSocket> existing, boolean bindV6only) {
        addExisting(existing, bindV6only);
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

    /** Records a planned binding of service {@code r} on (p, port) for {@code claim}. */
    void occupy(Protocol p, int port, Claim claim, ListenRequest r, Binding b) {
        slot(p, port, true).add(new Occ(claim.ip, claim.dual, false, false, r.reuseUid, r.reuseUid >= 0, null,
                r.name, b, rank++));
    }

    // ---------------------------------------------------------------------------------------------------------
    // Existing sockets: v6only inference (§6.4), accepted children vs outbound connections (§6.3).

    private void addExisting(Collection<ExistingSocket> existing, boolean bindV6only) {
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
                    dual = !bindV6only; // the kernel's default for a socket that never set IPV6_V6ONLY
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

    /**
     * Checks every claim of {@code group} on {@code port} for each protocol of {@code r}, into {@code c} (reset
     * first).
     */
    void checkGroup(ListenRequest r, int port, List<Claim> group, Check c) {
        checkGroup(r, port, group, c, r.tcp, r.udp);
    }

    /** As {@link #checkGroup(ListenRequest, int, List, Check)}, for the given protocols only. */
    void checkGroup(ListenRequest r, int port, List<Claim> group, Check c, boolean tcp, boolean udp) {
        c.reset();
        for (int i = 0, n = group.size(); i < n; i++) {
            Claim cl = group.get(i);
            if (tcp) {
                check(Protocol.TCP, port, cl, r, c);
            }
            if (udp) {
                check(Protocol.UDP, port, cl, r, c);
            }
        }
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

    private static void visit(Protocol p, List<Occ> list, Claim claim, ListenRequest r, Check c) {
        if (list != null) {
            for (Occ o : list) {
                consider(p, claim, o, r, c);
            }
        }
    }

    private static void consider(Protocol p, Claim claim, Occ o, ListenRequest r, Check c) {
        if (o == c.ignore || !overlaps(claim.ip, claim.dual, o)) {
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
}
