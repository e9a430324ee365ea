package io.netns;

import io.netns.internal.Failures;
import io.netns.internal.Names;
import io.netns.rtnl.RtnlClient;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A network stack that plays the role of "the Docker host": sandboxes are made in relation to it (bridge
 * networks live in it, published ports and host-mode openings are its firewall rules, host-mode
 * sandboxes share it).
 *
 * <p>{@link #current()} is the JVM's own stack. {@link #of(NetNamespace)} makes any namespace a host, and
 * {@link #createLab(String)} makes a fresh one: tests and demos use such <em>lab hosts</em>, so they never
 * touch the real machine's interfaces or firewall.
 *
 * <pre>{@code
 * try (Host lab = Host.createLab("lab1")) {
 *     Sandbox iso = lab.create("iso", NetworkMode.none());
 *     Process p = iso.start(new ProcessBuilder("ip", "-o", "link"));   // sees only lo
 * }   // closes every sandbox, then deletes the lab namespace
 * }</pre>
 *
 * <p>Thread-safe. Sandbox names are unique on the machine: a sandbox's namespace is persisted as
 * {@code /run/netns/<name>}, where {@code ip netns list} shows it.
 */
public final class Host implements AutoCloseable {
    /** The id of {@link #current()}, which no other host may take. */
    private static final String CURRENT_ID = "host";
    private static Host current;

    private final NetNamespace namespace;
    private final String id;
    private final boolean deleteOnClose;
    private final Map<String, Sandbox> sandboxes = new LinkedHashMap<>();
    private final Map<String, BridgeSetup.Network> networks = new HashMap<>();
    private RtnlClient rtnl;
    private boolean closed;

    private Host(NetNamespace namespace, String id, boolean deleteOnClose) {
        this.namespace = namespace;
        this.id = id;
        this.deleteOnClose = deleteOnClose;
    }

    /**
     * The JVM's own stack: the namespace of its initial thread. One instance per JVM; closing it closes its
     * sandboxes and nothing else.
     *
     * @return the host
     * @throws NetnsException if namespaces are unavailable here, or the JVM is
     *     {@linkplain Netns.Mode#ROOTLESS rootless} (it has no rights over the machine's stack; use a lab host)
     */
    public static synchronized Host current() throws NetnsException {
        if (current == null || current.isClosed()) {
            Netns.ensureAvailability();
            if (Netns.rootless()) {
                throw NetnsException.failure("Host.current()", "the JVM runs rootless, in a user namespace of its own "
                        + "(Netns.mode() is ROOTLESS): the machine's network stack belongs to the machine's user "
                        + "namespace, where this user has no rights, so netns cannot make sandboxes, bridges or firewall "
                        + "rules there; use a lab host instead (Host.createLab(name)), or run as root");
            }
            current = new Host(NetNamespace.initial(), CURRENT_ID, false);
        }
        return current;
    }

    /**
     * Makes a namespace a host. The host takes the handle: {@link #close()} closes it (and does not delete
     * the namespace).
     *
     * @param namespace the host's stack
     * @return the host; its {@link #id()} is {@code host} for the JVM's initial namespace (the same id as
     *     {@link #current()}), else the namespace's name, or {@code ns<inode>} for an unnamed one
     * @throws IllegalArgumentException if the namespace is persisted under the reserved name {@code host}
     */
    public static Host of(NetNamespace namespace) {
        Objects.requireNonNull(namespace, "namespace");
        if (isInitial(namespace)) {
            return new Host(namespace, CURRENT_ID, false); // the real host, under its one id
        }
        if (CURRENT_ID.equals(namespace.name())) {
            throw new IllegalArgumentException("namespace name '" + CURRENT_ID + "' is reserved: it is the id of "
                    + "Host.current(), the real host; rename the namespace");
        }
        String id = namespace.name() != null ? namespace.name() : "ns" + namespace.inode();
        return new Host(namespace, id, false);
    }

    private static boolean isInitial(NetNamespace namespace) {
        NetNamespace held = Netns.initialNamespace(); // open for the JVM's life: compared without a system call
        if (held != null) {
            return namespace.equals(held);
        }
        try (NetNamespace initial = NetNamespace.initial()) {
            return namespace.equals(initial);
        } catch (NetnsException e) {
            return false; // the initial namespace cannot be opened here: nothing can be shared with it either
        }
    }

    /**
     * Makes a lab host: a new namespace {@code /run/netns/<name>} with {@code lo} up, deleted again by
     * {@link #close()} together with everything in it.
     *
     * @param name the lab namespace's name; {@code host}, the id of {@link #current()}, is reserved
     * @return the host
     * @throws IllegalArgumentException if the name is invalid or {@code host}
     * @throws NetnsException if the namespace cannot be made; nothing is left
     */
    public static Host createLab(String name) throws NetnsException {
        if (CURRENT_ID.equals(name)) {
            throw new IllegalArgumentException("lab name '" + name + "' is reserved: it is the id of Host.current(), "
                    + "the real host, and a lab must not share its leases and claims");
        }
        NetNamespace.Created made = NetNamespace.create(name, true);
        NetNamespace ns = made.namespace();
        try (RtnlClient inside = made.inside()) {
            inside.setUp("lo");
        } catch (NetnsException | RuntimeException e) {
            ns.close();
            try {
                ns.delete();
            } catch (NetnsException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
        return new Host(ns, ns.name(), true);
    }

    /**
     * Makes a sandbox.
     *
     * <ul>
     *   <li>{@link NetworkMode#none()}: a new namespace with {@code lo} up;</li>
     *   <li>{@link NetworkMode#host()}: this host's own stack, plus its firewall openings;</li>
     *   <li>{@link NetworkMode#container(String)}: the stack of another sandbox, a process or a file;</li>
     *   <li>{@link NetworkMode#bridge()}: a new namespace wired into a bridge network of this host;</li>
     *   <li>{@link NetworkMode#cni(String)}: a new namespace connected by the plugins of a CNI network, run
     *   in this host's namespace.</li>
     * </ul>
     *
     * @param name the sandbox's name, also its namespace's under {@code /run/netns} when it makes one
     * @param mode how it is networked
     * @return the sandbox, which owns everything its mode made
     * @throws IllegalArgumentException if the name is invalid, or names an unknown container sandbox
     * @throws NetnsException if the name is taken or setup fails; nothing of it is left behind
     */
    public Sandbox create(String name, NetworkMode mode) throws NetnsException {
        Names.check("sandbox name", name);
        Objects.requireNonNull(mode, "mode");
        synchronized (this) {
            ensureOpen();
            if (sandboxes.containsKey(name)) {
                throw NetnsException.failure("create sandbox", "a sandbox named '" + name + "' already exists on "
                        + this + " (" + sandboxes.get(name).mode() + ")");
            }
        }
        Sandbox s = SandboxSetup.create(this, name, mode);
        synchronized (this) {
            if (!closed && !sandboxes.containsKey(name)) {
                sandboxes.put(name, s);
                return s;
            }
        }
        s.close();
        throw NetnsException.failure("create sandbox", closed ? this + " was closed while '" + name + "' was made"
                : "a sandbox named '" + name + "' was made concurrently on " + this);
    }

    /**
     * @param name a sandbox name
     * @return the live sandbox of that name made by this host, if any
     */
    public synchronized Optional<Sandbox> sandbox(String name) {
        return Optional.ofNullable(sandboxes.get(name));
    }

    /** @return the live sandboxes made by this host, in the order made */
    public synchronized List<Sandbox> sandboxes() {
        return List.copyOf(sandboxes.values());
    }

    /** @return the host's stack */
    public NetNamespace namespace() {
        return namespace;
    }

    /**
     * @return the host's identity in owner tags and records: {@code host} for {@link #current()}, else the
     *     namespace's name
     */
    public String id() {
        return id;
    }

    /**
     * Removes what dead processes of netns left on this host, and nothing else (see the README's "Leftovers
     * after a crash"):
     * <ul>
     *   <li>each sandbox whose owner record names a dead process (its pid is gone, or belongs to a process
     *       started later): its namespace under {@code /run/netns} if that still is the namespace the record
     *       made (same device and inode), its veth, its tagged firewall rules and port claims, its address
     *       lease, then the record. Concurrent reclaims, in this JVM or others, each take a record by an
     *       exclusive lock, so a record is undone once, and the name stays taken until it is;</li>
     *   <li>leases, port claims and tagged rules of sandboxes of this host that have no owner record at all
     *       (a crash between two steps of setup or teardown).</li>
     * </ul>
     * Spared, and said so in {@link Reclaimed#spared()}: sandboxes whose owner's liveness cannot be told (no
     * readable start time, another pid namespace), which count as alive; a namespace under a recorded name
     * that is not the recorded one; veths no record names. Never touched: live sandboxes of any JVM,
     * anything netns did not make, and bridge networks (the bridge, its gateway address, its shared NAT
     * rules): they are shared by every JVM on this host, and {@link #close()} of the host that made one
     * removes it.
     *
     * <p>For {@link NetworkMode#cni(String) cni} sandboxes it runs the network's {@code DEL} with the cached
     * result (before the namespace goes), also for cache entries of this host that no live sandbox owns, and
     * then {@code GC} (CNI spec 1.1, unless the configuration has {@code disableGC}) of each network it saw,
     * told the attachments of the live sandboxes, so plugins can drop what no attachment holds.
     *
     * @return the names of the sandboxes reclaimed, with what else was removed and what was spared
     * @throws NetnsException if something left cannot be removed; everything else still is
     */
    public Reclaimed reclaim() throws NetnsException {
        return Reclaimer.reclaim(this);
    }

    /**
     * Lists what netns keeps for this host's sandboxes now (records, namespaces, veths, leases, port claims,
     * tagged rules): everything of open sandboxes, and, once all are closed, everything left over.
     *
     * @return the snapshot
     * @throws NetnsException if the host's state cannot be read
     */
    public Leftovers leftovers() throws NetnsException {
        ensureOpen();
        return Leftovers.of(this);
    }

    /**
     * Makes this host's firewall and sysctls hold again what its live sandboxes and bridge networks need,
     * and returns what it changed. Like {@code netavark firewall-reload}: call it after something else
     * rewrote the host's firewall — a {@code nft flush ruleset} (Debian's {@code /etc/nftables.conf}
     * starts with one), {@code iptables -F}/{@code -X}, a firewalld reload, a restore of a saved ruleset.
     * It
     * <ul>
     *   <li>sets {@code net.ipv4.ip_forward=1} if this host has bridge networks and it is off;</li>
     *   <li>makes every missing chain, jump and rule of the bridge networks this host knows (outbound NAT,
     *       forwarding, isolation, {@link BridgeMode#connectTo connections}), of the published ports of its
     *       live bridge sandboxes (their DNAT rules, the {@code route_localnet} guard and sysctl) and of
     *       the openings of its live host-mode sandboxes;</li>
     *   <li>removes the tagged rules of owners of this host that are gone: sandboxes neither live here nor
     *       owned by a live process (as {@link #reclaim()} does for rules), networks whose bridge is gone.</li>
     * </ul>
     * Rules of live sandboxes of other processes stay as they are (each process reconciles its own).
     * Idempotent: a second call finds nothing missing and returns an empty list. Publishing after a flush
     * works without it (the firewall notices the flush and repairs what that publication needs), but the
     * other sandboxes' rules come back only with {@code reconcile()}.
     *
     * <pre>{@code
     * List<String> changed = host.reconcile();   // e.g. after the host's firewall service reloaded
     * changed.forEach(log::info);                // [iptables: -A NETNS-FORWARD -s 10.89.0.0/24 ..., ...]
     * }</pre>
     *
     * @return what it changed, one line per change, in order; empty when nothing was missing
     * @throws NetnsException if the firewall cannot be read or a change fails
     * @throws IllegalStateException if the host is closed
     */
    public List<String> reconcile() throws NetnsException {
        synchronized (this) {
            ensureOpen();
        }
        return SandboxSetup.reconcile(this);
    }

    /** The bridge networks this host knows, by name; guarded by the map itself. */
    Map<String, BridgeSetup.Network> networks() {
        return networks;
    }

    /** One rtnetlink client in the host's namespace, opened at first use and closed with the host. */
    synchronized RtnlClient rtnl() throws NetnsException {
        if (rtnl == null) {
            rtnl = RtnlClient.open(namespace);
        }
        return rtnl;
    }

    synchronized void forget(Sandbox s) {
        sandboxes.remove(s.name(), s);
    }

    synchronized boolean isClosed() {
        return closed;
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException(this + " is closed");
        }
    }

    /**
     * Closes every sandbox this host made that is still open (joiners first), then what the host itself
     * made: for a {@linkplain #createLab lab host}, its namespace. Idempotent.
     *
     * @throws NetnsException if something could not be removed; everything else still is
     */
    @Override
    public void close() throws NetnsException {
        List<Sandbox> open;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            open = new ArrayList<>(sandboxes.values());
        }
        Failures failures = new Failures();
        for (int i = open.size() - 1; i >= 0; i--) {
            failures.run(open.get(i)::close);
        }
        failures.run(() -> SandboxSetup.closeHost(this));
        synchronized (this) {
            if (rtnl != null) {
                rtnl.close();
                rtnl = null;
            }
        }
        if (this != current) {
            namespace.close();
        }
        if (deleteOnClose) {
            failures.run(namespace::delete);
            Ipam.forgetHost(id); // the lab's networks are gone with it: so are their empty lease directories
        }
        failures.throwIfAny();
    }

    /** @return {@code Host(lab1)} */
    @Override
    public String toString() {
        return "Host(" + id + ")";
    }
}
