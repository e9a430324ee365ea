package io.netns;

import io.netns.internal.Names;
import io.netns.internal.RunDir;
import io.netns.internal.posix.FileDescriptor;
import io.netns.internal.posix.FileId;
import io.netns.internal.posix.Native;
import io.netns.rtnl.RtnlClient;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * A handle to one Linux network namespace: an open file descriptor on its {@code nsfs} inode.
 *
 * <p>It interoperates with iproute2: {@link #create(String)} persists the namespace at
 * {@code /run/netns/<name>}, exactly where {@code ip netns add} puts it, so {@code ip netns list} and
 * {@code ip -n <name> ...} see it, and {@link #open(String)} opens one that {@code ip} made.
 *
 * <pre>{@code
 * try (NetNamespace ns = NetNamespace.create("web1")) {
 *     int port = ns.call(() -> {
 *         try (ServerSocket s = new ServerSocket(0)) {   // bound inside web1, stays there
 *             return s.getLocalPort();
 *         }
 *     });
 *     ns.delete();
 * }
 * }</pre>
 *
 * <h2>Threads</h2>
 * A namespace belongs to a thread, not to the process. {@link #call} and {@link #run} switch the
 * <em>calling platform thread</em> in with {@code setns(2)}, run the work and switch it back in
 * {@code finally}, also when the work throws; when the thread already is in this namespace they switch
 * nothing and make no system call. Calls nest. If the way back fails the thread is <em>poisoned</em>:
 * every later {@code call}/{@code run} on it throws, so it can never run work believing it is home.
 * Virtual threads are refused, because their carrier would take the namespace to other virtual threads.
 *
 * <p><b>Rootless</b> ({@link Netns#mode()} is {@link Netns.Mode#ROOTLESS}): a thread of the JVM's own network
 * stack could enter a namespace but never come back (that stack belongs to the machine's user namespace), so
 * {@code call}/{@code run} from such a thread run the work on a thread of {@link #executor()} instead and wait
 * for it: the result, the work's own exception, sockets it made and threads and processes it started are as
 * with a switch; the thread (its name, its thread-locals) is another, the context class loader is carried
 * over, and an interrupt of the waiting caller is passed on to the work. Threads living inside a namespace
 * switch themselves, as with root.
 *
 * <p>Sockets and child processes made inside stay inside after the switch back. Threads started inside a
 * call are born inside and stay there after the call returns. For pools what counts is the thread that
 * <em>spawns a worker</em>, not where the pool object was made: pools start workers lazily, on the thread
 * that submits a task when the pool is below its size. So a worker spawned by a submission made inside a
 * call lives inside, and then runs every later task of that pool inside, whoever submits it; a pool
 * made inside a call but first used outside has its workers outside. This includes
 * {@link java.util.concurrent.ForkJoinPool#commonPool()} (and so parallel streams and
 * {@code CompletableFuture.*Async} without an executor): if its first worker is spawned inside a call,
 * tasks of the whole JVM run inside that namespace until the worker retires after its idle timeout.
 * Start pools outside, avoid the common pool inside a call, or use {@link #executor()}, whose threads
 * live inside on purpose.
 *
 * <p>Equality is the namespace's identity, {@code (st_dev, st_ino)}, not the descriptor: two handles on
 * one namespace are equal. {@link #close()} closes this handle only; {@link #delete()} removes the
 * persisted name (the kernel frees the namespace when nothing else holds it).
 */
public final class NetNamespace implements AutoCloseable {
    /**
     * Where iproute2 persists named namespaces, and where {@link #create(String)} does unless another run
     * directory was chosen: see {@link #directory()}.
     */
    public static final Path NETNS_DIR = Path.of("/run/netns");

    private static final Object MOUNT_LOCK = new Object();

    private static volatile boolean netnsDirShared;
    private static volatile long nsfsDev;

    /** The handle's reference, +1 for every call inside it and every executor thread living in it. */
    private final FileDescriptor fd;
    private final long dev;
    private final long ino;
    private final String name;
    private final Path path;
    private volatile NamespaceExecutor executor;

    private NetNamespace(FileDescriptor fd, long dev, long ino, String name, Path path) {
        this.fd = fd;
        this.dev = dev;
        this.ino = ino;
        this.name = name;
        this.path = path;
    }

    /**
     * Creates a new, empty network namespace persisted at {@code /run/netns/<name>}, like
     * {@code ip netns add <name>}. It holds only a {@code lo} that is down.
     *
     * <p>A platform thread makes it itself, as cheaply as the kernel allows: it {@code unshare}s into the new
     * namespace, bind-mounts it onto its name and switches back with {@code setns} to where it was (home, or
     * the namespace a {@link #call} switched it into) before this method returns or throws; in between it runs
     * only netns' own system calls, never code of the caller's. Should that switch back ever fail, the thread
     * is poisoned as after a failed switch back of {@link #call}. A virtual thread, a poisoned thread and every
     * thread of a {@linkplain Netns.Mode#ROOTLESS rootless} JVM hand the making to a helper thread of netns
     * instead, which returns to the initial namespace (rootless: netns' own) and is reused.
     *
     * @param name 1 to 64 characters from {@code [A-Za-z0-9_.-]}, starting with a letter or digit
     * @return a handle to it, which the caller closes; {@link #delete()} removes it
     * @throws IllegalArgumentException if the name breaks that rule
     * @throws NetnsException if a namespace of that name exists, or the kernel refuses (EPERM without
     *     CAP_SYS_ADMIN); nothing is left behind
     */
    public static NetNamespace create(String name) throws NetnsException {
        return create(name, false).namespace;
    }

    /**
     * A namespace just made, and optionally an rtnetlink client opened inside it by the thread that made
     * it; the receiver owns both.
     */
    record Created(NetNamespace namespace, RtnlClient inside) {
    }

    /**
     * {@link #create(String)}, optionally also opening an {@link RtnlClient} inside the new namespace on the
     * thread that made it, so configuring it needs no switch.
     */
    static Created create(String name, boolean withClient) throws NetnsException {
        return create(name, withClient, null);
    }

    /** Told a new namespace's identity before it is persisted (mounted) under its name. */
    @FunctionalInterface
    interface BeforeMount {
        /**
         * @param id the new namespace's {@code (st_dev, st_ino)}
         * @throws NetnsException to abort: nothing is persisted then
         */
        void made(FileId id) throws NetnsException;
    }

    /**
     * {@link #create(String, boolean)}, telling {@code beforeMount} (when not null) the new namespace's
     * identity on the creating thread before the namespace is mounted at its name, so a crash at any
     * moment leaves no persisted namespace whose identity was not recorded first.
     */
    static Created create(String name, boolean withClient, BeforeMount beforeMount) throws NetnsException {
        Names.check("namespace name", name);
        Netns.ensureAvailability();
        ensureNetnsDir();
        String file = directory().resolve(name).toString();
        try {
            // Like iproute2: an empty file to bind onto, made exclusively so that two makers cannot share it.
            Native.close(Native.open(file, Native.O_RDONLY | Native.O_CREAT | Native.O_EXCL, 0));
        } catch (NetnsException e) {
            if (e.errno() == Native.EEXIST) {
                throw NetnsException.failure("create namespace",
                        "a namespace named '" + name + "' already exists at " + file
                                + " (see `ip netns list`; remove it with `ip netns delete " + name + "`)");
            }
            throw e;
        }
        try {
            ThreadNs thread = ThreadNs.get();
            return thread.canUnshare() ? Creator.makeHere(thread, name, file, withClient, beforeMount)
                    : Creator.make(name, file, withClient, beforeMount);
        } catch (NetnsException | RuntimeException e) {
            try {
                Native.umount2(file, Native.MNT_DETACH);
            } catch (NetnsException notMounted) {
                // made before the mount failed: only the file is there
            }
            Native.unlinkQuietly(file);
            throw e;
        }
    }

    /**
     * Opens a namespace persisted at {@code /run/netns/<name>}, made by {@link #create(String)} or by
     * {@code ip netns add}.
     *
     * @param name the name {@code ip netns list} shows
     * @return a handle, which the caller closes
     * @throws IllegalArgumentException if the name is not a valid namespace name
     * @throws NamespaceNotFoundException if there is no such namespace
     * @throws NetnsException if it cannot be opened
     */
    public static NetNamespace open(String name) throws NetnsException {
        Names.check("namespace name", name);
        return openPath(directory().resolve(name), name);
    }

    /**
     * Opens the namespace at a path: a persisted name, {@code /proc/<pid>/ns/net}, or any bind mount of
     * one (Docker keeps its own under {@code /var/run/docker/netns}).
     *
     * @param path the namespace file
     * @return a handle, which the caller closes; its {@link #name()} is the file name when the path is
     *     under {@link #NETNS_DIR}, else null
     * @throws NamespaceNotFoundException if the path does not exist
     * @throws NetnsException if it is not a network namespace or cannot be opened
     */
    public static NetNamespace open(Path path) throws NetnsException {
        Objects.requireNonNull(path, "path");
        Path abs = path.toAbsolutePath().normalize();
        String name = directory().equals(abs.getParent()) ? abs.getFileName().toString() : null;
        return openPath(abs, name);
    }

    /**
     * Opens the namespace a process is in, like {@code ip netns identify <pid>} would find it.
     *
     * @param pid the process id
     * @return a handle, which the caller closes; it keeps the namespace alive after the process ends
     * @throws IllegalArgumentException if pid is not positive
     * @throws NamespaceNotFoundException if there is no such process
     * @throws NetnsException if it cannot be opened
     */
    public static NetNamespace ofPid(long pid) throws NetnsException {
        if (pid <= 0) {
            throw new IllegalArgumentException("pid must be positive: " + pid);
        }
        return openPath(Path.of("/proc", Long.toString(pid), "ns", "net"), null);
    }

    /**
     * Opens the namespace the calling thread is in now.
     *
     * @return a handle, which the caller closes
     * @throws NetnsException if it cannot be opened
     */
    public static NetNamespace current() throws NetnsException {
        return openPath(Path.of("/proc/thread-self/ns/net"), null);
    }

    /**
     * Opens the namespace of the JVM's initial thread: the stack the process started in, whatever the
     * calling thread has entered.
     *
     * @return a handle, which the caller closes
     * @throws NetnsException if it cannot be opened
     */
    public static NetNamespace initial() throws NetnsException {
        return openPath(Path.of("/proc/self/ns/net"), null);
    }

    /**
     * Where named namespaces are persisted in this JVM: {@link #NETNS_DIR} ({@code /run/netns}, iproute2's
     * place), unless the system property {@code io.netns.runDir} names another run directory
     * ({@code <runDir>/netns}), or the JVM is {@linkplain Netns.Mode#ROOTLESS rootless} and cannot write
     * {@code /run/netns}: then a private {@code tmpfs} of the JVM's mount namespace, mounted over
     * {@code /run/netns} when that directory exists (so {@code ip netns} run by the JVM's children still finds
     * the namespaces), else over {@code $XDG_RUNTIME_DIR/netns-rootless} (or {@code java.io.tmpdir}'s).
     *
     * @return the directory
     */
    public static Path directory() {
        Netns.isAvailable(); // the probe chooses the run directory once
        return RunDir.netns();
    }

    static NetNamespace openPath(Path path, String name) throws NetnsException {
        FileDescriptor owned;
        if (name != null) {
            // A persisted name: never through a symbolic link, which could point anywhere later.
            refuseLinkedNetnsDir();
            try {
                owned = FileDescriptor.open(path.toString(), Native.O_RDONLY | Native.O_NOFOLLOW);
            } catch (NetnsException e) {
                if (e.errno() == Native.ELOOP) {
                    throw NetnsException.failure("open namespace", path + " is a symbolic link; netns opens only "
                            + "namespaces persisted as files under " + directory() + " (remove it)");
                }
                throw e;
            }
        } else {
            owned = FileDescriptor.open(path.toString(), Native.O_RDONLY);
        }
        try {
            int fd = owned.intValue();
            FileId id = Native.identity(fd);
            int type = Native.nsType(fd);
            if (type != Native.CLONE_NEWNET && (type != 0 || !isNetByLink(fd, id.dev()))) {
                throw NetnsException.failure("open namespace", path + " is not a network namespace (it is "
                        + describe(fd) + "); expected a file under " + directory() + " or /proc/<pid>/ns/net");
            }
            return new NetNamespace(owned, id.dev(), id.ino(), name, path);
        } catch (NetnsException | RuntimeException e) {
            owned.close();
            throw e;
        }
    }

    /**
     * For a kernel before 4.11 (no {@code NS_GET_NSTYPE}): a /proc namespace link reads "net:[inode]"; a bind
     * mount of one reads as its path, and is taken for a network namespace when it lives on nsfs.
     */
    private static boolean isNetByLink(int fd, long dev) throws NetnsException {
        String target = describe(fd);
        try {
            return target.startsWith("net:[") || (!target.matches("[a-z_]+:\\[\\d+\\]") && dev == nsfsDevice());
        } catch (IOException e) {
            throw NetnsException.wrap("stat /proc/self/ns/net", e);
        }
    }

    /** What {@code /proc/self/fd/<fd>} points at: {@code uts:[4026531838]}, a path, ... */
    private static String describe(int fd) {
        try {
            return Files.readSymbolicLink(Path.of("/proc/self/fd/" + fd)).toString();
        } catch (IOException e) {
            return "unknown: " + e.getMessage();
        }
    }

    /**
     * A new handle on this very namespace, opened through this handle's descriptor
     * ({@code /proc/self/fd/<fd>}), never through its path: {@code /proc/thread-self/ns/net} or a name under
     * {@code /run/netns} may mean another namespace by now.
     *
     * @return the new handle, with this handle's name and path; the caller closes it
     * @throws IllegalStateException if this handle is closed
     * @throws NetnsException if it cannot be opened
     */
    NetNamespace reopen() throws NetnsException {
        int held = acquire();
        try {
            FileDescriptor copy = FileDescriptor.open("/proc/self/fd/" + held, Native.O_RDONLY);
            try {
                FileId id = Native.identity(copy.intValue());
                if (!sameAs(id.dev(), id.ino())) {
                    throw NetnsException.failure("reopen namespace", this + " reopened as " + id + ": not the same file");
                }
                return new NetNamespace(copy, dev, ino, name, path);
            } catch (NetnsException | RuntimeException e) {
                copy.close();
                throw e;
            }
        } finally {
            release();
        }
    }

    /** Wraps a descriptor whose identity the caller already knows: no stat, no check. */
    static NetNamespace adopt(FileDescriptor fd, long dev, long ino) {
        return new NetNamespace(fd, dev, ino, null, Path.of("/proc/self/fd/" + fd.intValue()));
    }

    private static long nsfsDevice() throws IOException {
        long d = nsfsDev;
        if (d == 0) {
            nsfsDev = d = ((Number) Files.getAttribute(Path.of("/proc/self/ns/net"), "unix:dev")).longValue();
        }
        return d;
    }

    /** Makes {@code /run/netns} exist and be a shared mount point, the way iproute2 does. */
    private static void ensureNetnsDir() throws NetnsException {
        if (netnsDirShared) {
            return;
        }
        synchronized (MOUNT_LOCK) {
            if (netnsDirShared) {
                return;
            }
            Path netnsDir = directory();
            String dir = netnsDir.toString();
            refuseLinkedNetnsDir();
            try {
                Files.createDirectories(netnsDir);
            } catch (IOException e) {
                throw NetnsException.wrap("mkdir " + dir, e);
            }
            // Like iproute2's netns_add: try to make it shared; EINVAL means it is not a mount point yet,
            // so bind it onto itself first and try again.
            try {
                Native.mount("", dir, "none", Native.MS_SHARED | Native.MS_REC);
            } catch (NetnsException e) {
                if (e.errno() != Native.EINVAL) {
                    throw e;
                }
                Native.mount(dir, dir, "none", Native.MS_BIND | Native.MS_REC);
                Native.mount("", dir, "none", Native.MS_SHARED | Native.MS_REC);
            }
            netnsDirShared = true;
        }
    }

    private static void refuseLinkedNetnsDir() throws NetnsException {
        if (Files.isSymbolicLink(directory())) {
            throw NetnsException.failure("namespace directory", directory() + " is a symbolic link; netns refuses to "
                    + "persist or open namespaces through it (remove it)");
        }
    }

    /**
     * How namespaces are made: a thread {@code unshare}s into a new namespace, bind-mounts it onto its file,
     * opens it (and, if asked, an {@link RtnlClient} inside it), and switches back with {@code setns}. A
     * platform thread that can come back by itself does this itself ({@link #makeHere}); for the others
     * ({@link ThreadNs#canUnshare}) helper threads do it ({@link #make}) and switch back to the JVM's initial
     * namespace (rootless: netns' own). Helper threads are reused (starting one costs more than
     * making a namespace's file and mount) and end after {@value #IDLE_SECONDS} s idle. They run nothing
     * but this. A thread whose way back fails could be left inside a namespace, so it ends at once instead
     * of taking another task; the next one starts afresh.
     */
    private static final class Creator {
        static final int IDLE_SECONDS = 30;
        private static final java.util.concurrent.ThreadFactory HOME_THREADS = Netns.homeThreads("netns-create");
        private static final ThreadPoolExecutor POOL = new ThreadPoolExecutor(0, Integer.MAX_VALUE,
                IDLE_SECONDS, TimeUnit.SECONDS, new SynchronousQueue<>(), r -> {
                    // Born in the initial namespace, whichever caller's thread (maybe inside a sandbox) makes it.
                    Thread t = HOME_THREADS.newThread(r);
                    t.setUncaughtExceptionHandler((thread, e) -> {
                        // Only Stranded ends a thread, and its failure went to the caller already.
                    });
                    return t;
                });

        /** Thrown out of a task to end the thread that could not switch back. */
        private static final class Stranded extends RuntimeException {
            Stranded() {
                super(null, null, false, false);
            }
        }

        static Created make(String name, String file, boolean withClient, BeforeMount beforeMount)
                throws NetnsException {
            NetNamespace home = Netns.rootless() ? Netns.rootlessHome() : Netns.initialNamespace();
            if (home == null) {
                throw NetnsException.failure("create namespace", "the JVM's initial namespace cannot be opened");
            }
            CompletableFuture<Created> result = new CompletableFuture<>();
            int homeFd = home.acquire();
            try {
                POOL.execute(() -> run(name, file, withClient, beforeMount, homeFd, result));
                // Uninterruptible: once started, the thread makes the mount; the caller must learn of it.
                return result.join();
            } catch (CompletionException e) {
                Throwable c = e.getCause();
                if (c instanceof NetnsException) {
                    throw (NetnsException) c;
                }
                if (c instanceof RuntimeException) {
                    throw (RuntimeException) c;
                }
                if (c instanceof Error) {
                    throw (Error) c;
                }
                throw new IllegalStateException(c);
            } finally {
                home.release();
            }
        }

        /**
         * The calling thread makes the namespace itself ({@link ThreadNs#unshared}): it unshares, persists the
         * namespace and switches back to where it was. No other thread is woken, which is what keeps
         * {@code create} at the kernel's floor.
         */
        static Created makeHere(ThreadNs thread, String name, String file, boolean withClient, BeforeMount beforeMount)
                throws NetnsException {
            Created[] made = new Created[1];
            try {
                return thread.unshared(() -> made[0] = persist(name, file, withClient, beforeMount));
            } catch (NetnsException | RuntimeException | Error e) {
                if (made[0] != null) { // made, but the way back failed: the thread is poisoned, the caller undoes the mount
                    closeQuietly(made[0].namespace(), made[0].inside());
                }
                throw e;
            }
        }

        private static void run(String name, String file, boolean withClient, BeforeMount beforeMount, int homeFd,
                CompletableFuture<Created> result) {
            try {
                if (Netns.rootless()) {
                    // A new thread starts where its maker was, maybe in the JVM's own stack, which it could not
                    // come back to: it goes to the rootless home first (one way), and returns there below.
                    Native.setns(homeFd);
                }
                Native.unshareNet();
            } catch (Throwable e) {
                result.completeExceptionally(e); // still home: the thread stays usable
                return;
            }
            Created made = null;
            Throwable failure = null;
            try {
                made = persist(name, file, withClient, beforeMount);
            } catch (Throwable e) {
                failure = e;
            }
            try {
                Native.setns(homeFd);
            } catch (Throwable e) {
                if (failure != null) {
                    e.addSuppressed(failure);
                }
                if (made != null) {
                    closeQuietly(made.namespace(), made.inside());
                }
                result.completeExceptionally(e);
                throw new Stranded();
            }
            if (failure != null) {
                result.completeExceptionally(failure);
            } else {
                result.complete(made);
            }
        }

        /**
         * On a thread that has just unshared into the new namespace: its identity (told to {@code beforeMount}
         * before the mount makes it persist), the bind mount onto {@code file}, and the client if asked. What it
         * opened is closed again when it fails; the caller undoes the mount.
         */
        private static Created persist(String name, String file, boolean withClient, BeforeMount beforeMount)
                throws NetnsException {
            NetNamespace ns;
            FileDescriptor fd = FileDescriptor.open("/proc/thread-self/ns/net", Native.O_RDONLY);
            try {
                // Made by us this instant: a network namespace, so no nsfs check, only its identity,
                // told before the mount makes it persist.
                FileId id = Native.identity(fd.intValue());
                if (beforeMount != null) {
                    beforeMount.made(id);
                }
                Native.mount("/proc/thread-self/ns/net", file, "none", Native.MS_BIND);
                ns = new NetNamespace(fd, id.dev(), id.ino(), name, directory().resolve(name));
            } catch (NetnsException | RuntimeException | Error e) {
                fd.close();
                throw e;
            }
            if (!withClient) {
                return new Created(ns, null);
            }
            try {
                return new Created(ns, ThreadNs.assumeInside(ns, () -> RtnlClient.open(ns)));
            } catch (NetnsException | RuntimeException | Error e) {
                ns.close();
                throw e;
            }
        }

        private static void closeQuietly(NetNamespace ns, RtnlClient inside) {
            if (inside != null) {
                inside.close();
            }
            if (ns != null) {
                ns.close();
            }
        }
    }

    /**
     * Runs work with the calling platform thread switched into this namespace, and switches it back.
     * Makes no system call when the thread already is here. Rootless, from a thread of the JVM's own stack,
     * the work runs on a thread living inside instead (see the class description).
     *
     * @param work what to run inside
     * @param <T> its result type
     * @param <X> what it throws
     * @return what the work returned
     * @throws X what the work threw (the thread is back home first)
     * @throws NetnsException if the switch in fails (the work did not run), or the switch back failed
     *     (the thread is now poisoned)
     * @throws IllegalStateException on a virtual thread, a poisoned thread, or a closed handle
     */
    public <T, X extends Exception> T call(NetnsCallable<T, X> work) throws X, NetnsException {
        return ThreadNs.get().call(this, work);
    }

    /**
     * Like {@link #call} for work without a result.
     *
     * @param work what to run inside
     * @param <X> what it throws
     * @throws X what the work threw
     * @throws NetnsException if a switch fails
     */
    public <X extends Exception> void run(NetnsRunnable<X> work) throws X, NetnsException {
        ThreadNs.get().call(this, () -> {
            work.run();
            return null;
        });
    }

    /**
     * Threads that live inside this namespace: each switches in once when it starts, so work handed to
     * it runs with no switch at all. A task runs only where the thread really is inside; if the thread
     * could not switch, the task fails with the reason instead. One executor per handle, made on first
     * use, of daemon threads that end after 30 s idle; {@link #close()} shuts it down.
     *
     * @return the executor
     * @throws IllegalStateException if this handle is closed
     */
    public ExecutorService executor() {
        NamespaceExecutor e = executor;
        if (e == null) {
            synchronized (this) {
                if (fd.isClosed()) {
                    throw new IllegalStateException(this + " is closed");
                }
                e = executor;
                if (e == null) {
                    executor = e = new NamespaceExecutor(this);
                }
            }
        }
        return e;
    }

    /** @return the namespace's inode number, as {@code ls -i /run/netns} or {@code lsns} show it */
    public long inode() {
        return ino;
    }

    /** @return the device of the {@code nsfs} file system, the other half of the identity */
    public long device() {
        return dev;
    }

    /**
     * @return the name under {@code /run/netns} this handle was created or opened by, or null when it was
     *     opened another way ({@link #ofPid}, {@link #current()}, a path elsewhere)
     */
    public String name() {
        return name;
    }

    /** @return the path this handle was opened from */
    public Path path() {
        return path;
    }

    /** @return true when {@link #close()} was called */
    public boolean isClosed() {
        return fd.isClosed();
    }

    /**
     * Removes the persisted name: a detached unmount and unlink of {@code /run/netns/<name>}, like
     * {@code ip netns delete}, retried briefly while the kernel reports EBUSY. The namespace itself lives
     * on while anything holds it (this handle, a process, a socket); close the handle too.
     *
     * @throws IllegalStateException if this handle has no name
     * @throws NetnsException if the name cannot be removed
     */
    public void delete() throws NetnsException {
        if (name == null) {
            throw new IllegalStateException(this + " has no name under " + directory() + " to delete");
        }
        deleteNamed(name);
    }

    /**
     * Removes {@code /run/netns/<name>} only if it still is what netns made under that name: the namespace
     * of identity {@code id} ({@code dev:ino}, recorded before it was mounted), or the empty placeholder
     * file made before the mount (a crash between the two). Anything else there is spared.
     *
     * @param name the persisted name
     * @param id the recorded {@code dev:ino}, or null when none was recorded
     * @return null when removed or already gone; else why it was spared
     * @throws NetnsException if the removal fails
     */
    static String deleteIfMadeAs(String name, String id) throws NetnsException {
        Path f = directory().resolve(Names.check("namespace name", name));
        FileId now;
        boolean placeholder;
        try (FileDescriptor fd = FileDescriptor.open(f.toString(), Native.O_RDONLY | Native.O_NOFOLLOW)) {
            now = Native.identity(fd.intValue());
            var a = Files.readAttributes(Path.of("/proc/self/fd/" + fd.intValue()),
                    java.nio.file.attribute.BasicFileAttributes.class);
            placeholder = now.dev() != nsfsDevice() && a.isRegularFile() && a.size() == 0;
        } catch (NetnsException e) {
            if (e.errno() == Native.ENOENT) {
                return null;
            }
            if (e.errno() == Native.ELOOP) {
                return f + " is a symbolic link, not what netns made";
            }
            throw e;
        } catch (IOException e) {
            throw NetnsException.wrap("stat " + f, e);
        }
        if (placeholder || (now.dev() + ":" + now.ino()).equals(id)) {
            deleteNamed(name);
            return null;
        }
        return f + " is namespace " + now.dev() + ":" + now.ino() + ", not the one its record names ("
                + (id == null ? "none recorded" : id) + "): made by someone else after the owner died";
    }

    static void deleteNamed(String name) throws NetnsException {
        String f = directory().resolve(Names.check("namespace name", name)).toString();
        // EBUSY is rare with MNT_DETACH (a mount propagating at this moment): retry briefly, sleeping only then.
        for (int attempt = 0; ; attempt++) {
            try {
                Native.umount2(f, Native.MNT_DETACH | Native.UMOUNT_NOFOLLOW);
                break;
            } catch (NetnsException e) {
                if (e.errno() == Native.EINVAL || e.errno() == Native.ENOENT) {
                    break; // not mounted, or gone already
                }
                if (e.errno() != Native.EBUSY || attempt == 50) {
                    throw e;
                }
            }
            try {
                Thread.sleep(2);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        try {
            Native.unlink(f);
        } catch (NetnsException e) {
            if (e.errno() != Native.ENOENT) {
                throw e;
            }
        }
    }

    /**
     * Closes this handle: shuts its {@link #executor()} down and releases the descriptor once the last call
     * inside it has returned. Idempotent. The namespace lives on while it is persisted or held elsewhere.
     */
    @Override
    public void close() {
        if (fd.markClosed()) {
            NamespaceExecutor e;
            synchronized (this) {
                e = executor;
            }
            if (e != null) {
                e.shutdown();
            }
        }
    }

    /**
     * Takes a reference for a call or a thread inside; fails once the handle is closed.
     *
     * @return the descriptor, open until {@link #release()}
     */
    int acquire() {
        try {
            return fd.acquire();
        } catch (IllegalStateException e) {
            throw new IllegalStateException(this + " is closed");
        }
    }

    void release() {
        fd.release();
    }

    /** @return the descriptor, for a caller that holds a reference ({@link #acquire()}, or the handle's own) */
    int fd() {
        return fd.intValue();
    }

    boolean sameAs(long otherDev, long otherIno) {
        return ino == otherIno && dev == otherDev;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof NetNamespace && ((NetNamespace) o).sameAs(dev, ino);
    }

    @Override
    public int hashCode() {
        return Long.hashCode(ino) * 31 + Long.hashCode(dev);
    }

    /** @return {@code NS(name, fd: dev, inode)}, e.g. {@code NS(web1, 12: 4, 4026532281)} */
    @Override
    public String toString() {
        return "NS(" + (name == null ? "" : name + ", ") + fd.intValue() + ": " + dev + ", " + ino + ")";
    }
}
