package io.netns;

import io.netns.internal.RunDir;
import io.netns.internal.posix.Native;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Whether this machine and process can use network namespaces, and how, probed once.
 *
 * <p>The probe, run the first time any method here is called, loads the C library through jnr-ffi and
 * really calls {@code unshare(CLONE_NEWNET)} and {@code setns} on a short-lived helper thread (which then
 * ends, so the namespace it made goes with it), the way netty's {@code Epoll} class probes epoll.
 *
 * <p>Two ways of working are possible ({@link #mode()}): {@link Mode#PRIVILEGED}, with root (or
 * {@code CAP_SYS_ADMIN} and {@code CAP_NET_ADMIN}) in the machine's own user namespace, and
 * {@link Mode#ROOTLESS}, for a normal user whose JVM was started inside a user namespace of its own with
 * {@code unshare --user --map-root-user --mount} (no {@code --net}: the JVM keeps the machine's network).
 * Rootless, the JVM may make and enter namespaces, but a thread of its own network stack cannot come back
 * once it left (that stack belongs to the machine's user namespace, where this user has no rights), so
 * {@code call}/{@code run} from such a thread run the work on a thread that lives inside the namespace
 * (see {@link NetNamespace#call}), and {@link Host#current()} is refused.
 *
 * <pre>{@code
 * if (!Netns.isAvailable()) {
 *     System.err.println("netns unavailable: " + Netns.unavailabilityCause().getMessage());
 * }
 * }</pre>
 */
public final class Netns {
    /** How this JVM uses network namespaces. */
    public enum Mode {
        /**
         * Root or the capabilities in the machine's user namespace: {@code call}/{@code run} switch the
         * calling thread in and back.
         */
        PRIVILEGED,
        /**
         * Inside a user namespace of its own ({@code unshare --user --map-root-user --mount}): namespaces are
         * made and entered as in {@link #PRIVILEGED}, but {@code call}/{@code run} from a thread of the JVM's
         * own network stack run the work on a thread living inside the namespace, because such a thread could
         * not switch back; named namespaces and state live in a private run directory when {@code /run} is not
         * writable; {@link Host#current()} is refused.
         */
        ROOTLESS,
        /** Namespaces cannot be used here: {@link #unavailabilityCause()} says why and what to do. */
        UNAVAILABLE
    }

    private static final class Probe {
        static final Mode[] MODE = new Mode[1];
        static final Throwable CAUSE = probe(MODE);
    }

    private static final class Initial {
        static final NetNamespace NAMESPACE = Probe.CAUSE == null ? openInitial() : null;
    }

    private Netns() {
    }

    /** @return true when namespaces can be created and entered here, with or without root */
    public static boolean isAvailable() {
        return Probe.CAUSE == null;
    }

    /**
     * @return how namespaces are used here: {@link Mode#PRIVILEGED}, {@link Mode#ROOTLESS}, or
     *     {@link Mode#UNAVAILABLE} (then {@link #unavailabilityCause()} says why)
     */
    public static Mode mode() {
        return Probe.CAUSE == null ? Probe.MODE[0] : Mode.UNAVAILABLE;
    }

    /**
     * @return why namespaces cannot be used here, with the fix in the message (run as root, grant
     *     CAP_SYS_ADMIN and CAP_NET_ADMIN, or, for a normal user where user namespaces are enabled, the exact
     *     {@code unshare} command for Maven, Gradle or {@code java}), or null when they can
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
     * task is never lost. {@linkplain Mode#ROOTLESS Rootless}, a thread born inside a namespace cannot
     * switch to the initial one (it belongs to the machine's user namespace): it switches to an empty
     * namespace of netns' own instead, so it pins no sandbox (and has no network but its loopback); threads
     * born in the JVM's own stack are home already.
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

    /**
     * Moves the calling thread, just started, to the initial namespace unless it is there already; rootless,
     * where that is refused, to netns' own empty namespace ({@link #rootlessHome()}), so that it pins no sandbox.
     */
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
            if (rootless()) {
                home = rootlessHome();
                if (home == null || ino == home.inode()) {
                    return;
                }
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
        return Initial.NAMESPACE;
    }

    /**
     * Rootless, the network namespace netns' own helper threads call home: an empty one made by this JVM, so
     * owned by its user namespace, which they can leave and re-enter (unlike the JVM's initial one). Made at
     * first use, held for the JVM's life; null when it cannot be made.
     */
    static NetNamespace rootlessHome() {
        return RootlessHome.NAMESPACE;
    }

    private static final class RootlessHome {
        static final NetNamespace NAMESPACE = makeRootlessHome();
    }

    /** Not in {@link RootlessHome}'s initializer: its thread would wait for that very initialization. */
    private static NetNamespace makeRootlessHome() {
        NetNamespace[] made = new NetNamespace[1];
        onShortLivedThread("netns-rootless-home", () -> {
            try {
                Native.unshareNet();
                made[0] = NetNamespace.current(); // the thread then ends; the handle keeps the namespace
            } catch (NetnsException | RuntimeException e) {
                made[0] = null;
            }
        });
        return made[0];
    }

    /**
     * Runs work on a new daemon thread, which ends with it (and takes any namespace it entered along), and
     * waits for it.
     *
     * @return the interruption that ended the wait, or null
     */
    private static InterruptedException onShortLivedThread(String name, Runnable work) {
        Thread t = new Thread(work, name);
        t.setDaemon(true);
        t.start();
        try {
            t.join();
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return e;
        }
    }

    /** @return whether this JVM is {@link Mode#ROOTLESS} */
    static boolean rootless() {
        return mode() == Mode.ROOTLESS;
    }

    private static Throwable probe(Mode[] mode) {
        if (!System.getProperty("os.name", "").toLowerCase(java.util.Locale.ROOT).contains("linux")) {
            return new UnsupportedOperationException("network namespaces need Linux; this is "
                    + System.getProperty("os.name"));
        }
        try {
            Native.load();
        } catch (Throwable e) {
            return e;
        }
        Throwable[] failure = new Throwable[2];
        InterruptedException interrupted = onShortLivedThread("netns-probe", () -> {
            try {
                int self = Native.open("/proc/self/ns/net", Native.O_RDONLY, 0);
                try {
                    Native.unshareNet();
                    try {
                        Native.setns(self);
                    } catch (NetnsException e) {
                        failure[1] = e; // made one, cannot come back: rootless, if the errno says so
                    }
                } finally {
                    Native.close(self);
                }
            } catch (Throwable e) {
                failure[0] = e;
            }
        });
        if (interrupted != null) {
            return interrupted;
        }
        if (failure[0] != null) {
            return withRootlessHint(failure[0]);
        }
        boolean rootless = failure[1] != null;
        if (rootless && ((NetnsException) failure[1]).errno() != Native.EPERM) {
            return failure[1];
        }
        try {
            RunDir.establish(rootless);
        } catch (NetnsException | RuntimeException e) {
            return e;
        }
        mode[0] = rootless ? Mode.ROOTLESS : Mode.PRIVILEGED;
        return null;
    }

    /**
     * The exact commands for a normal user, where user namespaces are enabled: the same failure with them in
     * the message.
     */
    static Throwable withRootlessHint(Throwable failure) {
        if (!(failure instanceof NetnsException) || ((NetnsException) failure).errno() != Native.EPERM
                || Native.geteuid() == 0 || !userNamespacesEnabled()) {
            return failure;
        }
        NetnsException e = NetnsException.of("unshare(CLONE_NEWNET)", Native.EPERM, "needs CAP_SYS_ADMIN (run as root, "
                + "or grant the JVM CAP_SYS_ADMIN and CAP_NET_ADMIN). " + ROOTLESS_HINT);
        e.initCause(failure);
        return e;
    }

    /** What an unprivileged user is told: the one-line commands, as in the README's "Without root". */
    static final String ROOTLESS_HINT = "Without root, start the JVM in a user namespace of your own (no --net: "
            + "it keeps the machine's network): `unshare --user --map-root-user --mount mvn -Duser.home=\"$HOME\" test` "
            + "(Maven), `unshare --user --map-root-user --mount ./gradlew test --no-daemon --gradle-user-home "
            + "\"$HOME/.gradle\"` (Gradle), `unshare --user --map-root-user --mount java ...` (any JVM); see \"Without "
            + "root\" in netns' README";

    private static boolean userNamespacesEnabled() {
        return positive("/proc/sys/user/max_user_namespaces", true)
                && positive("/proc/sys/kernel/unprivileged_userns_clone", true)
                && !positive("/proc/sys/kernel/apparmor_restrict_unprivileged_userns", false);
    }

    /** Whether a sysctl file holds a positive number; {@code absent} when it does not exist or cannot be read. */
    private static boolean positive(String file, boolean absent) {
        try {
            return Long.parseLong(java.nio.file.Files.readString(java.nio.file.Path.of(file)).trim()) > 0;
        } catch (java.io.IOException | RuntimeException e) {
            return absent;
        }
    }

    private static NetNamespace openInitial() {
        try {
            return NetNamespace.initial();
        } catch (NetnsException e) {
            return null;
        }
    }
}
