package io.netns.iptables;

import io.netns.Exposure;
import io.netns.Firewall;
import io.netns.Firewall.Need;
import io.netns.NetNamespace;
import io.netns.Netns;
import io.netns.NetnsException;
import io.netns.Protocol;
import io.netns.Sysctl;
import io.netns.PublishedPort;
import io.netns.internal.Failures;
import io.netns.internal.Inet;
import io.netns.internal.Names;
import io.netns.internal.StateDir;
import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The {@link Firewall} over {@code iptables-restore} / {@code iptables-save} (and {@code ip6tables-*}) for
 * filtering and masquerade, and over native nf_tables rules ({@code NatTable}) for the DNAT of published
 * ports; found by {@link Firewall#load()} through {@code META-INF/services}.
 *
 * <h2>Etiquette</h2>
 * <ul>
 *   <li>Rules live in the library's own chains: filter {@code NETNS-INPUT}, {@code NETNS-FORWARD}; nat
 *       {@code NETNS-POSTROUTING}; the DNAT of published ports as elements of maps of the nf_tables table
 *       {@code netns} ({@code NatTable}: a constant number of rules, one element per port or range). Each chain is made at first use and jumped to once, first in its built-in chain,
 *       by a rule tagged {@code netns:chain}. Chains and jumps stay when their rules are removed, like
 *       Docker's {@code DOCKER-USER}.</li>
 *   <li>Every rule carries {@code -m comment --comment "<owner.tag()>"} (every map element an nftables
 *       comment); {@link #remove} deletes exactly the rules and elements with that comment. Built-in policies are never
 *       changed, untagged rules never touched.</li>
 *   <li>Every change is one {@code iptables-restore --noflush --wait} run inside the host's namespace, its
 *       input on stdin, made only from checked values ({@link Rule}). {@code iptables-restore} commits each
 *       table on its own; when a change spanning filter and nat fails half way, the committed half is
 *       rolled back by a second transaction.</li>
 *   <li>A chain is declared only when it is not known to exist (from the last {@code iptables-save} of that
 *       namespace in this JVM): under {@code --noflush}, declaring an existing chain flushes it.</li>
 *   <li>Changes are serialized in this JVM and, through a lock on one byte per namespace (at its inode) of
 *       {@code /run/netns.d/locks/firewall} ({@code FirewallLock}: root-owned directory, file mode 0600, so
 *       no other user can hold it; every wait bounded by {@code -Dio.netns.lock.timeout}, default 10 s),
 *       with other JVMs changing the same namespace, so two processes cannot both "create" a chain and
 *       flush each other's rules.</li>
 *   <li>Published host ports are claimed in files under {@code /run/netns.d/ports}, ranges (one claim
 *       each) under {@code /run/netns.d/port-ranges} (see {@code PortClaims}); publishing a port or range
 *       that overlaps another owner's claim, or a socket bound on the host, fails naming both.</li>
 * </ul>
 *
 * <h2>Cost</h2>
 * With the nf_tables backend every change is one transaction written to a long-lived
 * {@code iptables-restore} of that namespace and family ({@code RestoreSession}: about a millisecond; no
 * process started, and no 10–20 ms wait for the kernel to free deleted rules when a fresh restore closes
 * its socket); with the legacy backend (or {@code -Dio.netns.iptables.sessions=false}) one
 * {@code iptables-restore} per change (≈ 5–20 ms each).
 * <ul>
 *   <li>{@link #publish}: the port claims, a {@code sock_diag} query of the host's bound sockets, and one
 *       netlink batch of map elements ({@code NatTable}, ≈ 0.3 ms, the same with 10 or 10,000 ports
 *       published on the host); the first publication on a host that needs
 *       {@code route_localnet} also writes the localnet guard (an {@code iptables-save} and a restore).
 *       Publish conflicts come from the port claims.</li>
 *   <li>{@link #expose}: no read when this JVM has seen the library's chains in that namespace, by
 *       namespace inode; otherwise one {@code iptables-save} first. If the cache is wrong (a namespace
 *       with a reused inode, a flushed firewall) the restore fails and is retried once after a fresh
 *       read.</li>
 *   <li>{@link #remove} of a sandbox owner whose rules this JVM wrote: one transaction of {@code -D} lines
 *       per family it wrote iptables rules in, one netlink batch deleting its map elements by key, and the
 *       release of its port claims. When that fails (rules changed underneath) or the record is incomplete
 *       (another process wrote rules of that owner), and for network owners and owners of other processes
 *       ({@code reclaim()}):
 *       {@code iptables-save} and {@code ip6tables-save} at once, one restore per family with rules of the
 *       owner, a dump of the {@code netns} tables, and a scan of the host's port claims.</li>
 *   <li>{@link #addNetwork} and {@link #owners}: as before, a save (both for owners), then one restore.</li>
 * </ul>
 * Every change also reads the namespace's nf_tables generation before and after (two small netlink
 * round trips): when it differs from the one after this JVM's last change, someone else changed the
 * ruleset (a flush, a reload, another process), and no cache of that namespace is trusted: chains are
 * read again, a publication repairs its network's rules, map elements are deleted only after a fresh read.
 * {@link #reconcile} repairs everything a host's live sandboxes need.
 * On the fast paths the rules made before are not read: exposing the same opening twice for one owner
 * writes it twice (both go with {@link #remove}); {@code addNetwork} and {@code publish} are idempotent.
 * Measured on nf_tables, bridge sandbox with one published port, create+close: see the closing note of
 * issue 4 and {@code netns-bench/results}.
 */
public final class IptablesFirewall implements Firewall {
    private static final ReentrantLock JVM_LOCK = new ReentrantLock();

    private final Iptables tools;
    private final Path lockFile;
    /**
     * (dev, ino, family) to the library chains known to exist with their jump; per JVM, because instances
     * come from {@link Firewall#load()} (through a context class loader, one per call) and from tests.
     */
    private static final Map<String, Set<Chain>> KNOWN = new ConcurrentHashMap<>();
    private static FileChannel lockChannel;
    private static FileLock fileLock;

    private final Map<String, Set<Chain>> known = KNOWN;
    /**
     * Per namespace (dev:ino): the nf_tables generation after this JVM's last change there. A different
     * generation at the start of the next change means someone else changed the ruleset in between (a
     * flush, a reload, another process): then nothing remembered about that namespace is trusted.
     */
    private static final Map<String, Long> TRUSTED_GEN = new ConcurrentHashMap<>();
    /** Per namespace: the bridges whose network rules were checked since someone else last changed the ruleset. */
    private static final Map<String, Set<String>> VERIFIED = new ConcurrentHashMap<>();
    /** Per namespace: bridge to the network made (and connected) through this JVM, for a repair after a flush. */
    private static final Map<String, Map<String, List<Need>>> NETWORKS = new ConcurrentHashMap<>();
    /** Set by the outermost {@link #lock}: whether the ruleset changed since this JVM's last change; under JVM_LOCK. */
    private static boolean changedByOthers;
    /** Set by the outermost {@link #lock}: the generation then (-1 when unknown); under JVM_LOCK. */
    private static long lockedGen = -1;

    /** (dev, ino, tag) to the rules and port claims this JVM wrote for the owner there, for a remove without a read. */
    private static final Map<String, Written> WRITTEN = new ConcurrentHashMap<>();

    /**
     * What this JVM wrote for one owner in one namespace.
     *
     * @param rules per family, the iptables rules appended, in order (duplicates included)
     * @param nat the map elements of its published ports
     * @param claims the port claims made
     * @param complete false once a read showed rules of the owner this record does not have
     */
    private record Written(Map<Family, List<Rule>> rules, List<NatTable.Element> nat, List<Path> claims, boolean complete) {
    }

    private static String writtenKey(NetNamespace host, String tag) {
        return host.device() + ":" + host.inode() + ":" + tag;
    }

    private static List<Rule> written(NetNamespace host, String tag, Family family) {
        Written w = WRITTEN.get(writtenKey(host, tag));
        return w == null ? List.of() : w.rules.getOrDefault(family, List.of());
    }

    private static void record(NetNamespace host, String tag, Family family, List<Rule> added, List<NatTable.Element> nat,
            List<Path> claims, boolean foreign) {
        WRITTEN.compute(writtenKey(host, tag), (k, w) -> {
            Map<Family, List<Rule>> rules = new EnumMap<>(Family.class);
            List<NatTable.Element> allNat = new ArrayList<>();
            List<Path> allClaims = new ArrayList<>();
            boolean complete = !foreign;
            if (w != null) {
                w.rules.forEach((f, l) -> rules.put(f, new ArrayList<>(l)));
                allNat.addAll(w.nat);
                allClaims.addAll(w.claims);
                complete &= w.complete;
            }
            rules.computeIfAbsent(family, f -> new ArrayList<>()).addAll(added);
            allNat.addAll(nat);
            allClaims.addAll(claims);
            return new Written(rules, allNat, allClaims, complete);
        });
    }

    /** Uses the installed {@code iptables}; the constructor {@link java.util.ServiceLoader} calls. */
    public IptablesFirewall() {
        this(Iptables.SYSTEM, FirewallLock.defaultFile());
    }

    IptablesFirewall(Iptables tools, Path lockFile) {
        this.tools = tools;
        this.lockFile = lockFile;
    }


    /**
     * @param owner an owner
     * @return its tag, checked: each part a valid name, the whole a valid comment
     * @throws IllegalArgumentException if a part is not a valid name
     */
    static String tag(Owner owner) {
        Objects.requireNonNull(owner, "owner");
        Names.check("owner host", owner.host());
        Names.check("owner kind", owner.kind());
        Names.check("owner name", owner.name());
        return Rule.checkComment(owner.tag());
    }

    @Override
    public void addNetwork(NetNamespace host, Owner owner, String bridge, String subnet) throws NetnsException {
        addNetwork(host, owner, bridge, subnet, true);
    }

    /**
     * {@inheritDoc}
     *
     * <p>The rules go to {@code iptables} or {@code ip6tables} by the subnet's family; a dual-stack network
     * is two calls, one per subnet, each with its own choice.
     */
    @Override
    public void addNetwork(NetNamespace host, Owner owner, String bridge, String subnet, boolean masquerade)
            throws NetnsException {
        String tag = tag(owner);
        Rule.checkInterface("bridge", bridge);
        Inet.Cidr cidr = Inet.Cidr.parse("subnet", subnet);
        Family family = cidr.isIpv6() ? Family.IPV6 : Family.IPV4;
        Rule first = Rules.isolation(tag, bridge);
        List<Rule> rest = Rules.network(tag, bridge, cidr, masquerade);
        Set<Chain> chains = new LinkedHashSet<>(Rules.chains(rest));
        chains.add(Chain.NETNS_FORWARD);
        lock(host);
        try {
            addNetworkLocked(host, tag, bridge, family, first, rest, chains);
            remember(host, bridge, new Need.Network(owner, bridge, cidr.toString(), masquerade));
        } finally {
            unlock();
        }
    }

    /** Notes a network's need for a repair after a flush; its rules were checked just now. */
    private static void remember(NetNamespace host, String bridge, Need need) {
        String ns = identity(host);
        NETWORKS.computeIfAbsent(ns, k -> new ConcurrentHashMap<>()).compute(bridge, (k, l) -> {
            List<Need> all = l == null ? new ArrayList<>() : new ArrayList<>(l);
            all.removeIf(n -> n.equals(need) || need instanceof Need.Network m && n instanceof Need.Network o
                    && familyOf(m) == familyOf(o)); // one network need per family: a dual-stack network has two
            all.add(need);
            return List.copyOf(all);
        });
        VERIFIED.computeIfAbsent(ns, k -> ConcurrentHashMap.newKeySet()).add(bridge);
    }

    private void addNetworkLocked(NetNamespace host, String tag, String bridge, Family family, Rule first, List<Rule> rest,
            Set<Chain> chains) throws NetnsException {
        apply(host, family, chains, false, rs -> networkChange(rs, tag, first, rest));
    }

    @Override
    public void connect(NetNamespace host, Owner owner, String bridge, String other) throws NetnsException {
        String tag = tag(owner);
        Rule.checkInterface("bridge", bridge);
        Rule.checkInterface("other bridge", other);
        if (bridge.equals(other)) {
            throw new IllegalArgumentException("a bridge network cannot be connected to itself: " + bridge);
        }
        List<Rule> desired = Rules.connect(tag, bridge, other);
        lock(host);
        try {
            // IPv4 always; IPv6 where the network has an IPv6 part (rules of its owner in ip6tables)
            for (Family f : Family.values()) {
                apply(host, f, Set.of(Chain.NETNS_ISOLATION), false, rs -> {
                    if (f == Family.IPV6 && rs.tagged(tag).isEmpty()) {
                        return Change.NONE;
                    }
                    List<Rule> add = new ArrayList<>();
                    for (Rule r : desired) {
                        if (rs.count(r) == 0) {
                            add.add(r);
                        }
                    }
                    return add.isEmpty() ? Change.NONE : new Change(List.of(), List.of(), add);
                });
            }
            remember(host, bridge, new Need.Connection(owner, bridge, other));
        } finally {
            unlock();
        }
    }

    /**
     * {@inheritDoc}
     *
     * <p>With an address of each family (a dual-stack network), a port without a host address is published
     * in both: elements of {@code table ip netns} to the IPv4 address and of {@code table ip6 netns} to the
     * IPv6 address. A port on {@code 0.0.0.0} or an IPv4 address is published in IPv4 only, one on
     * {@code ::} or an IPv6 address in IPv6 only (Docker's rules). Both families are one change as callers
     * see it: when the second fails, the first is taken back. The host port is claimed once per port,
     * whatever its families ({@code PortClaims}), except that {@code 0.0.0.0} and {@code ::} claim only their
     * family (one owner may publish {@code 0.0.0.0:8080}, another {@code [::]:8080}, as in Docker); the check that no host socket is bound to it is made per
     * family ({@code [::]:8080} bound with {@code IPV6_V6ONLY} off blocks both), and a host port chosen for
     * a port of both families is free in both.
     *
     * @throws IllegalArgumentException if {@code sandboxIps} is empty, has more than one address of a family
     *     or a null, or a port's host address is of a family the sandbox has no address of, or is {@code ::1}
     */
    @Override
    public List<PublishedPort> publish(NetNamespace host, Owner owner, String bridge, List<InetAddress> sandboxIps,
            List<PublishedPort> ports) throws NetnsException {
        return publishAll(host, owner, bridge, Rules.byFamily(sandboxIps), ports);
    }

    /**
     * Publishes on the sandbox's addresses: claims the fixed ports and ranges (one claim per range), checks them
     * against the host's bound sockets of each family they are published in, chooses the host port of each
     * choice (the first of its range free of claims and bound sockets; for host port 0 one of the host's
     * ephemeral range), then adds the map elements of each family.
     *
     * @param to the sandbox's address of each family
     * @return the ports as published, choices made, in the order given
     */
    private List<PublishedPort> publishAll(NetNamespace host, Owner owner, String bridge, Map<Family, InetAddress> to,
            List<PublishedPort> ports) throws NetnsException {
        String tag = tag(owner);
        Rule.checkInterface("bridge", bridge);
        List<PublishedPort> list = List.copyOf(ports);
        if (list.isEmpty()) {
            return list;
        }
        for (PublishedPort p : list) {
            Rules.checkNotLoopback6(p);
            if (p.hostIp() != null && !to.containsKey(Family.of(p.hostIp()))) {
                String family = Family.of(p.hostIp()) == Family.IPV4 ? "IPv4" : "IPv6";
                throw new IllegalArgumentException("published port " + p + " is on an " + family + " host address, but "
                        + "the sandbox has no " + family + " address (it has " + to.values().stream().map(Addr::text)
                        .toList() + ")");
            }
        }
        List<PublishedPort> fixed = list.stream().filter(p -> !chooses(p)).toList();
        checkDistinct(fixed);
        lock(host);
        try {
            List<Path> claims = new ArrayList<>(PortClaims.claim(owner.host(), tag, fixed));
            io.netns.internal.CrashPoint.passed("port claims of " + tag);
            try {
                Map<Protocol, List<HostSockets.Socket>> bound = new EnumMap<>(Protocol.class);
                for (Family f : to.keySet()) {
                    checkNotBound(host, f, Rules.portsOf(f, fixed), bound);
                }
                List<PublishedPort> published = new ArrayList<>(fixed);
                List<PublishedPort> chosen = new ArrayList<>();
                for (PublishedPort p : list) {
                    if (chooses(p)) { // not a port this call publishes otherwise: its claims are this owner's too
                        PublishedPort c = choose(host, owner.host(), tag, families(p, to), p, bound, claims, published);
                        published.add(c);
                        chosen.add(c);
                    }
                }
                published.clear();
                for (PublishedPort p : list) {
                    published.add(chooses(p) ? chosen.remove(0) : p);
                }
                Map<Family, List<NatTable.Mapping>> desired = new EnumMap<>(Family.class);
                to.forEach((f, ip) -> desired.put(f, Rules.publish(tag, ip, Rules.portsOf(f, published))));
                InetAddress v4 = to.get(Family.IPV4);
                boolean localnet = v4 != null && Rules.needsRouteLocalnet(v4, Rules.portsOf(Family.IPV4, published));
                repairNetwork(host, bridge);
                Map<Family, List<NatTable.Mapping>> add = new EnumMap<>(Family.class);
                desired.forEach((f, d) -> add.put(f, new ArrayList<>(d)));
                Written w = WRITTEN.get(writtenKey(host, tag));
                if (w != null && w.complete) {
                    w.nat.forEach(e -> add.values().forEach(l -> l.remove(e.mapping()))); // published before: idempotent
                } else if (w != null) { // published before, and the ruleset changed since: what is left of it?
                    boolean stale = false;
                    for (Map.Entry<Family, List<NatTable.Mapping>> en : add.entrySet()) {
                        List<NatTable.Element> left = tagged(host, en.getKey(), tag);
                        if (left.size() >= desired.get(en.getKey()).size()) {
                            en.getValue().clear();
                        } else {
                            deleteExactly(host, en.getKey(), tag);
                            stale = true;
                        }
                    }
                    if (stale) {
                        WRITTEN.remove(writtenKey(host, tag));
                    }
                }
                List<NatTable.Element> made = addAll(host, owner.host(), add, localnet);
                record(host, tag, Family.IPV4, List.of(), made, claims, false);
                return List.copyOf(published);
            } catch (NetnsException | RuntimeException e) {
                PortClaims.release(claims);
                throw e;
            }
        } finally {
            unlock();
        }
    }

    /** The families a port is published in on a sandbox with addresses {@code to}. */
    private static Set<Family> families(PublishedPort p, Map<Family, InetAddress> to) {
        return p.hostIp() == null ? to.keySet() : Set.of(Family.of(p.hostIp()));
    }

    /**
     * The elements of each family, IPv4 first; when a family fails, what the others made goes again (and
     * {@code route_localnet} back to its value before when nothing else needs it), so the caller sees one
     * change. With {@code localnet}, IPv4 goes through {@link #publishLocalnet} even without new elements:
     * it makes the guard again when someone deleted it.
     */
    private static List<NatTable.Element> addAll(NetNamespace host, String hostId, Map<Family, List<NatTable.Mapping>> add,
            boolean localnet) throws NetnsException {
        List<NatTable.Element> made = new ArrayList<>();
        boolean localnetMade = false;
        try {
            for (Map.Entry<Family, List<NatTable.Mapping>> en : add.entrySet()) {
                if (en.getKey() == Family.IPV4 && localnet) {
                    made.addAll(publishLocalnet(host, hostId, en.getValue()));
                    localnetMade = true;
                } else if (!en.getValue().isEmpty()) {
                    made.addAll(NatTable.add(host, en.getKey(), en.getValue()));
                }
            }
            return made;
        } catch (NetnsException | RuntimeException e) {
            try {
                NatTable.delete(host, made);
                if (localnetMade) {
                    settleLocalnet(host, hostId);
                }
            } catch (NetnsException | RuntimeException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    /** @return whether the host port is chosen when published: a host range for one container port, or host port 0 */
    private static boolean chooses(PublishedPort p) {
        return p.choosesHostPort() || p.hostPort() == 0;
    }

    /** {@code net.ipv4.ip_local_port_range}: the host's ephemeral ports (for IPv6 too). */
    static final String EPHEMERAL = "net.ipv4.ip_local_port_range";

    /**
     * Chooses and claims the host port of a choice ({@link #choosePort}).
     *
     * @return the port as published: one host port for the container port
     */
    private static PublishedPort choose(NetNamespace host, String hostId, String tag, Set<Family> families, PublishedPort p,
            Map<Protocol, List<HostSockets.Socket>> bound, List<Path> claims, List<PublishedPort> others)
            throws NetnsException {
        Set<Integer> taken = new HashSet<>();
        for (PublishedPort o : others) {
            if (o.protocol() == p.protocol() && overlaps(o.hostIp(), p.hostIp())) {
                for (int q = o.hostPort(); q <= o.hostPortEnd(); q++) {
                    taken.add(q);
                }
            }
        }
        int port = choosePort(host, hostId, tag, families, p.protocol(), p.hostIp(), p.hostPort(), p.hostPortEnd(), bound,
                claims, p.toString(), taken);
        return new PublishedPort(p.protocol(), p.hostIp(), port, port, p.containerPort(), p.containerPortEnd());
    }

    /** @return the first and last port of the host's {@value #EPHEMERAL}, read inside its namespace */
    private static int[] ephemeralRange(NetNamespace host) throws NetnsException {
        String text = Sysctl.read(host, EPHEMERAL).strip();
        String[] f = text.split("\\s+");
        int from;
        int to;
        try {
            from = Integer.parseInt(f[0]);
            to = Integer.parseInt(f[f.length - 1]);
        } catch (NumberFormatException e) {
            throw NetnsException.failure("publish", "cannot read " + EPHEMERAL + " of " + host + ": " + text);
        }
        if (from < 1 || to > 65535 || to < from) {
            throw NetnsException.failure("publish", EPHEMERAL + " of " + host + " is not a port range: " + text);
        }
        return new int[] {from, to};
    }

    /**
     * Chooses and claims a host port: the first port of {@code from..to} (for {@code from} 0, of the host's
     * ephemeral range, read inside the host's namespace, starting at a random port of it and wrapping) that
     * no other owner claims and no socket of the host is bound to.
     *
     * @param claims where the claim made is added
     * @param what the publication, for the message
     * @param taken ports the same call publishes otherwise (their claims are the owner's too)
     * @return the port
     * @throws NetnsException naming the range when every port of it is taken
     */
    static int choosePort(NetNamespace host, String hostId, String tag, Family family, Protocol protocol, InetAddress hostIp,
            int from, int to, Map<Protocol, List<HostSockets.Socket>> bound, List<Path> claims, String what,
            Set<Integer> taken) throws NetnsException {
        return choosePort(host, hostId, tag, Set.of(family), protocol, hostIp, from, to, bound, claims, what, taken);
    }

    /** {@link #choosePort(NetNamespace, String, String, Family, Protocol, InetAddress, int, int, Map, List, String, Set)}
     * for a port published in several families: free of bound sockets in each. */
    static int choosePort(NetNamespace host, String hostId, String tag, Set<Family> families, Protocol protocol, InetAddress hostIp,
            int from, int to, Map<Protocol, List<HostSockets.Socket>> bound, List<Path> claims, String what,
            Set<Integer> taken) throws NetnsException {
        int start = from;
        boolean ephemeral = from == 0;
        if (ephemeral) {
            int[] range = ephemeralRange(host);
            from = range[0];
            to = range[1];
            start = from + java.util.concurrent.ThreadLocalRandom.current().nextInt(to - from + 1);
        }
        Set<Integer> busy = new HashSet<>(taken);
        for (HostSockets.Socket s : sockets(host, protocol, bound)) {
            if (families.stream().anyMatch(f -> sameFamily(s, f)) && takes(s.address(), hostIp)) {
                busy.add(s.port());
            }
        }
        int size = to - from + 1;
        for (int i = 0; i < size; i++) {
            int port = from + (start - from + i) % size;
            if (!busy.contains(port) && PortClaims.tryClaim(hostId, tag, protocol, hostIp, port, claims)) {
                return port;
            }
        }
        throw NetnsException.failure("publish", "cannot publish " + what + ": every host port of " + from + "-" + to + "/"
                + protocol.id() + (ephemeral ? " (" + EPHEMERAL + " of the host)" : "")
                + " is published already or bound on the host");
    }

    /**
     * When someone else changed the ruleset since this JVM last checked the network of {@code bridge} (a
     * flush, a reload), its rules are made again where missing, so a publication after a flush works.
     * Only for networks made through this JVM; {@code Host.reconcile()} covers the rest.
     */
    private void repairNetwork(NetNamespace host, String bridge) throws NetnsException {
        String ns = identity(host);
        if (VERIFIED.getOrDefault(ns, Set.of()).contains(bridge)) {
            return;
        }
        List<Need> needs = NETWORKS.getOrDefault(ns, Map.of()).get(bridge);
        if (needs != null) {
            reconcileLocked(host, needs);
        }
    }

    private static List<NatTable.Element> tagged(NetNamespace host, Family family, String tag) throws NetnsException {
        return NatTable.list(host, family).stream().filter(e -> tag.equals(e.comment())).toList();
    }

    /**
     * Deletes the owner's elements of a family, exactly: read, then deleted in a batch the kernel refuses
     * if the ruleset changed since the read (then read again).
     */
    private static void deleteExactly(NetNamespace host, Family family, String tag) throws NetnsException {
        for (int attempt = 0; ; attempt++) {
            long gen = NatTable.generation(host);
            List<NatTable.Element> mine = tagged(host, family, tag);
            if (mine.isEmpty()) {
                return;
            }
            try {
                NatTable.delete(host, mine, gen);
                return;
            } catch (NetnsException e) {
                if (e.errno() != NatTable.ERESTART || attempt >= 4) {
                    throw e;
                }
            }
        }
    }

    /**
     * Elements of which some need {@code route_localnet}: the guard is looked for in the kernel (not in a
     * cache of this JVM); when missing it is written in the same batch as the elements, and only then is
     * the sysctl set. If setting the sysctl fails, the elements and the guard of this batch go again.
     */
    private static List<NatTable.Element> publishLocalnet(NetNamespace host, String hostId, List<NatTable.Mapping> add)
            throws NetnsException {
        boolean guarded = NatTable.guarded(host);
        List<NatTable.Element> made = NatTable.add(host, Family.IPV4, add, !guarded);
        try {
            Localnet.enable(host, hostId);
        } catch (NetnsException | RuntimeException e) {
            try {
                NatTable.delete(host, made);
                if (!guarded) {
                    NatTable.deleteGuard(host);
                }
            } catch (NetnsException | RuntimeException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
        return made;
    }

    /**
     * Whether an element this JVM wrote for another owner of the host, still there, needs
     * {@code route_localnet}: then the sysctl and the guard stay, and the maps need not be read (a read of
     * every element would make a removal cost grow with the host's published ports). Only while nobody else
     * changed the ruleset since this JVM's last change (the fast path of {@link #remove}).
     */
    private static boolean localnetNeededByOthers(NetNamespace host) {
        String ns = nsKey(host) + ":";
        for (Map.Entry<String, Written> en : WRITTEN.entrySet()) {
            Written w = en.getValue();
            if (en.getKey().startsWith(ns) && w.complete && w.nat.stream().anyMatch(NatTable.Element::localnet)) {
                return true;
            }
        }
        return false;
    }

    /**
     * After elements were removed: when no element of the host needs {@code route_localnet} any more, the
     * sysctl goes back to its value before, then the guard goes.
     */
    private static void settleLocalnet(NetNamespace host, String hostId) throws NetnsException {
        if (NatTable.list(host, Family.IPV4).stream().anyMatch(NatTable.Element::localnet)) {
            return;
        }
        Localnet.restore(host, hostId);
        NatTable.deleteGuard(host);
    }

    @Override
    public void expose(NetNamespace host, Owner owner, List<Exposure> openings) throws NetnsException {
        String tag = tag(owner);
        Map<Family, List<Exposure>> byFamily = new EnumMap<>(Family.class);
        for (Exposure e : openings) {
            byFamily.computeIfAbsent(Family.of(e.address().getAddress()), f -> new ArrayList<>()).add(e);
        }
        Map<Family, Change> done = new EnumMap<>(Family.class);
        lock(host);
        try {
            exposeLocked(host, tag, byFamily, done);
        } finally {
            unlock();
        }
    }

    private void exposeLocked(NetNamespace host, String tag, Map<Family, List<Exposure>> byFamily, Map<Family, Change> done)
            throws NetnsException {
        for (Map.Entry<Family, List<Exposure>> en : byFamily.entrySet()) {
            List<Rule> desired = Rules.expose(tag, en.getValue());
            try {
                boolean[] foreign = {false};
                Change c = apply(host, en.getKey(), Rules.chains(desired), true, rs -> {
                    if (rs != Ruleset.empty()) {
                        foreign[0] = rs.tagged(tag).size() != written(host, tag, en.getKey()).size();
                    }
                    List<Rule> add = new ArrayList<>();
                    for (Rule r : desired) {
                        if (rs.count(r) == 0) {
                            add.add(r);
                        }
                    }
                    return new Change(add, List.of());
                });
                done.put(en.getKey(), c);
                record(host, tag, en.getKey(), c.add(), List.of(), List.of(), foreign[0]);
            } catch (NetnsException e) {
                done.forEach((f, change) -> { // the other family's openings of this call: take them back
                    if (change.isEmpty()) {
                        return;
                    }
                    IptablesRestoreWriter undo = new IptablesRestoreWriter();
                    change.added().forEach(undo::delete);
                    try {
                        tools.restore(host, f, undo.render());
                    } catch (NetnsException suppressed) {
                        e.addSuppressed(suppressed);
                    }
                });
                throw e;
            }
        }
    }

    @Override
    public void remove(NetNamespace host, Owner owner) throws NetnsException {
        String tag = tag(owner);
        lock(host);
        try {
            Written w = WRITTEN.remove(writtenKey(host, tag));
            if (owner.kind().equals("network")) {
                Map<String, List<Need>> nets = NETWORKS.get(identity(host));
                if (nets != null) {
                    nets.remove(owner.name());
                }
            }
            if (w != null && w.complete && owner.kind().equals("sandbox") && !changedByOthers) {
                try {
                    // First, while the generation is the one the handles were made in: the kernel refuses the
                    // batch (and nothing else's rule goes) if the table changed since.
                    NatTable.delete(host, w.nat, lockedGen);
                    List<NatTable.Element> nat = new ArrayList<>(w.nat);
                    w.nat.clear();
                    for (Map.Entry<Family, List<Rule>> en : w.rules.entrySet()) {
                        if (en.getValue().isEmpty()) {
                            continue;
                        }
                        IptablesRestoreWriter d = new IptablesRestoreWriter();
                        en.getValue().forEach(d::delete);
                        tools.restore(host, en.getKey(), d.render());
                        en.getValue().clear(); // gone: a fallback below must not count on them
                    }
                    PortClaims.release(w.claims);
                    if (nat.stream().anyMatch(NatTable.Element::localnet) && !localnetNeededByOthers(host)) {
                        settleLocalnet(host, owner.host());
                    }
                    return;
                } catch (NetnsException changedUnderneath) {
                    // fall back to reading what is there
                }
            }
            removeSaved(host, tag);
            PortClaims.releaseAll(owner.host(), tag);
            if (Localnet.previous(host, Localnet.file(owner.host())) != null) {
                settleLocalnet(host, owner.host());
            }
        } finally {
            unlock();
        }
    }

    private void removeSaved(NetNamespace host, String tag) throws NetnsException {
        String[] saves = tools.saveBoth(host);
        Failures failures = new Failures();
        for (Family f : Family.values()) {
            failures.run(() -> removeFamily(host, f, tag, saves[f.ordinal()]));
            failures.run(() -> deleteExactly(host, f, tag));
        }
        failures.throwIfAny();
    }

    private void removeFamily(NetNamespace host, Family f, String tag, String save) throws NetnsException {
        Ruleset rs = parse(f, save);
        remember(host, f, rs);
        List<SavedRule> mine = rs.tagged(tag);
        if (mine.isEmpty()) {
            return;
        }
        IptablesRestoreWriter w = new IptablesRestoreWriter();
        for (SavedRule r : mine) {
            w.delete(r);
        }
        tools.restore(host, f, w.render());
    }

    @Override
    public List<String> reconcile(NetNamespace host, List<Need> needs) throws NetnsException {
        List<Need> all = List.copyOf(needs);
        for (Need n : all) {
            tag(n.owner());
        }
        lock(host);
        try {
            return reconcileLocked(host, all);
        } finally {
            unlock();
        }
    }

    /**
     * Reads the ruleset once per family and the DNAT table once per family, and makes what {@code needs}
     * lack: in one restore per family the missing chains, jumps and rules (rules of a network that differ
     * from what it needs are replaced), then the map elements of each publication whose count differs, then
     * the localnet guard and {@code route_localnet} where a publication needs them.
     */
    private List<String> reconcileLocked(NetNamespace host, List<Need> needs) throws NetnsException {
        List<String> changes = new ArrayList<>();
        for (Family f : Family.values()) {
            if (needs.stream().noneMatch(n -> concerns(n, f, needs))) {
                continue;
            }
            Ruleset rs = parse(f, tools.save(host, f));
            List<Rule> add = new ArrayList<>();
            List<Rule> first = new ArrayList<>();
            List<SavedRule> delete = new ArrayList<>();
            Set<Chain> chains = new LinkedHashSet<>();
            for (Need need : needs) {
                if (!concerns(need, f, needs)) {
                    continue;
                }
                String tag = tag(need.owner());
                if (need instanceof Need.Network n) {
                    Rule isolation = Rules.isolation(tag, n.bridge());
                    List<Rule> rest = Rules.network(tag, n.bridge(), Inet.Cidr.parse("subnet", n.subnet()), n.masquerade());
                    chains.addAll(Rules.chains(rest));
                    chains.add(Chain.NETNS_FORWARD);
                    Change c = networkChange(rs, tag, isolation, rest);
                    add.addAll(c.add());
                    first.addAll(c.first());
                    delete.addAll(c.delete());
                } else if (need instanceof Need.Connection c) {
                    chains.add(Chain.NETNS_ISOLATION);
                    for (Rule r : Rules.connect(tag, c.bridge(), c.other())) {
                        if (rs.count(r) == 0) {
                            first.add(r);
                        }
                    }
                } else if (need instanceof Need.Opening o) {
                    List<Rule> rules = Rules.expose(tag, o.openings().stream()
                            .filter(e -> Family.of(e.address().getAddress()) == f).toList());
                    chains.addAll(Rules.chains(rules));
                    for (Rule r : rules) {
                        if (rs.count(r) == 0) {
                            add.add(r);
                        }
                    }
                }
            }
            IptablesRestoreWriter w = transaction(rs, chains, new Change(add, delete, first));
            if (!w.isEmpty()) {
                String input = w.render();
                tools.restore(host, f, input);
                for (String line : input.split("\n")) {
                    if (line.startsWith(":") || line.startsWith("-")) {
                        changes.add(f.restore() + ": " + line);
                    }
                }
            }
            known.remove(key(host, f)); // read again by the next change
        }
        String localnetHost = null;
        for (Family f : Family.values()) {
            List<Need.Publication> pubs = needs.stream().filter(n -> n instanceof Need.Publication)
                    .map(n -> (Need.Publication) n).filter(p -> Rules.byFamily(p.sandboxIps()).containsKey(f)).toList();
            if (pubs.isEmpty()) {
                continue;
            }
            if (NatTable.repairBase(host, f)) {
                changes.add("nft: table " + (f == Family.IPV4 ? "ip " : "ip6 ") + NatTable.TABLE
                        + ": its maps and lookup rules");
            }
            List<NatTable.Element> elements = NatTable.list(host, f);
            for (Need.Publication p : pubs) {
                String tag = tag(p.owner());
                InetAddress sandboxIp = Rules.byFamily(p.sandboxIps()).get(f);
                List<PublishedPort> ports = chosen(host, p.owner().host(), tag, f, Rules.portsOf(f, p.ports()));
                List<NatTable.Mapping> desired = Rules.publish(tag, sandboxIp, ports);
                long have = elements.stream().filter(e -> tag.equals(e.comment())).count();
                if (have != desired.size()) {
                    if (have > 0) {
                        deleteExactly(host, f, tag);
                    }
                    List<NatTable.Element> made = NatTable.add(host, f, desired);
                    WRITTEN.computeIfPresent(writtenKey(host, tag), (k, w) -> {
                        List<NatTable.Element> nat = new ArrayList<>(w.nat);
                        nat.removeIf(e -> e.family() == f); // the other family's stay
                        nat.addAll(made);
                        return new Written(w.rules, nat, w.claims, w.complete);
                    });
                    changes.add("nft: table " + (f == Family.IPV4 ? "ip " : "ip6 ") + NatTable.TABLE + ": " + desired.size()
                            + " map element(s) of " + tag);
                }
                if (Rules.needsRouteLocalnet(sandboxIp, ports)) {
                    localnetHost = p.owner().host();
                }
            }
        }
        if (localnetHost != null) {
            if (!NatTable.guarded(host)) {
                NatTable.add(host, Family.IPV4, List.of(), true);
                changes.add("nft: table ip " + NatTable.TABLE + ": the localnet guard (chain " + NatTable.GUARD_CHAIN + ")");
            }
            if (Localnet.enable(host, localnetHost)) {
                changes.add("sysctl " + Localnet.SYSCTL + "=1");
            }
        }
        for (Need n : needs) {
            if (n instanceof Need.Network net) {
                remember(host, net.bridge(), net);
            } else if (n instanceof Need.Connection c) {
                remember(host, c.bridge(), c);
            }
        }
        return changes;
    }

    /**
     * The ports of a publication need with its choices made: a choice the owner made before is the port of
     * its range the owner holds the claim of; otherwise one is chosen now (as {@link #publish} does).
     */
    private static List<PublishedPort> chosen(NetNamespace host, String hostId, String tag, Family family,
            List<PublishedPort> ports) throws NetnsException {
        if (ports.stream().noneMatch(IptablesFirewall::chooses)) {
            return ports;
        }
        List<PublishedPort> out = new ArrayList<>();
        Map<Protocol, List<HostSockets.Socket>> bound = new EnumMap<>(Protocol.class);
        for (PublishedPort p : ports) {
            if (!chooses(p)) {
                out.add(p);
                continue;
            }
            int held = -1;
            int[] range = p.hostPort() == 0 ? ephemeralRange(host) : new int[] {p.hostPort(), p.hostPortEnd()};
            int from = range[0];
            int to = range[1];
            for (int q = from; q <= to && held < 0; q++) {
                if (PortClaims.holds(hostId, tag, p.protocol(), p.hostIp(), q)) {
                    held = q;
                }
            }
            if (held < 0) {
                held = choosePort(host, hostId, tag, family, p.protocol(), p.hostIp(), p.hostPort(), p.hostPortEnd(), bound,
                        new ArrayList<>(), p.toString(), Set.of());
            }
            out.add(new PublishedPort(p.protocol(), p.hostIp(), held, held, p.containerPort(), p.containerPortEnd()));
        }
        return out;
    }

    private static Family familyOf(Need.Network n) {
        return Inet.Cidr.parse("subnet", n.subnet()).isIpv6() ? Family.IPV6 : Family.IPV4;
    }

    /** Whether {@code need} has rules in the family's ruleset; a connection in IPv6 if its network has an IPv6 part. */
    private static boolean concerns(Need need, Family f, List<Need> needs) {
        if (need instanceof Need.Network n) {
            return familyOf(n) == f;
        }
        if (need instanceof Need.Connection c) {
            return f == Family.IPV4 || needs.stream().anyMatch(n -> n instanceof Need.Network net
                    && net.owner().equals(c.owner()) && familyOf(net) == f);
        }
        if (need instanceof Need.Opening o) {
            return o.openings().stream().anyMatch(e -> Family.of(e.address().getAddress()) == f);
        }
        return false;
    }

    /** What makes a network's rules what they must be: nothing, or its rules replaced. */
    private static Change networkChange(Ruleset rs, String tag, Rule first, List<Rule> rest) {
        List<Rule> have = new ArrayList<>();
        List<SavedRule> stale = new ArrayList<>();
        for (SavedRule s : rs.tagged(tag)) {
            Rule r = s.toRule();
            if (r != null && "RETURN".equals(r.targetName()) && r.chain().equals(Chain.NETNS_ISOLATION)) {
                continue; // a connection of this network (connect), not one of these rules
            }
            have.add(r);
            stale.add(s);
        }
        List<Rule> desired = new ArrayList<>(rest);
        desired.add(first);
        if (have.size() == desired.size() && new HashSet<>(have).equals(new HashSet<>(desired))) {
            return Change.NONE; // made already
        }
        return new Change(rest, stale, List.of(first));
    }

    @Override
    public Set<Owner> owners(NetNamespace host) throws NetnsException {
        String[] saves = tools.saveBoth(host);
        Set<Owner> out = new LinkedHashSet<>();
        for (Family f : Family.values()) {
            Ruleset rs = parse(f, saves[f.ordinal()]);
            remember(host, f, rs);
            out.addAll(rs.owners());
            for (NatTable.Element e : NatTable.list(host, f)) {
                Owner o = e.comment() == null ? null : Owner.parse(e.comment());
                if (o != null) {
                    out.add(o);
                }
            }
        }
        // A claim whose rules never made it (a crash between claim and restore), of a host whose rules are
        // here: a sandbox publishes only on a bridge network, whose shared rules are made first.
        Set<String> hosts = new HashSet<>();
        out.forEach(o -> hosts.add(o.host()));
        for (String holder : PortClaims.holders()) {
            Owner o = Owner.parse(holder);
            if (o != null && (hosts.contains(o.host()) || isHostId(host, o.host()))) {
                out.add(o);
            }
        }
        return out;
    }

    /**
     * Whether {@code id} may be the {@link io.netns.Host#id()} of the host whose stack is {@code host}: its
     * name, or for an unnamed namespace {@code ns<inode>} or {@code host} (the real host). Port claims are
     * kept per host id, not per namespace.
     */
    private static boolean isHostId(NetNamespace host, String id) {
        return host.name() != null ? host.name().equals(id) : id.equals("host") || id.equals("ns" + host.inode());
    }

    // ---- the transaction -------------------------------------------------------------------------

    /**
     * What a call changes, given the ruleset just read.
     *
     * @param add rules to append
     * @param delete rules to delete
     * @param first rules to insert first in their chain
     */
    record Change(List<Rule> add, List<SavedRule> delete, List<Rule> first) {
        static final Change NONE = new Change(List.of(), List.of());

        Change(List<Rule> add, List<SavedRule> delete) {
            this(add, delete, List.of());
        }

        boolean isEmpty() {
            return add.isEmpty() && delete.isEmpty() && first.isEmpty();
        }

        List<Rule> added() {
            List<Rule> all = new ArrayList<>(first);
            all.addAll(add);
            return all;
        }
    }

    @FunctionalInterface
    interface Planner {
        Change plan(Ruleset current) throws NetnsException;
    }

    /** Reads (unless the cache may be trusted), plans, writes; returns what was applied. */
    private Change apply(NetNamespace host, Family family, Set<Chain> chains, boolean mayTrustCache, Planner planner)
            throws NetnsException {
        lock(host);
        try {
            String key = key(host, family);
            boolean trusted = mayTrustCache && known.getOrDefault(key, Set.of()).containsAll(chains);
            Ruleset rs = trusted ? Ruleset.empty() : parse(family, tools.save(host, family));
            if (!trusted) {
                remember(host, family, rs);
            }
            Change change = planner.plan(rs);
            if (change.isEmpty()) {
                return change;
            }
            IptablesRestoreWriter w = transaction(trusted ? null : rs, chains, change);
            try {
                tools.restore(host, family, w.render());
            } catch (NetnsException e) {
                if (trusted) {
                    known.remove(key);
                    return apply(host, family, chains, false, planner);
                }
                if (w.tables().size() > 1) {
                    rollback(host, family, rs, change, e);
                }
                throw e;
            }
            known.computeIfAbsent(key, k -> ConcurrentHashMap.newKeySet()).addAll(chains);
            return change;
        } finally {
            unlock();
        }
    }

    /**
     * The restore input of one change: chains the ruleset lacks are declared, missing jumps inserted first
     * in their built-in chain, then the deletions and the appends.
     *
     * @param current what iptables-save printed, or null when the chains are known to exist
     * @param chains the chains the change writes to
     * @param change the change
     * @return the writer holding the transaction
     */
    static IptablesRestoreWriter transaction(Ruleset current, Set<Chain> chains, Change change) {
        IptablesRestoreWriter w = new IptablesRestoreWriter();
        if (current != null) {
            for (Chain c : chains) {
                if (!current.hasChain(c)) {
                    w.declare(c);
                }
                if (c.jumpedFromBuiltin() && !current.hasJump(c)) {
                    w.insert(Rules.jump(c));
                }
            }
        }
        for (SavedRule d : change.delete()) {
            w.delete(d);
        }
        for (Rule f : change.first()) {
            w.insert(f);
        }
        for (Rule a : change.add()) {
            w.append(a);
        }
        return w;
    }

    /** Undoes the tables a failed multi-table restore did commit: what it added goes, what it deleted returns. */
    private void rollback(NetNamespace host, Family family, Ruleset before, Change change, NetnsException failure) {
        try {
            Ruleset after = parse(family, tools.save(host, family));
            IptablesRestoreWriter undo = new IptablesRestoreWriter();
            Map<Rule, Integer> added = new HashMap<>();
            for (Rule r : change.added()) {
                added.merge(r, 1, Integer::sum);
            }
            added.forEach((r, n) -> {
                for (int i = Math.min(n, after.count(r) - before.count(r)); i > 0; i--) {
                    undo.delete(r);
                }
            });
            for (SavedRule d : change.delete()) {
                Rule r = d.toRule();
                if (r != null && after.count(r) < before.count(r)) {
                    undo.append(r);
                }
            }
            if (!undo.isEmpty()) {
                tools.restore(host, family, undo.render());
            }
        } catch (NetnsException | RuntimeException e) {
            failure.addSuppressed(e);
        }
    }

    private static Ruleset parse(Family family, String save) throws NetnsException {
        try {
            return Ruleset.parse(save);
        } catch (IllegalArgumentException e) {
            throw NetnsException.failure(family.save(), family.save() + " printed what this library cannot read: "
                    + e.getMessage());
        }
    }

    private void remember(NetNamespace host, Family family, Ruleset rs) {
        Set<Chain> present = ConcurrentHashMap.newKeySet();
        for (Chain c : List.of(Chain.NETNS_INPUT, Chain.NETNS_FORWARD, Chain.NETNS_ISOLATION, Chain.NETNS_POSTROUTING)) {
            if (rs.hasChain(c) && (!c.jumpedFromBuiltin() || rs.hasJump(c))) {
                present.add(c);
            }
        }
        known.put(key(host, family), present);
    }

    private static String key(NetNamespace host, Family family) {
        return host.device() + ":" + host.inode() + ":" + family;
    }

    /**
     * This JVM's lock, then the lock every JVM using this library takes for that namespace
     * ({@link FirewallLock}): one byte of the lock file, at the namespace's inode (two namespaces alive at
     * once never share one), so changes to different namespaces (lab hosts of other processes) do not wait
     * for each other. The wait is bounded ({@value FirewallLock#TIMEOUT_PROPERTY}).
     */
    private void lock(NetNamespace host) throws NetnsException {
        JVM_LOCK.lock();
        if (JVM_LOCK.getHoldCount() > 1) {
            return;
        }
        try {
            lockChannel = FirewallLock.open(lockFile);
            fileLock = FirewallLock.lock(lockChannel, lockFile, host.inode() & Long.MAX_VALUE, FirewallLock.timeoutNanos());
        } catch (NetnsException | RuntimeException e) {
            closeLock();
            lockedHost = null;
            JVM_LOCK.unlock();
            throw e;
        }
        lockedHost = host;
        begin(host);
    }

    private static NetNamespace lockedHost;

    /**
     * Compares the ruleset's generation with the one after this JVM's last change: when another changed
     * it, every cache of that namespace (chains known to exist, tables made, handles written, networks
     * checked) is dropped, so what follows reads the kernel.
     */
    private void begin(NetNamespace host) {
        String ns = nsKey(host);
        String id = identity(host);
        try {
            lockedGen = NatTable.generation(host);
        } catch (NetnsException | RuntimeException e) {
            lockedGen = -1; // no nf_tables here: nothing can be told, nothing is trusted less than before
            changedByOthers = false;
            return;
        }
        Long trusted = TRUSTED_GEN.get(id);
        changedByOthers = trusted == null || trusted != lockedGen;
        if (changedByOthers) {
            known.keySet().removeIf(k -> k.startsWith(ns + ":"));
            NatTable.forget(host);
            VERIFIED.remove(id);
            WRITTEN.replaceAll((k, w) -> k.startsWith(ns + ":") && w.complete
                    ? new Written(w.rules, w.nat, w.claims, false) : w); // handles of before: read again
        }
    }

    /** After this JVM's change: its generation is the one to compare with next time. */
    private static void end(NetNamespace host) {
        try {
            TRUSTED_GEN.put(identity(host), NatTable.generation(host));
        } catch (NetnsException | RuntimeException e) {
            TRUSTED_GEN.remove(identity(host));
        }
    }

    private static String nsKey(NetNamespace host) {
        return host.device() + ":" + host.inode();
    }

    /**
     * The key of what is remembered per namespace across changes (generation, networks): with the name, so
     * a namespace made later with the inode of a deleted one (inodes are reused) does not inherit it.
     */
    private static String identity(NetNamespace host) {
        return host.device() + ":" + host.inode() + ":" + host.name();
    }

    private void unlock() {
        if (JVM_LOCK.getHoldCount() == 1) {
            if (lockedHost != null) {
                end(lockedHost);
                lockedHost = null;
            }
            closeLock();
        }
        JVM_LOCK.unlock();
    }

    private static void closeLock() {
        try {
            if (fileLock != null) {
                fileLock.release();
            }
            if (lockChannel != null) {
                lockChannel.close();
            }
        } catch (IOException ignored) {
            // closing the channel releases the lock anyway
        } finally {
            fileLock = null;
            lockChannel = null;
        }
    }

    // ---- publish checks --------------------------------------------------------------------------

    private static void checkDistinct(List<PublishedPort> ports) {
        for (int i = 0; i < ports.size(); i++) {
            for (int j = i + 1; j < ports.size(); j++) {
                PublishedPort a = ports.get(i);
                PublishedPort b = ports.get(j);
                if (a.protocol() == b.protocol() && a.hostPort() <= b.hostPortEnd() && b.hostPort() <= a.hostPortEnd()
                        && overlaps(a.hostIp(), b.hostIp())) {
                    throw new IllegalArgumentException("host port published twice: " + a + " and " + b);
                }
            }
        }
    }

    /**
     * Whether two publications' host addresses share an address: one without a host address overlaps every
     * other; else only addresses of one family do, a wildcard of that family overlapping all of them.
     */
    private static boolean overlaps(InetAddress a, InetAddress b) {
        if (a == null || b == null) {
            return true;
        }
        return Family.of(a) == Family.of(b) && (a.isAnyLocalAddress() || b.isAnyLocalAddress() || a.equals(b));
    }

    /** Whether a bound socket's address (of the publication's family) takes a publication's host address. */
    private static boolean takes(InetAddress bound, InetAddress hostIp) {
        return hostIp == null || bound.isAnyLocalAddress() || hostIp.isAnyLocalAddress() || bound.equals(hostIp);
    }

    private static List<HostSockets.Socket> sockets(NetNamespace host, Protocol protocol,
            Map<Protocol, List<HostSockets.Socket>> bound) throws NetnsException {
        List<HostSockets.Socket> socks = bound.get(protocol);
        if (socks == null) {
            socks = HostSockets.bound(host, protocol);
            bound.put(protocol, socks);
        }
        return socks;
    }

    /** Whether a socket takes the port from a publication of the family (a v6 wildcard socket takes IPv4 too). */
    private static boolean sameFamily(HostSockets.Socket s, Family family) {
        return family == Family.IPV6 ? s.address() instanceof Inet6Address
                : !(s.address() instanceof Inet6Address) || (s.v6() && s.address().isAnyLocalAddress());
    }

    private static void checkNotBound(NetNamespace host, Family family, List<PublishedPort> ports,
            Map<Protocol, List<HostSockets.Socket>> bound) throws NetnsException {
        for (PublishedPort p : ports) {
            for (HostSockets.Socket s : sockets(host, p.protocol(), bound)) {
                if (s.port() < p.hostPort() || s.port() > p.hostPortEnd()) {
                    continue;
                }
                if (sameFamily(s, family) && takes(s.address(), p.hostIp())) {
                    throw NetnsException.failure("publish", "cannot publish " + p + ": host port " + s.port() + "/"
                            + p.protocol().id() + (p.hostPortEnd() > p.hostPort() ? " (of the range " + p.hostPort() + "-"
                            + p.hostPortEnd() + ")" : "") + " is already bound on the host by " + s
                            + " (see `ss -lnp sport = :" + s.port() + "` in that namespace)");
                }
            }
        }
    }

}
