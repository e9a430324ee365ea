package io.netns;

import io.netns.internal.OwnerRecord;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Makes sandboxes as a {@link Cleanup} of undo steps, each mode by its own {@link ModeSetup}: each thing made
 * pushes the step that removes it, so a failure half-way and {@link Sandbox#close()} share one way of undoing.
 * {@link Reclaimer} undoes from the {@link OwnerRecord} what a dead process left.
 */
final class SandboxSetup {
    private SandboxSetup() {
    }

    static Sandbox create(Host host, String name, NetworkMode mode) throws NetnsException {
        Cleanup cleanup = new Cleanup();
        try {
            OwnerRecord record = OwnerRecord.claim(name, host.id(), mode.kind());
            cleanup.push("owner record " + name, record::remove);
            Sandbox s = make(host, name, mode, record, cleanup);
            record.finish();
            return s;
        } catch (NetnsException | RuntimeException | Error e) {
            cleanup.undoAfter(e);
            throw e;
        }
    }

    /** Each mode sets itself up ({@link ModeSetup}); every {@link NetworkMode} is one. */
    private static Sandbox make(Host host, String name, NetworkMode mode, OwnerRecord record, Cleanup cleanup)
            throws NetnsException {
        return ((ModeSetup) mode).setUp(host, name, record, cleanup);
    }

    /**
     * A new namespace with an rtnetlink client inside (the caller owns and closes the client), and its undo
     * step.
     */
    static NetNamespace.Created newNamespace(String name, OwnerRecord record, Cleanup cleanup)
            throws NetnsException {
        // Recorded before it exists, and its identity before it is persisted: a crash at any moment leaves
        // nothing that reclaim() cannot tell apart from a namespace someone else made under the name later.
        record.put("netns", name);
        NetNamespace.Created made = NetNamespace.create(name, true,
                id -> record.put("netnsid", id.dev() + ":" + id.ino()));
        NetNamespace ns = made.namespace();
        cleanup.push("namespace " + name, () -> {
            ns.close();
            ns.delete();
        });
        return made;
    }

    /** What the host itself made (bridge networks), removed when it closes. */
    static void closeHost(Host host) throws NetnsException {
        BridgeSetup.closeNetworks(host);
    }

    /** See {@link Host#reconcile()}. */
    static List<String> reconcile(Host host) throws NetnsException {
        List<String> changes = new ArrayList<>();
        List<BridgeSetup.Network> networks;
        synchronized (host.networks()) {
            networks = new ArrayList<>(host.networks().values());
        }
        if (!networks.isEmpty() && !"1".equals(Sysctl.read(host.namespace(), "net.ipv4.ip_forward"))) {
            Sysctl.write(host.namespace(), "net.ipv4.ip_forward", "1");
            changes.add("sysctl net.ipv4.ip_forward=1");
        }
        if (networks.stream().anyMatch(BridgeSetup.Network::dualStack)
                && !"1".equals(Sysctl.read(host.namespace(), BridgeSetup.FORWARDING6))) {
            Sysctl.write(host.namespace(), BridgeSetup.FORWARDING6, "1");
            changes.add("sysctl " + BridgeSetup.FORWARDING6 + "=1");
        }
        List<Firewall.Need> needs = new ArrayList<>();
        Map<String, String> bridges = new HashMap<>();
        for (BridgeSetup.Network n : networks) {
            Firewall.Owner owner = Firewall.Owner.network(host.id(), n.bridge());
            needs.add(new Firewall.Need.Network(owner, n.bridge(), n.subnet().toString()));
            if (n.dualStack()) {
                needs.add(new Firewall.Need.Network(owner, n.bridge(), n.subnet6().toString(), n.nat66()));
            }
            for (String other : n.connected()) {
                needs.add(new Firewall.Need.Connection(owner, n.bridge(), other));
            }
        }
        Map<String, BridgeSetup.Network> byName = new HashMap<>();
        synchronized (host.networks()) {
            byName.putAll(host.networks());
        }
        byName.forEach((name, n) -> bridges.put(name, n.bridge()));
        Set<String> live = new HashSet<>();
        for (Sandbox s : host.sandboxes()) {
            live.add(s.name());
            Firewall.Owner owner = Firewall.Owner.sandbox(host.id(), s.name());
            // The ports as published (choices made), not the mode's: a reconcile makes the same host ports again.
            if (s.mode() instanceof BridgeMode b && !s.published().isEmpty() && bridges.containsKey(b.name())) {
                needs.add(new Firewall.Need.Publication(owner, bridges.get(b.name()), leased(byName.get(b.name()), s),
                        s.published()));
            } else if (s.mode() instanceof HostMode h && !h.exposures().isEmpty()) {
                needs.add(new Firewall.Need.Opening(owner, h.exposures()));
            }
        }
        Firewall fw;
        try {
            fw = Firewall.load();
        } catch (NetnsException absent) {
            if (needs.stream().anyMatch(n -> !(n instanceof Firewall.Need.Network))) {
                throw absent; // something needs rules that only an implementation can make
            }
            return changes;
        }
        changes.addAll(fw.reconcile(host.namespace(), needs));
        Set<String> bridgesHere = new HashSet<>(bridges.values());
        for (Firewall.Owner o : fw.owners(host.namespace())) {
            if (!o.host().equals(host.id())) {
                continue;
            }
            boolean gone;
            if (o.kind().equals("sandbox")) {
                OwnerRecord r = live.contains(o.name()) ? null : OwnerRecord.read(o.name());
                gone = !live.contains(o.name()) && (r == null || !r.ownerAlive());
            } else {
                gone = o.kind().equals("network") && !bridgesHere.contains(o.name())
                        && host.rtnl().link(o.name()).isEmpty();
            }
            if (gone) {
                fw.remove(host.namespace(), o);
                changes.add("removed the rules of " + o.tag());
            }
        }
        return changes;
    }

    /**
     * A bridge sandbox's own addresses as its kernel has them now: the first of its network's IPv4 subnet,
     * then the first of its IPv6 subnet if the network is dual-stack (addresses added inside since are not
     * published).
     */
    private static List<InetAddress> leased(BridgeSetup.Network n, Sandbox s) throws NetnsException {
        List<InetAddress> all = s.addresses();
        List<InetAddress> out = new ArrayList<>(2);
        all.stream().filter(a -> n.subnet().contains(a)).findFirst().ifPresent(out::add);
        if (n.dualStack()) {
            all.stream().filter(a -> n.subnet6().contains(a)).findFirst().ifPresent(out::add);
        }
        if (out.isEmpty()) {
            throw NetnsException.failure("reconcile", s + " has no address of its network's subnet " + n.subnet()
                    + " any more (it has " + all + "): its published ports cannot be re-applied");
        }
        return out;
    }
}
