package io.netns;

import io.netns.internal.Failures;
import io.netns.internal.NamespaceAccess;
import io.netns.internal.OwnerRecord;
import io.netns.internal.posix.Native;
import io.netns.rtnl.RtnlClient;
import java.net.InetAddress;
import java.nio.file.Files;
import io.netns.rtnl.Sysctl;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Makes sandboxes, mode by mode, as a {@link Cleanup} of undo steps: each thing made pushes the step that
 * removes it, so a failure half-way and {@link Sandbox#close()} share one way of undoing. Also
 * {@link Host#reclaim()}, which undoes from the {@link OwnerRecord} what a dead process left.
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

    private static Sandbox make(Host host, String name, NetworkMode mode, OwnerRecord record, Cleanup cleanup)
            throws NetnsException {
        if (mode instanceof NoneMode) {
            // One client, on the socket the thread that made the namespace opened inside it: no switch.
            NetNamespace.Created made = newNamespace(name, record, cleanup);
            try (RtnlClient inside = adopt(made)) {
                inside.setUp("lo");
            }
            return new Sandbox(host, name, mode, made.namespace, List.of(), cleanup, null);
        }
        if (mode instanceof HostMode) {
            HostMode h = (HostMode) mode;
            NetNamespace ns = NetNamespace.open(host.namespace().path());
            cleanup.push("handle " + ns, ns::close);
            if (!h.exposures().isEmpty()) {
                Firewall fw = Firewall.load();
                Firewall.Owner owner = Firewall.Owner.sandbox(host.id(), name);
                cleanup.push("firewall openings of " + name, () -> fw.remove(host.namespace(), owner));
                record.put("firewall", "1");
                fw.expose(host.namespace(), owner, h.exposures());
            }
            return new Sandbox(host, name, mode, ns, List.of(), cleanup, null);
        }
        if (mode instanceof ContainerMode) {
            ContainerMode c = (ContainerMode) mode;
            NetNamespace ns = c.open(host);
            cleanup.push("handle " + ns, ns::close);
            return new Sandbox(host, name, mode, ns, List.of(), cleanup, c.joinedSandbox(host));
        }
        BridgeMode b = (BridgeMode) mode;
        NetNamespace.Created made = newNamespace(name, record, cleanup);
        List<InetAddress> addrs;
        try (RtnlClient inside = adopt(made)) {
            addrs = BridgeSetup.attach(host, name, b, made.namespace, inside, record, cleanup);
        }
        return new Sandbox(host, name, mode, made.namespace, addrs, cleanup, null);
    }

    /** The client of the socket made inside a new namespace; it owns the socket. */
    private static RtnlClient adopt(NetNamespace.Created made) throws NetnsException {
        return NamespaceAccess.clients().adopt(made.socketFd, made.namespace.toString());
    }

    /** A namespace with a netlink socket inside (the caller adopts it at once), and its undo step. */
    private static NetNamespace.Created newNamespace(String name, OwnerRecord record, Cleanup cleanup)
            throws NetnsException {
        NetNamespace.Created made = NetNamespace.create(name, true);
        NetNamespace ns = made.namespace;
        cleanup.push("namespace " + name, () -> {
            ns.close();
            ns.delete();
        });
        try {
            record.put("netns", name);
        } catch (NetnsException | RuntimeException e) {
            Native.close(made.socketFd);
            throw e;
        }
        return made;
    }

    /** What the host itself made (bridge networks), removed when it closes. */
    static void closeHost(Host host) throws NetnsException {
        BridgeSetup.closeNetworks(host);
    }

    static List<String> reclaim(Host host) throws NetnsException {
        List<String> reclaimed = new ArrayList<>();
        Failures failures = new Failures();
        for (OwnerRecord r : OwnerRecord.all()) {
            if (!host.id().equals(r.get("host")) || r.ownerAlive()) {
                continue;
            }
            failures.run(() -> {
                if (r.get("netns") != null && Files.exists(NetNamespace.NETNS_DIR.resolve(r.get("netns")))) {
                    NetNamespace.deleteNamed(r.get("netns"));
                }
                BridgeSetup.reclaim(host, r);
                if (r.get("firewall") != null) {
                    Firewall.load().remove(host.namespace(), Firewall.Owner.sandbox(host.id(), r.name()));
                }
                r.remove();
                reclaimed.add(r.name());
            });
        }
        failures.run(() -> reclaimRules(host));
        failures.throwIfAny();
        return reclaimed;
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
        List<Firewall.Need> needs = new ArrayList<>();
        Map<String, String> bridges = new HashMap<>();
        for (BridgeSetup.Network n : networks) {
            Firewall.Owner owner = Firewall.Owner.network(host.id(), n.bridge());
            needs.add(new Firewall.Need.Network(owner, n.bridge(), n.subnet().toString()));
            for (String other : n.connected()) {
                needs.add(new Firewall.Need.Connection(owner, n.bridge(), other));
            }
        }
        host.networks().forEach((name, n) -> bridges.put(name, n.bridge()));
        Set<String> live = new HashSet<>();
        for (Sandbox s : host.sandboxes()) {
            live.add(s.name());
            Firewall.Owner owner = Firewall.Owner.sandbox(host.id(), s.name());
            if (s.mode() instanceof BridgeMode b && !b.published().isEmpty() && bridges.containsKey(b.name())) {
                needs.add(new Firewall.Need.Publication(owner, bridges.get(b.name()), s.addresses().get(0), b.published()));
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

    /** Tagged rules of sandboxes of this host that no live record owns (a record lost, a crash mid-setup). */
    private static void reclaimRules(Host host) throws NetnsException {
        Firewall fw;
        try {
            fw = Firewall.load();
        } catch (NetnsException absent) {
            return;
        }
        for (Firewall.Owner o : fw.owners(host.namespace())) {
            if (!o.host().equals(host.id()) || !o.kind().equals("sandbox")) {
                continue;
            }
            OwnerRecord r = OwnerRecord.read(o.name());
            if (r == null || !r.ownerAlive()) {
                fw.remove(host.namespace(), o);
            }
        }
    }
}
