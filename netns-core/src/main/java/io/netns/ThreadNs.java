package io.netns;

import io.netns.internal.posix.FileDescriptor;
import io.netns.internal.posix.Native;
import java.io.IOException;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Where one platform thread is: its home namespace, the namespace it was switched into, and whether it
 * is poisoned. Kept in a thread-local, so the re-entry check on the hot path is a field comparison.
 */
final class ThreadNs {
    private static final ThreadLocal<ThreadNs> STATE = ThreadLocal.withInitial(ThreadNs::new);
    private static final MethodHandle IS_VIRTUAL = isVirtualHandle();
    private static final Path THREAD_SELF_NS = Path.of("/proc/thread-self/ns/net");

    private final boolean virtual;
    /** Home identity; valid once {@code homeKnown}. */
    private boolean homeKnown;
    private long homeDev;
    private long homeIno;
    /** A handle on home held for the thread's life (executor threads, threads of the initial stack). */
    private NetNamespace homeHandle;
    /** The namespace the thread was switched into by {@link #call}, or null when it is home. */
    private NetNamespace current;
    private String poisoned;
    /**
     * Rootless: home is the JVM's own stack, which this thread could not come back to once it left, so work
     * for another namespace runs on a thread living there. Known once {@code homeKnown}.
     */
    private boolean stranded;
    /** An executor thread of netns: never hands work to another thread (it switches itself, or fails). */
    private boolean worker;

    private ThreadNs() {
        this.virtual = isVirtual(Thread.currentThread());
    }

    static ThreadNs get() {
        return STATE.get();
    }

    /** Marks the calling thread as living in {@code ns} (an executor thread that has switched in). */
    static void adoptHome(NetNamespace ns) {
        ThreadNs t = get();
        t.homeKnown = true;
        t.homeDev = ns.device();
        t.homeIno = ns.inode();
        t.homeHandle = ns;
    }

    /** Marks the calling thread as one of netns' executor threads, before it tries to switch in. */
    static void markWorker() {
        get().worker = true;
    }

    /**
     * Runs work on a thread that is inside {@code ns} by other means than {@link #call} (the thread that has
     * just {@code unshare}d into it), so that {@code ns.call} there switches nothing. The account is
     * restored afterwards; the thread's real way back stays its caller's business.
     */
    static <T, X extends Exception> T assumeInside(NetNamespace ns, NetnsCallable<T, X> work) throws X, NetnsException {
        ThreadNs t = get();
        NetNamespace was = t.current;
        t.current = ns;
        try {
            return work.call();
        } finally {
            t.current = was;
        }
    }

    /**
     * Whether the calling thread may make a namespace itself ({@link #unshared}): a platform thread, not
     * poisoned, in a JVM that is not {@linkplain Netns.Mode#ROOTLESS rootless} (where a thread of the JVM's own
     * stack could not come back).
     */
    boolean canUnshare() {
        return !virtual && poisoned == null && !Netns.rootless();
    }

    /**
     * Runs netns' own work (never the caller's: nothing that could start a thread or run user code) with the
     * calling thread moved into a new, empty network namespace by {@code unshare(CLONE_NEWNET)}, and moves the
     * thread back with {@code setns} to where it was (home, or the namespace a {@link #call} switched it into)
     * before returning or throwing. This is the cheapest way to make a namespace: no other thread is woken. If
     * the way back fails the thread is poisoned, as after a failed switch back of {@link #call}. Only for a
     * thread that {@link #canUnshare}.
     */
    <T, X extends Exception> T unshared(NetnsCallable<T, X> work) throws X, NetnsException {
        if (!canUnshare()) {
            throw new IllegalStateException("thread " + Thread.currentThread().getName() + " cannot make a namespace itself");
        }
        NetNamespace back = current;
        boolean ownBack = false;
        if (back == null) {
            if (!homeKnown) {
                learnHome();
            }
            back = homeHandle;
            if (back == null) {
                back = NetNamespace.adopt(FileDescriptor.open(THREAD_SELF_NS.toString(), Native.O_RDONLY), homeDev, homeIno);
                ownBack = true;
            }
        }
        int backFd;
        try {
            backFd = back.acquire();
        } catch (RuntimeException e) {
            if (ownBack) {
                back.close();
            }
            throw e;
        }
        try {
            Native.unshareNet();
        } catch (NetnsException | RuntimeException e) {
            back.release(); // still where it was
            if (ownBack) {
                back.close();
            }
            throw e;
        }
        Throwable primary = null;
        try {
            return work.call();
        } catch (Throwable t) {
            primary = t;
            throw t;
        } finally {
            try {
                Native.setns(backFd);
            } catch (NetnsException e) {
                throw poison("switching back to " + back + " from the namespace it had just made failed: "
                        + e.getMessage(), e, primary);
            } finally {
                back.release();
                if (ownBack) {
                    back.close();
                }
            }
        }
    }

