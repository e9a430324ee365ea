package io.netns;

import io.netns.internal.OwnerRecord;
import io.netns.internal.StateDir;
import io.netns.rtnl.Link;
import io.netns.rtnl.RtnlClient;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * What netns keeps for the sandboxes of one host, as it is now: found by {@link Host#leftovers()}. While a
 * sandbox is open its things are listed too; once every sandbox of the host is closed (in every JVM),
 * everything listed is left over. {@link Host#reclaim()} works from this list, and so does the JUnit
 * extension's leak check, so neither knows netns's file layout or naming by itself.
 *
 * <p>The kinds, each with the sandbox it belongs to ({@link Item#owner()}, null when that cannot be told):
 * <ul>
 *   <li>{@link Kind#RECORD}: an owner record {@code /run/netns.d/sandboxes/<name>} of this host;</li>
 *   <li>{@link Kind#NAMESPACE}: a namespace under {@code /run/netns} that such a record names;</li>
 *   <li>{@link Kind#VETH}: a sandbox veth (host side, {@code nv} + 12 hex digits) in the host namespace;</li>
 *   <li>{@link Kind#LEASE}: an address lease {@code /run/netns.d/ipam/<host>/<network>/<ip>}, IPv4 or IPv6 (a
 *       sandbox of a dual-stack network has one of each);</li>
 *   <li>{@link Kind#CLAIM}: a published-port claim {@code /run/netns.d/ports/<host>/<protocol>-<port>/<ip>}, or
 *       of a range {@code /run/netns.d/port-ranges/<host>/<protocol>-<first>-<last>/<ip>};</li>
 *   <li>{@link Kind#RULE}: a sandbox owner the firewall reports for the host namespace (its tagged rules,
 *       or port claims whose rules never made it), when {@code netns-iptables} is present.</li>
 * </ul>
 * Bridge networks (the bridge, its gateway address, its shared rules) are not listed: they are shared by
 * the host's sandboxes and go with {@link Host#close()} of the host that made them.
 *
 * <p>Immutable: a snapshot taken when it was made.
 */
public final class Leftovers {
    /** What a leftover is. */
    public enum Kind {
        /** A sandbox namespace persisted under {@code /run/netns}. */
        NAMESPACE,
        /** The host side of a sandbox's veth pair. */
        VETH,
        /** An owner record. */
        RECORD,
        /** An address lease. */
        LEASE,
        /** A published-port claim. */
        CLAIM,
        /** A firewall owner: tagged rules or port claims of a sandbox. */
        RULE
    }

    /**
     * One leftover.
     *
     * @param kind what it is
     * @param what its name: the namespace, veth or sandbox name, {@code network/ip} for a lease,
     *     {@code protocol-port/ip} for a claim, the tag for a rule
     * @param owner the sandbox it belongs to, or null when that cannot be told
     */
    public record Item(Kind kind, String what, String owner) {
        /** @return e.g. {@code lease netns0/10.89.0.2 of web1} */
        @Override
        public String toString() {
            return kind.name().toLowerCase() + " " + what + (owner == null ? "" : " of " + owner);
        }
    }

    /** The host side of a sandbox's veth pair, as {@link BridgeSetup#vethName} makes it. */
    static final Pattern VETH = Pattern.compile("nv[0-9a-f]{12}");

    private final Host host;
    private final List<Item> items;
    private final Map<String, OwnerRecord> records;
    private final Map<Item, Path> files;

    private Leftovers(Host host, List<Item> items, Map<String, OwnerRecord> records, Map<Item, Path> files) {
        this.host = host;
        this.items = List.copyOf(items);
        this.records = records;
        this.files = files;
    }

    /** Reads everything of the host now: its state files, its namespace's links, its firewall's owners. */
    static Leftovers of(Host host) throws NetnsException {
        String id = host.id();
        List<Item> items = new ArrayList<>();
        Map<Item, Path> files = new HashMap<>();
        Map<String, OwnerRecord> records = new LinkedHashMap<>();
        for (OwnerRecord r : OwnerRecord.all()) {
            if (id.equals(r.get("host"))) {
                records.put(r.name(), r);
                items.add(new Item(Kind.RECORD, r.name(), r.name()));
                String ns = r.get("netns");
                if (ns != null && Files.exists(NetNamespace.directory().resolve(ns), LinkOption.NOFOLLOW_LINKS)) {
                    items.add(new Item(Kind.NAMESPACE, ns, r.name()));
                }
            }
        }
        List<String> veths = new ArrayList<>();
        for (Link l : host.rtnl().links()) {
            if ("veth".equals(l.kind()) && VETH.matcher(l.name()).matches()) {
                veths.add(l.name());
            }
        }
        Map<String, String> vethOwners = veths.isEmpty() ? Map.of() : vethOwners(id, records);
        for (String v : veths) {
            items.add(new Item(Kind.VETH, v, vethOwners.get(v)));
        }
        for (Path network : StateDir.list(StateDir.path("ipam", id))) {
            for (Path lease : StateDir.list(network)) {
                Item it = new Item(Kind.LEASE, network.getFileName() + "/" + lease.getFileName(), StateDir.readOrNull(lease));
                items.add(it);
                files.put(it, lease);
            }
        }
        List<Path> claimed = new ArrayList<>(StateDir.list(StateDir.path("ports", id)));
        claimed.addAll(StateDir.list(StateDir.path("port-ranges", id))); // one claim per published range
        for (Path port : claimed) {
            for (Path claim : StateDir.list(port)) {
                if (claim.getFileName().toString().startsWith(".")) {
                    continue; // being made right now (written, then linked to its name)
                }
                Firewall.Owner o = Firewall.Owner.parse(StateDir.readOrNull(claim));
                items.add(new Item(Kind.CLAIM, port.getFileName() + "/" + claim.getFileName(),
                        o != null && o.host().equals(id) && o.kind().equals("sandbox") ? o.name() : null));
            }
        }
        Firewall fw = FirewallLookup.optional();
        if (fw != null) {
            for (Firewall.Owner o : fw.owners(host.namespace())) {
                if (o.host().equals(id) && o.kind().equals("sandbox")) {
                    items.add(new Item(Kind.RULE, o.tag(), o.name()));
                }
            }
        }
        return new Leftovers(host, items, records, files);
    }

    /** Which record's sandbox each possible veth name belongs to: the recorded one, and every salt's. */
    private static Map<String, String> vethOwners(String hostId, Map<String, OwnerRecord> records) {
        Map<String, String> out = new HashMap<>();
        for (OwnerRecord r : records.values()) {
            if (!"bridge".equals(r.get("mode"))) {
                continue;
            }
            for (int salt = 0; salt < BridgeSetup.VETH_SALTS; salt++) {
                out.putIfAbsent(BridgeSetup.vethName(hostId, r.name(), salt), r.name());
            }
            if (r.get("veth") != null) {
                out.put(r.get("veth"), r.name());
            }
        }
        return out;
    }

    /** @return every leftover, records first, then namespaces, veths, leases, claims and rules */
    public List<Item> items() {
        return items;
    }

    /**
     * @param kind a kind
     * @return the leftovers of that kind
     */
    public List<Item> items(Kind kind) {
        return items.stream().filter(i -> i.kind() == kind).toList();
    }

    /** @return true when nothing is there */
    public boolean isEmpty() {
        return items.isEmpty();
    }

    /** The records read, by sandbox name. */
    Map<String, OwnerRecord> records() {
        return records;
    }

    /** The file of a lease item. */
    Path file(Item lease) {
        return files.get(lease);
    }

    /**
     * Removes every item listed, whoever owns it: for a test harness once every sandbox of the host is
     * closed, never while one is open (use {@link Host#reclaim()} to remove only what dead processes left).
     * Namespaces go only if they still are the ones their records made; veths, firewall owners (rules and
     * claims), leases and records go as they are. Everything is tried even when a removal fails.
     *
     * @throws NetnsException the first removal that failed
     */
    public void remove() throws NetnsException {
        io.netns.internal.Failures failures = new io.netns.internal.Failures();
        for (Item i : items(Kind.NAMESPACE)) {
            failures.run(() -> {
                String spared = NetNamespace.deleteIfMadeAs(i.what(), records.get(i.owner()).get("netnsid"));
                if (spared != null) {
                    throw NetnsException.failure("remove leftovers", spared);
                }
            });
        }
        for (Item i : items(Kind.VETH)) {
            failures.run(() -> deleteLink(host.rtnl(), i.what()));
        }
        Firewall fw = FirewallLookup.optional();
        if (fw != null) {
            Set<Firewall.Owner> owners = new LinkedHashSet<>();
            for (Item i : items) {
                if ((i.kind() == Kind.RULE || i.kind() == Kind.CLAIM) && i.owner() != null) {
                    owners.add(Firewall.Owner.sandbox(host.id(), i.owner()));
                }
            }
            for (Firewall.Owner o : owners) {
                failures.run(() -> fw.remove(host.namespace(), o));
            }
        }
        for (Item i : items(Kind.LEASE)) {
            StateDir.delete(files.get(i));
        }
        for (Item i : items(Kind.RECORD)) {
            records.get(i.what()).remove();
        }
        Ipam.forgetHost(host.id());
        failures.throwIfAny();
    }

    /** Deletes a link; one the kernel destroyed meanwhile (with its namespace) is fine. */
    static void deleteLink(RtnlClient rtnl, String name) throws NetnsException {
        try {
            rtnl.delete(name);
        } catch (NetlinkException e) {
            if (!"ENODEV".equals(e.errnoName())) {
                throw e;
            }
        }
    }

    /** @return one line per item, or {@code nothing} */
    @Override
    public String toString() {
        return items.isEmpty() ? "nothing" : items.toString();
    }
}
