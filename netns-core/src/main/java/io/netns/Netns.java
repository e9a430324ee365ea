package io.netns;

import io.netns.internal.posix.Native;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Whether this machine and process can use network namespaces, probed once.
 *
 * <p>The probe, run the first time any method here is called, loads the C library through jnr-ffi and
 * really calls {@code unshare(CLONE_NEWNET)} and {@code setns} on a short-lived helper thread (which then
 * ends, so the namespace it made goes with it), the way netty's {@code Epoll} class probes epoll.
 *
 * <pre>{@code
 * if (!Netns.isAvailable()) {
 *     System.err.println("netns unavailable: " + Netns.unavailabilityCause().getMessage());
 * }
 * }</pre>
 */
public final class Netns {
    private static final class Probe {
        static final Throwable CAUSE = probe();
        static final NetNamespace INITIAL = CAUSE == null ? openInitial() : null;
    }

    private Netns() {
    }

    /** @return true when namespaces can be created and entered here */
    public static boolean isAvailable() {
        return Probe.CAUSE == null;
    }

    /**
     * @return why namespaces cannot be used here, with the fix in the message (run as root, or grant
     *     CAP_SYS_ADMIN and CAP_NET_ADMIN), or null when they can
     */
    public static Throwable unavailabilityCause() {
        return Probe.CAUSE;
    }

    /**
     * Throws the {@linkplain #unavailabilityCause() reason} when namespaces cannot be used here.
     *
     * @throws NetnsException when unavailable, with the probe's failure as cause
     */
    public static void ensureAvailability() throws NetnsException {
        Throwable cause = Probe.CAUSE;
        if (cause != null) {
            if (cause instanceof NetnsException) {
                throw (NetnsException) cause;
            }
            NetnsException e = NetnsException.failure("netns", "network namespaces are unavailable: " + cause);
            e.initCause(cause);
            throw e;
        }
    }

    /**
     * Daemon threads that start in the JVM's initial network namespace, whichever thread makes them. A
     * thread inherits the namespace of the thread that starts it, and pools start their threads lazily on
     * the thread that submits a task: a pool first used from inside {@link NetNamespace#call} would
     * otherwise keep a thread, and with it the namespace, alive after the sandbox closed. netns starts its
     * own helper threads (namespace creators, the firewall's idle timer and session readers) from this
     * factory; use it for pools that may first be used inside a call.
     *
     * <p>Each thread switches to the initial namespace before it runs anything, when it is not there
     * already (one {@code setns}). Should that switch fail (it needs CAP_SYS_ADMIN, which a process that
     * could enter the other namespace has), the thread still runs its task, where it was born: a pool's
     * task is never lost.
     *
     * @param name the threads' name; a counter is appended
     * @return the factory
     */
    public static ThreadFactory homeThreads(String name) {
        java.util.Objects.requireNonNull(name, "name");
        AtomicInteger count = new AtomicInteger();
        return task -> {
            Thread t = new Thread(() -> {
                goHome();
                task.run();
            }, name + "-" + count.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    /** Moves the calling thread, just started, to the initial namespace unless it is there already. */
    private static void goHome() {
        NetNamespace home = initialNamespace();
        if (home == null) {
            return; // no namespaces here: every thread is home
        }
        try {
            long ino = ((Number) java.nio.file.Files.getAttribute(java.nio.file.Path.of("/proc/thread-self/ns/net"),
                    "unix:ino")).longValue();
            if (ino == home.inode()) {
                return;
            }
            int fd = home.acquire();
            try {
                Native.setns(fd);
            } finally {
                home.release();
            }
        } catch (java.io.IOException | RuntimeException e) { // NetnsException is an IOException
            // Runs where it was born (see homeThreads).
        }
    }

    /** The namespace of the JVM's initial thread, held open for the JVM's life; null when unavailable. */
    static NetNamespace initialNamespace() {
        return Probe.INITIAL;
    }

    private static Throwable probe() {
        if (!System.getProperty("os.name", "").toLowerCase(java.util.Locale.ROOT).contains("linux")) {
            return new UnsupportedOperationException("network namespaces need Linux; this is "
                    + System.getProperty("os.name"));
        }
        try {
            Native.load();
        } catch (Throwable e) {
            return e;
        }
        Throwable[] failure = new Throwable[1];
        Thread t = new Thread(() -> {
            try {
                int self = Native.open("/proc/self/ns/net", Native.O_RDONLY, 0);
                try {
                    Native.unshareNet();
                    Native.setns(self);
                } finally {
                    Native.close(self);
                }
            } catch (Throwable e) {
                failure[0] = e;
            }
        }, "netns-probe");
        t.setDaemon(true);
        t.start();
        try {
            t.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return e;
        }
        return failure[0];
    }

    private static NetNamespace openInitial() {
        try {
            return NetNamespace.initial();
        } catch (NetnsException e) {
            return null;
        }
    }
}
