package io.netns;

import io.netns.internal.Failures;
import io.netns.internal.Inet;
import io.netns.internal.OwnerRecord;
import io.netns.internal.OwnerRecord.Liveness;
import io.netns.internal.StateDir;
import io.netns.internal.cni.CniCache;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@link Host#reclaim()}: works from {@link Leftovers} of the host.
 *
 * <ol>
 *   <li>Every record whose owner is dead is locked (one reclaimer per record, see
 *       {@link OwnerRecord#lockForReclaim}) and undone: its namespace if it still is the recorded one, its
 *       veth, its firewall owner (rules and port claims), its leases (IPv4 and IPv6), then the record. An owner whose
 *       liveness cannot be told counts as alive, and is reported in {@link Reclaimed#spared()}.</li>
 *   <li>A cni sandbox's undo starts with its network's DEL, from the cached result ({@link CniSetup}).</li>
 *   <li>Then orphans: leases, port claims and tagged rules of sandboxes that have no record at all (a record
 *       is made before anything else of a sandbox and removed after everything else, so such things have no
 *       live owner).</li>
 * </ol>
 */
final class Reclaimer {
    private Reclaimer() {
    }

    static Reclaimed reclaim(Host host) throws NetnsException {
        Leftovers found = Leftovers.of(host);
        List<String> reclaimed = new ArrayList<>();
        List<String> removed = new ArrayList<>();
        List<String> spared = new ArrayList<>();
        Failures failures = new Failures();
        Map<String, CniCache.Entry> cniNetworks = new LinkedHashMap<>();
        for (OwnerRecord seen : found.records().values()) {
            Liveness l = seen.liveness();
            if (l == Liveness.UNKNOWN) {
                spared.add("sandbox " + seen.name() + " (counted as alive: " + seen.unknownBecause() + ")");
            }
            if (l != Liveness.DEAD) {
                continue;
            }
            failures.run(() -> {
                OwnerRecord r = seen.lockForReclaim();
                if (r == null) {
                    return; // another reclaimer has it, or it is gone
                }
                try {
                    if (r.liveness() != Liveness.DEAD) {
                        r.unlock();
                        return;
                    }
                    undo(host, r, spared, cniNetworks);
                    r.remove();
                    reclaimed.add(r.name());
                } catch (NetnsException | RuntimeException e) {
                    r.unlock();
                    throw e;
                }
            });
        }
        for (Leftovers.Item i : found.items(Leftovers.Kind.LEASE)) {
            if (i.owner() != null && OwnerRecord.read(i.owner()) == null) {
                String holder = StateDir.readOrNull(found.file(i));
                if (holder != null && holder.equals(i.owner()) && StateDir.delete(found.file(i))) {
                    removed.add(i.toString());
                }
            }
        }
        Firewall fw = FirewallLookup.optional();
        if (fw != null) {
            Set<String> owners = new LinkedHashSet<>();
            for (Leftovers.Item i : found.items()) {
                if ((i.kind() == Leftovers.Kind.RULE || i.kind() == Leftovers.Kind.CLAIM) && i.owner() != null
                        && !reclaimed.contains(i.owner())) {
                    owners.add(i.owner());
                }
            }
            for (String name : owners) {
                if (OwnerRecord.read(name) == null) { // read again: a sandbox of that name may be made right now
                    failures.run(() -> fw.remove(host.namespace(), Firewall.Owner.sandbox(host.id(), name)));
                    removed.add("firewall owner " + Firewall.Owner.sandbox(host.id(), name).tag());
                }
            }
        }
        CniSetup.collect(host, cniNetworks, failures); // cache entries no record names, then GC
        for (Leftovers.Item i : found.items(Leftovers.Kind.VETH)) {
            if (i.owner() == null) {
                spared.add(i + " (no record of this host names its sandbox)");
            }
        }
        failures.throwIfAny();
        return new Reclaimed(reclaimed, removed, spared);
    }

    /** Undoes what a dead owner's record says was made, last made first. */
    private static void undo(Host host, OwnerRecord r, List<String> spared, Map<String, CniCache.Entry> cniNetworks)
            throws NetnsException {
        Failures failures = new Failures();
        failures.run(() -> CniSetup.reclaim(host, r, cniNetworks)); // DEL while the namespace is still there
        String ns = r.get("netns");
        if (ns != null) {
            failures.run(() -> {
                String why = NetNamespace.deleteIfMadeAs(ns, r.get("netnsid"));
                if (why != null) {
                    spared.add("namespace " + ns + " of " + r.name() + " (" + why + ")");
                }
            });
        }
        String veth = r.get("veth");
        if (veth != null) {
            failures.run(() -> {
                if (host.rtnl().link(veth).isPresent()) {
                    Leftovers.deleteLink(host.rtnl(), veth);
                }
            });
        }
        if (r.get("firewall") != null) {
            failures.run(() -> Firewall.load().remove(host.namespace(), Firewall.Owner.sandbox(host.id(), r.name())));
        }
        String network = r.get("network");
        String ip = r.get("ip");
        if (network != null && ip != null) {
            Ipam.release(host.id(), network, Inet.parse("ip", ip), r.name());
        }
        String ip6 = r.get("ip6");
        if (network != null && ip6 != null) {
            Ipam.release(host.id(), network, Inet.parse("ip6", ip6), r.name());
        }
        failures.throwIfAny();
    }
}
