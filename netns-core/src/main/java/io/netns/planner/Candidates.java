package io.netns.planner;

import io.netns.planner.Occupancy.Claim;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.SortedSet;

/**
 * Internal use only. The host's addresses as the planner sees them (§6.5): which are local, which may be picked
 * automatically (not loopback, not link-local; loopback only on a loopback-only stack), in which order (IPv4 then
 * IPv6, ascending), and which families "all interfaces" covers (AI_ADDRCONFIG). Immutable after construction
 * apart from lazily built per-family views.
 */
final class Candidates {

    private final SortedMap<Ip, SortedSet<String>> host;
    /** The host addresses, for O(1) membership (Ip.equals agrees with its compareTo). */
    private final Set<Ip> hostLookup;
    private final boolean loopback8;
    /** Sorted: candidates are taken in this order. */
    private final List<Ip> all;
    final boolean has4;
    final boolean has6;
    private final Map<Family, List<Ip>> byFamily = new HashMap<>();
    private final Map<Family, Map<Ip, Integer>> index = new HashMap<>();
    private final Map<Family, List<List<Claim>>> groupCache = new HashMap<>();
    private final Map<Family, Set<Ip>> setCache = new HashMap<>();
    private List<List<Claim>> anyFamilyGroups;
    private Set<Ip> anyFamilySet;

    Candidates(SortedMap<Ip, SortedSet<String>> host) {
        this.host = host;
        Set<Ip> hostSet = host.keySet();
        this.hostLookup = new HashSet<>(hostSet);
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
        this.all = c;
        boolean n4 = hostSet.stream().anyMatch(ip -> !ip.isV6() && !ip.isLoopback());
        boolean n6 = hostSet.stream().anyMatch(ip -> ip.isV6() && !ip.isLoopback());
        if (!n4 && !n6) {
            n4 = hostSet.isEmpty() || hostSet.stream().anyMatch(ip -> !ip.isV6());
            n6 = hostSet.isEmpty() || hostSet.stream().anyMatch(Ip::isV6);
        }
        this.has4 = n4;
        this.has6 = n6;
    }

    /** Whether {@code ip} is local: a host address, or in 127.0.0.0/8 when lo has a 127.x address. */
    boolean onHost(Ip ip) {
        if (hostLookup.contains(ip)) {
            return true;
        }
        return !ip.isV6() && ip.isLoopback() && loopback8;
    }

    /** The candidates of family {@code f} ({@code null}: both), in pick order. */
    List<Ip> of(Family f) {
        if (f == null) {
            return all;
        }
        return byFamily.computeIfAbsent(f, k -> {
            List<Ip> out = new ArrayList<>();
            for (Ip ip : all) {
                if (ip.family() == k) {
                    out.add(ip);
                }
            }
            return List.copyOf(out);
        });
    }

    /** The same addresses as a set. */
    Set<Ip> set(Family f) {
        if (f == null) {
            if (anyFamilySet == null) {
                anyFamilySet = new HashSet<>(all);
            }
            return anyFamilySet;
        }
        return setCache.computeIfAbsent(f, k -> new HashSet<>(of(k)));
    }

    /** One single-claim group per candidate address, built once per family (planning allocates per service). */
    List<List<Claim>> groups(Family f) {
        if (f == null) {
            if (anyFamilyGroups == null) {
                anyFamilyGroups = toGroups(all);
            }
            return anyFamilyGroups;
        }
        return groupCache.computeIfAbsent(f, k -> toGroups(of(k)));
    }

    private static List<List<Claim>> toGroups(List<Ip> ips) {
        List<List<Claim>> out = new ArrayList<>(ips.size());
        for (Ip ip : ips) {
            out.add(List.of(new Claim(ip, false)));
        }
        return List.copyOf(out);
    }

    /** The index of {@code ip} in {@code of(f)}, or -1. */
    int indexOf(Family f, Ip ip) {
        Map<Ip, Integer> idx = index.get(f);
        if (idx == null) {
            idx = new HashMap<>();
            List<Ip> c = of(f);
            for (int i = 0; i < c.size(); i++) {
                idx.put(c.get(i), i);
            }
            index.put(f, idx);
        }
        Integer i = idx.get(ip);
        return i == null ? -1 : i;
    }

    /** The interfaces that carry {@code ip} (link-local: on any interface), in name order. */
    List<String> interfacesOf(Ip ip) {
        List<String> ifs = new ArrayList<>();
        for (Map.Entry<Ip, SortedSet<String>> e : host.entrySet()) {
            if (e.getKey().withoutZone().equals(ip.withoutZone())) {
                ifs.addAll(e.getValue());
            }
        }
        return ifs;
    }

    /** Every host address with its interfaces, e.g. {@code 10.0.0.1 on eth0, ::1 on lo}; {@code none}. */
    String describe() {
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
}