    <T, X extends Exception> T call(NetNamespace target, NetnsCallable<T, X> work) throws X, NetnsException {
        if (virtual) {
            throw new IllegalStateException("netns cannot switch a virtual thread: its carrier thread would take "
                    + "the namespace to other virtual threads. Use a platform thread, or " + target
                    + ".executor() whose threads live inside");
        }
        if (poisoned != null) {
            throw new IllegalStateException("thread " + Thread.currentThread().getName()
                    + " is poisoned and may be in the wrong namespace: " + poisoned);
        }
        NetNamespace from = current;
        if (from == null ? isHome(target) : from.equals(target)) {
            return work.call();
        }
        if (stranded && from == null) {
            return RunInside.call(target, work);
        }
        target.acquire();
        NetNamespace back = from != null ? from : homeHandle;
        boolean ownBack = false;
        try {
            if (back == null) {
                // Born elsewhere than the initial stack: hold home only while away. Its identity is known
                // (isHome above learned it), so a bare open is enough.
                back = NetNamespace.adopt(FileDescriptor.open(THREAD_SELF_NS.toString(), Native.O_RDONLY), homeDev,
                        homeIno);
                ownBack = true;
            }
            Native.setns(target.fd());
        } catch (NetnsException | RuntimeException e) {
            target.release();
            if (ownBack) {
                back.close();
            }
            throw e;
        }
        current = target;
        Throwable primary = null;
        try {
            return work.call();
        } catch (Throwable t) {
            primary = t;
            throw t;
        } finally {
            try {
                Native.setns(back.fd());
                current = from;
            } catch (NetnsException e) {
                throw poison("switching back to " + back + " from " + target + " failed: " + e.getMessage(), e, primary);
            } finally {
                target.release();
                if (ownBack) {
                    back.close();
                }
            }
        }
    }

    /** Marks this thread poisoned for {@code reason} and returns the error that says so. */
    private NetnsException poison(String reason, NetnsException cause, Throwable primary) {
        poisoned = reason;
        NetnsException poison = NetnsException.failure("setns back",
                "thread " + Thread.currentThread().getName() + " is now poisoned: " + reason);
        poison.initCause(cause);
        if (primary != null) {
            poison.addSuppressed(primary);
        }
        return poison;
    }

    private boolean isHome(NetNamespace ns) throws NetnsException {
        if (!homeKnown) {
            learnHome();
        }
        return ns.sameAs(homeDev, homeIno);
    }

    /** First call on this thread: learn where home is, and keep the shared handle when it is the initial stack. */
    private void learnHome() throws NetnsException {
        try {
            homeDev = ((Number) Files.getAttribute(THREAD_SELF_NS, "unix:dev")).longValue();
            homeIno = ((Number) Files.getAttribute(THREAD_SELF_NS, "unix:ino")).longValue();
        } catch (IOException e) {
            throw NetnsException.wrap("stat " + THREAD_SELF_NS, e);
        }
        homeKnown = true;
        NetNamespace initial = Netns.initialNamespace();
        if (initial != null && initial.sameAs(homeDev, homeIno)) {
            homeHandle = initial;
            stranded = !worker && Netns.rootless();
        }
    }

    private static MethodHandle isVirtualHandle() {
        try {
            return MethodHandles.publicLookup().findVirtual(Thread.class, "isVirtual", MethodType.methodType(boolean.class));
        } catch (ReflectiveOperationException e) {
            return null; // Java 17-20: there are no virtual threads
        }
    }

    private static boolean isVirtual(Thread t) {
        if (IS_VIRTUAL == null) {
            return false;
        }
        try {
            return (boolean) IS_VIRTUAL.invokeExact(t);
        } catch (Throwable e) {
            return false;
        }
    }
}
