package io.netns.iptables;

import io.netns.Exposure;
import io.netns.Firewall;
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
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
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
 *       {@code NETNS-POSTROUTING}; the DNAT rules of published ports in the nf_tables table {@code netns}
 *       ({@code NatTable}). Each chain is made at first use and jumped to once, first in its built-in chain,
 *       by a rule tagged {@code netns:chain}. Chains and jumps stay when their rules are removed, like
 *       Docker's {@code DOCKER-USER}.</li>
 *   <li>Every rule carries {@code -m comment --comment "<owner.tag()>"} (an nftables comment for the DNAT
 *       rules); {@link #remove} deletes exactly the rules with that comment. Built-in policies are never
 *       changed, untagged rules never touched.</li>
 *   <li>Every change is one {@code iptables-restore --noflush --wait} run inside the host's namespace, its
 *       input on stdin, made only from checked values ({@link Rule}). {@code iptables-restore} commits each
 *       table on its own; when a change spanning filter and nat fails half way, the committed half is
 *       rolled back by a second transaction.</li>
 *   <li>A chain is declared only when it is not known to exist (from the last {@code iptables-save} of that
 *       namespace in this JVM): under {@code --noflush}, declaring an existing chain flushes it.</li>
 *   <li>Changes are serialized in this JVM and, through a lock on one byte per namespace (at its inode) of a
 *       lock file under {@code /run/lock}, with other JVMs changing the same namespace, so two processes
 *       cannot both "create" a chain and flush each other's rules.</li>
 *   <li>Published host ports are claimed in files under {@code /run/netns.d/ports} (see
 *       {@code PortClaims}); publishing a port another owner holds fails naming it.</li>
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
 *       netlink batch of DNAT rules ({@code NatTable}, ≈ 0.3 ms); the first publication on a host that needs
 *       {@code route_localnet} also writes the localnet guard (an {@code iptables-save} and a restore).
 *       Publish conflicts come from the port claims.</li>
 *   <li>{@link #expose}: no read when this JVM has seen the library's chains in that namespace, by
 *       namespace inode; otherwise one {@code iptables-save} first. If the cache is wrong (a namespace
 *       with a reused inode, a flushed firewall) the restore fails and is retried once after a fresh
 *       read.</li>
 *   <li>{@link #remove} of a sandbox owner whose rules this JVM wrote: one transaction of {@code -D} lines
 *       per family it wrote iptables rules in, one netlink batch deleting its DNAT rules by handle, and the
 *       release of its port claims. When that fails (rules changed underneath) or the record is incomplete
 *       (another process wrote rules of that owner), and for network owners and owners of other processes
 *       ({@code reclaim()}):
 *       {@code iptables-save} and {@code ip6tables-save} at once, one restore per family with rules of the
 *       owner, a dump of the {@code netns} tables, and a scan of the host's port claims.</li>
 *   <li>{@link #addNetwork} and {@link #owners}: as before, a save (both for owners), then one restore.</li>
 * </ul>
 * On the fast paths the rules made before are not read: exposing the same opening twice for one owner
 * writes it twice (both go with {@link #remove}); {@code addNetwork} and {@code publish} are idempotent.
 * Measured on nf_tables, bridge sandbox with one published port, create+close: see the closing note of
 * issue 4 and {@code netns-bench/results}.
 */
public final class IptablesFirewall implements Firewall {
    private static final ReentrantLock JVM_LOCK = new ReentrantLock();
    private static final String ROUTE_LOCALNET = "net.ipv4.conf.all.route_localnet";

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
    /** (dev, ino, family) where the shared localnet guard rule is known to exist. */
    private static final Set<String> GUARDED = ConcurrentHashMap.newKeySet();
    /** (dev, ino, tag) to the rules and port claims this JVM wrote for the owner there, for a remove without a read. */
    private static final Map<String, Written> WRITTEN = new ConcurrentHashMap<>();

    /**
     * What this JVM wrote for one owner in one namespace.
     *
     * @param rules per family, the iptables rules appended, in order (duplicates included)
     * @param nat the DNAT rules of its published ports, with their handles
     * @param claims the port claims made
     * @param complete false once a read showed rules of the owner this record does not have
     */
    private record Written(Map<Family, List<Rule>> rules, List<NatTable.Entry> nat, List<Path> claims, boolean complete) {
    }

    private static String writtenKey(NetNamespace host, String tag) {
        return host.device() + ":" + host.inode() + ":" + tag;
    }

    private static List<Rule> written(NetNamespace host, String tag, Family family) {
        Written w = WRITTEN.get(writtenKey(host, tag));
        return w == null ? List.of() : w.rules.getOrDefault(family, List.of());
    }

    private static void record(NetNamespace host, String tag, Family family, List<Rule> added, List<NatTable.Entry> nat,
            List<Path> claims, boolean foreign) {
        WRITTEN.compute(writtenKey(host, tag), (k, w) -> {
            Map<Family, List<Rule>> rules = new EnumMap<>(Family.class);
            List<NatTable.Entry> allNat = new ArrayList<>();
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
        this(Iptables.SYSTEM, defaultLockFile());
    }

    IptablesFirewall(Iptables tools, Path lockFile) {
        this.tools = tools;
        this.lockFile = lockFile;
    }

    private static Path defaultLockFile() {
        if (Netns.mode() == Netns.Mode.ROOTLESS) {
            // Rootless, the namespaces are this user namespace's own: the JVMs that may change them share its
            // run directory (a private tmpfs), never the machine's /run/lock, which this user cannot write.
            return StateDir.path("iptables.lock");
        }
        Path dir = Path.of("/run/lock");
        return (Files.isDirectory(dir) ? dir : Path.of(System.getProperty("java.io.tmpdir"))).resolve("netns-iptables.lock");
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
        String tag = tag(owner);
        Rule.checkInterface("bridge", bridge);
        Inet.Cidr cidr = Inet.Cidr.parse("subnet", subnet);
        Family family = cidr.isIpv6() ? Family.IPV6 : Family.IPV4;
        List<Rule> desired = Rules.network(tag, bridge, cidr);
        apply(host, family, Rules.chains(desired), false, rs -> {
            List<SavedRule> existing = rs.tagged(tag);
            List<Rule> have = new ArrayList<>();
            for (SavedRule s : existing) {
                have.add(s.toRule());
            }
            if (have.size() == desired.size() && new HashSet<>(have).equals(new HashSet<>(desired))) {
                return Change.NONE; // made already
            }
            return new Change(desired, existing);
        });
    }

    @Override
    public void publish(NetNamespace host, Owner owner, String bridge, InetAddress sandboxIp, List<PublishedPort> ports)
            throws NetnsException {
        String tag = tag(owner);
        Rule.checkInterface("bridge", bridge);
        Objects.requireNonNull(sandboxIp, "sandboxIp");
        List<PublishedPort> list = List.copyOf(ports);
        if (list.isEmpty()) {
            return;
        }
        checkDistinct(list);
        Family family = Family.of(sandboxIp);
        List<NatTable.Dnat> desired = Rules.publish(tag, sandboxIp, list);
        boolean localnet = Rules.needsRouteLocalnet(sandboxIp, list);
        lock(host);
        try {
            List<Path> claims = PortClaims.claim(owner.host(), tag, list);
            io.netns.internal.CrashPoint.passed("port claims of " + tag);
            try {
                checkNotBound(host, family, list);
                if (localnet) {
                    guardLocalnet(host);
                }
                List<NatTable.Dnat> add = new ArrayList<>(desired);
                Written w = WRITTEN.get(writtenKey(host, tag));
                if (w != null) {
                    w.nat.forEach(e -> add.remove(e.rule())); // published before: publish is idempotent
                }
                List<NatTable.Entry> made = NatTable.add(host, family, add);
                record(host, tag, family, List.of(), made, claims, false);
            } catch (NetnsException | RuntimeException e) {
                PortClaims.release(claims);
                throw e;
            }
        } finally {
            unlock();
        }
    }

    /**
     * Sets {@code route_localnet} (so 127.0.0.1 can be DNATed out of the host) and, once per host, the
     * guard that comes with it.
     */
    private void guardLocalnet(NetNamespace host) throws NetnsException {
        enableRouteLocalnet(host);
        if (GUARDED.contains(key(host, Family.IPV4))) {
            return;
        }
        Rule guard = Rules.localnetGuard();
        apply(host, Family.IPV4, Set.of(guard.chain()), false,
                rs -> rs.count(guard) > 0 ? Change.NONE : new Change(List.of(), List.of(), List.of(guard)));
        GUARDED.add(key(host, Family.IPV4));
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
            if (w != null && w.complete && owner.kind().equals("sandbox")) {
                try {
                    for (Map.Entry<Family, List<Rule>> en : w.rules.entrySet()) {
                        if (en.getValue().isEmpty()) {
                            continue;
                        }
                        IptablesRestoreWriter d = new IptablesRestoreWriter();
                        en.getValue().forEach(d::delete);
                        tools.restore(host, en.getKey(), d.render());
                        en.getValue().clear(); // gone: a fallback below must not count on them
                    }
                    NatTable.delete(host, w.nat);
                    PortClaims.release(w.claims);
                    return;
                } catch (NetnsException changedUnderneath) {
                    // fall back to reading what is there
                }
            }
            removeSaved(host, tag);
            PortClaims.releaseAll(owner.host(), tag);
        } finally {
            unlock();
        }
    }

    private void removeSaved(NetNamespace host, String tag) throws NetnsException {
        String[] saves = tools.saveBoth(host);
        Failures failures = new Failures();
        for (Family f : Family.values()) {
            failures.run(() -> removeFamily(host, f, tag, saves[f.ordinal()]));
            failures.run(() -> NatTable.delete(host,
                    NatTable.list(host, f).stream().filter(e -> tag.equals(e.comment())).toList()));
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
    public Set<Owner> owners(NetNamespace host) throws NetnsException {
        String[] saves = tools.saveBoth(host);
        Set<Owner> out = new LinkedHashSet<>();
        for (Family f : Family.values()) {
            Ruleset rs = parse(f, saves[f.ordinal()]);
            remember(host, f, rs);
            out.addAll(rs.owners());
            for (NatTable.Entry e : NatTable.list(host, f)) {
                Owner o = e.comment() == null ? null : Owner.parse(e.comment());
                if (o != null) {
                    out.add(o);
                }
            }
        }
        // Only the namespace's own rules. Port claims are files of a host id, not of a namespace: a claim
        // whose rules never made it is listed by its host (core's Leftovers reads ports/<host id>), never here,
        // where a claim of another namespace under the same id would show as this one's.
        return out;
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
                if (!current.hasJump(c)) {
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
        for (Chain c : List.of(Chain.NETNS_INPUT, Chain.NETNS_FORWARD, Chain.NETNS_POSTROUTING)) {
            if (rs.hasChain(c) && rs.hasJump(c)) {
                present.add(c);
            }
        }
        known.put(key(host, family), present);
        if (rs.count(Rules.localnetGuard()) > 0) {
            GUARDED.add(key(host, family));
        } else {
            GUARDED.remove(key(host, family));
        }
    }

    private static String key(NetNamespace host, Family family) {
        return host.device() + ":" + host.inode() + ":" + family;
    }

    /**
     * This JVM's lock, then the lock every JVM using this library takes for that namespace: one byte of the
     * lock file, at the namespace's inode (two namespaces alive at once never share one), so changes to
     * different namespaces (lab hosts of other processes) do not wait for each other.
     */
    private void lock(NetNamespace host) throws NetnsException {
        JVM_LOCK.lock();
        if (JVM_LOCK.getHoldCount() > 1) {
            return;
        }
        try {
            if (lockFile.startsWith(StateDir.root())) {
                StateDir.ensureDir(lockFile.getParent());
            }
            lockChannel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            fileLock = lockChannel.lock(host.inode() & Long.MAX_VALUE, 1, false);
        } catch (IOException e) {
            closeLock();
            JVM_LOCK.unlock();
            throw NetnsException.wrap("lock " + lockFile, e);
        }
    }

    private void unlock() {
        if (JVM_LOCK.getHoldCount() == 1) {
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
                if (a.protocol() == b.protocol() && a.hostPort() == b.hostPort() && overlaps(a.hostIp(), b.hostIp())) {
                    throw new IllegalArgumentException("host port published twice: " + a + " and " + b);
                }
            }
        }
    }

    private static boolean overlaps(InetAddress a, InetAddress b) {
        return a == null || b == null || a.isAnyLocalAddress() || b.isAnyLocalAddress() || a.equals(b);
    }

    private static void checkNotBound(NetNamespace host, Family family, List<PublishedPort> ports) throws NetnsException {
        Map<Protocol, List<HostSockets.Socket>> bound = new EnumMap<>(Protocol.class);
        for (PublishedPort p : ports) {
            List<HostSockets.Socket> socks = bound.get(p.protocol());
            if (socks == null) {
                socks = HostSockets.bound(host, p.protocol());
                bound.put(p.protocol(), socks);
            }
            for (HostSockets.Socket s : socks) {
                if (s.port() != p.hostPort()) {
                    continue;
                }
                boolean sameFamily = family == Family.IPV6
                        ? s.address() instanceof Inet6Address
                        : !(s.address() instanceof Inet6Address) || (s.v6() && s.address().isAnyLocalAddress());
                if (sameFamily && overlaps(s.address(), p.hostIp())) {
                    throw NetnsException.failure("publish", "cannot publish " + p + ": host port " + p.hostPort() + "/"
                            + p.protocol().id() + " is already bound on the host by " + s
                            + " (see `ss -lnp sport = :" + p.hostPort() + "` in that namespace)");
                }
            }
        }
    }

    private static void enableRouteLocalnet(NetNamespace host) throws NetnsException {
        if (!Sysctl.read(host, ROUTE_LOCALNET).equals("1")) {
            Sysctl.write(host, ROUTE_LOCALNET, "1");
        }
    }
}
