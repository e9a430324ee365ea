package io.netns;

import io.netns.internal.posix.Native;

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
