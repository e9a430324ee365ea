package io.netns;

import io.netns.internal.Failures;
import io.netns.rtnl.Addr;
import io.netns.rtnl.RtnlClient;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A workload's place on the network, made by {@link Host#create(String, NetworkMode)}. It owns what its
 * mode made (namespace, veth, address lease, firewall rules) and the processes it {@linkplain #start
 * started}; {@link #close()} stops those processes (destroy, then destroy forcibly after a grace period)
 * and removes the rest, idempotently.
 *
 * <pre>{@code
 * try (Sandbox web = host.create("web1", NetworkMode.bridge().publish(8080, 80))) {
 *     Process httpd = web.start(new ProcessBuilder("httpd", "-DFOREGROUND"));   // starts inside
 *     int port = web.call(() -> new ServerSocket(0).getLocalPort());            // a socket inside
 * }
 * }</pre>
 *
 * <p><b>Container mode and lifetimes.</b> A stack's lifetime is its owner's: closing a sandbox first
 * closes the sandboxes of the same host that joined it with {@link NetworkMode#container(String)} (their
 * processes are stopped too). Closing a joiner never affects the stack it joined.
 */
public final class Sandbox implements AutoCloseable {
    /** How long {@link #close()} waits for started processes to exit after SIGTERM before SIGKILL. */
    public static final long STOP_GRACE_MILLIS = 2000;

    private final Host host;
    private final String name;
    private final NetworkMode mode;
    private final NetNamespace namespace;
    private final Cleanup cleanup;
    private final Sandbox joined;
    private final List<Sandbox> joiners = new CopyOnWriteArrayList<>();
    private final List<Process> processes = new CopyOnWriteArrayList<>();
    private final AtomicBoolean closed = new AtomicBoolean();
    /** The ports of a {@link BridgeMode} sandbox as published, set once before the sandbox is returned. */
    private volatile List<PublishedPort> published = List.of();
    /** The CNI attachment of a {@link CniMode} sandbox, set once before the sandbox is returned; else null. */
    private volatile CniSetup.Attached cni;

    Sandbox(Host host, String name, NetworkMode mode, NetNamespace namespace, Cleanup cleanup, Sandbox joined) {
        this.host = host;
        this.name = name;
        this.mode = mode;
        this.namespace = namespace;
        this.cleanup = cleanup;
        this.joined = joined;
        if (joined != null) {
            joined.joiners.add(this);
        }
    }

    /** @return the sandbox's name */
    public String name() {
        return name;
    }

    /** @return the mode it was made with */
    public NetworkMode mode() {
        return mode;
    }

    /** @return the host it belongs to */
    public Host host() {
        return host;
    }

    /**
     * @return its stack: for {@code none} and {@code bridge} a namespace persisted as
     *     {@code /run/netns/<name>}, for {@code host} the host's, for {@code container} the one it joined
     */
    public NetNamespace namespace() {
        return namespace;
    }

    /**
     * The addresses its stack has now, other than loopback and link-local, read from the kernel over
     * rtnetlink on every call in every mode: for a bridge sandbox the addresses IPAM gave it, e.g.
     * {@code [10.89.0.2]}, or {@code [10.89.0.2, fd89:0:0:1::2]} on a {@linkplain BridgeMode#ipv6() dual-stack}
     * network (IPv4 first), plus any address added inside since; for host and container mode the shared
     * stack's. Reading the kernel (not a list stored at creation) makes the answer true even after
     * something inside changed the stack; it costs one rtnetlink dump per call.
     *
     * @return the addresses, in the kernel's order
     * @throws NetnsException if the stack cannot be read
     */
    public List<InetAddress> addresses() throws NetnsException {
        List<InetAddress> out = new ArrayList<>();
        // Read over rtnetlink: the JDK's NetworkInterface reads IPv6 addresses from /proc/net/if_inet6 of the
        // process, not of the calling thread's namespace.
        try (RtnlClient rtnl = RtnlClient.open(namespace)) {
            for (Addr a : rtnl.addresses()) {
                if (!a.address().isLoopbackAddress() && !a.address().isLinkLocalAddress()) {
                    out.add(a.address());
                }
            }
        }
        return out;
    }

    void published(List<PublishedPort> ports) {
        this.published = List.copyOf(ports);
    }

    /**
     * The ports of a bridge sandbox as they were published: {@link BridgeMode#published()} with every host-port
     * choice made, so {@code publish("9000-9010:80")} shows here as the one host port chosen (e.g.
     * {@code tcp *:9000->80}) and {@code publish("127.0.0.1::80")} as the free port taken. This is what the
     * firewall holds for the sandbox, and what {@link Host#reconcile()} makes again after the rules were lost.
     *
     * @return the ports in the order published; empty for the other modes and a bridge sandbox that publishes
     *     nothing
     */
    public List<PublishedPort> published() {
        return published;
    }

    void attachCni(CniSetup.Attached attached) {
        this.cni = attached;
    }

    /**
     * The final result of a {@link NetworkMode#cni(String) cni} sandbox's {@code ADD}: the interfaces, addresses,
     * routes and DNS settings its plugins reported, as cached for {@code DEL}.
     *
     * @return the result; empty for the other modes
     */
    public Optional<CniResult> cniResult() {
        CniSetup.Attached a = cni;
        return a == null ? Optional.empty() : Optional.of(a.result());
    }

    /**
     * Checks that a {@link NetworkMode#cni(String) cni} sandbox's network is as its plugins made it: runs
     * {@code CHECK} of every plugin in order with the cached result (CNI spec 0.4.0 and later). Nothing runs,
     * and false is returned, for an older version or a configuration with {@code disableCheck}, as libcni does.
     *
     * @return true when every plugin's CHECK passed, false when CHECK does not apply
     * @throws CniException naming the first plugin whose CHECK failed, its code and message
     * @throws NetnsException if a plugin cannot be run
     * @throws UnsupportedOperationException for a sandbox of another mode (they have no plugins to ask)
     * @throws IllegalStateException if the sandbox is closed
     */
    public boolean check() throws NetnsException {
        ensureOpen();
        CniSetup.Attached a = cni;
        if (a == null) {
            throw new UnsupportedOperationException("check() runs CNI CHECK; " + this + " is not a cni sandbox");
        }
        return CniSetup.check(a);
    }

    /**
     * Runs work on the calling platform thread switched into the sandbox's stack; see
     * {@link NetNamespace#call}.
     *
     * @param work what to run
     * @param <T> its result
     * @param <X> what it throws
     * @return its result
     * @throws X what the work threw
     * @throws NetnsException if a switch fails
     */
    public <T, X extends Exception> T call(NetnsCallable<T, X> work) throws X, NetnsException {
        ensureOpen();
        return namespace.call(work);
    }

    /**
     * Like {@link #call} without a result.
     *
     * @param work what to run
     * @param <X> what it throws
     * @throws X what the work threw
     * @throws NetnsException if a switch fails
     */
    public <X extends Exception> void run(NetnsRunnable<X> work) throws X, NetnsException {
        ensureOpen();
        namespace.run(work);
    }

    /**
     * @return threads that live inside the sandbox's stack; see {@link NetNamespace#executor()}. Shut down
     *     by {@link #close()}.
     */
    public ExecutorService executor() {
        ensureOpen();
        return namespace.executor();
    }

    /**
     * Starts a process inside the sandbox's stack: the JDK forks from the calling thread, which is
     * switched in for the duration of {@link ProcessBuilder#start()}. The sandbox stops it on close.
     * The JDK's "process reaper" thread that waits for the child is made idle in the initial namespace
     * first (by running {@code true} from there when none is idle), so that it is not born inside; when
     * several starts race, one may still be, and then keeps the namespace alive until its child exits
     * and 60 s more (the JDK's idle time).
     * Descriptors of netns are close-on-exec and never reach the child.
     *
     * @param builder the command, as an argument list (no shell)
     * @return the running process
     * @throws NetnsException if the switch or the start fails
     */
    public Process start(ProcessBuilder builder) throws NetnsException {
        ensureOpen();
        Reapers.ensureIdleAtHome(); // so the JDK's reaper of this child is not born inside (see Reapers)
        Process p = namespace.call(() -> {
            try {
                return builder.start();
            } catch (java.io.IOException e) {
                throw NetnsException.wrap("start " + builder.command() + " in " + this, e);
            }
        });
        processes.add(p);
        processes.removeIf(q -> !q.isAlive() && q != p);
        return p;
    }

    /** @return the processes it started that are still running */
    public List<Process> processes() {
        List<Process> alive = new ArrayList<>();
        for (Process p : processes) {
            if (p.isAlive()) {
                alive.add(p);
            }
        }
        return alive;
    }

    /** @return true once {@link #close()} was called */
    public boolean isClosed() {
        return closed.get();
    }

    private void ensureOpen() {
        if (closed.get()) {
            throw new IllegalStateException(this + " is closed");
        }
    }

    /**
     * Closes sandboxes that joined this one, stops the processes it started, then removes everything its
     * mode made, in reverse order of making. Idempotent; every step runs even when one fails.
     *
     * @throws NetnsException if something could not be removed (the first failure, with the others
     *     suppressed)
     */
    @Override
    public void close() throws NetnsException {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        Failures failures = new Failures();
        for (Sandbox j : joiners) {
            failures.run(j::close);
        }
        stopProcesses();
        cleanup.runAll(failures);
        if (joined != null) {
            joined.joiners.remove(this);
        }
        host.forget(this);
        failures.throwIfAny();
    }

    private void stopProcesses() {
        for (Process p : processes) {
            p.descendants().forEach(ProcessHandle::destroy);
            p.destroy();
        }
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(STOP_GRACE_MILLIS);
        for (Process p : processes) {
            try {
                long left = deadline - System.nanoTime();
                if (left <= 0 || !p.waitFor(left, TimeUnit.NANOSECONDS)) {
                    p.descendants().forEach(ProcessHandle::destroyForcibly);
                    p.destroyForcibly().waitFor(STOP_GRACE_MILLIS, TimeUnit.MILLISECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                p.destroyForcibly();
            }
        }
        processes.clear();
    }

    /** @return {@code Sandbox(web1, bridge netns0, NS(web1, 12: 4, 4026532281))} */
    @Override
    public String toString() {
        return "Sandbox(" + name + ", " + mode + ")";
    }
}
