package io.netns.internal.posix;

import io.netns.NetnsException;
import java.nio.ByteBuffer;
import jnr.constants.platform.Errno;
import jnr.ffi.LibraryLoader;
import jnr.ffi.Runtime;
import jnr.ffi.annotations.In;
import jnr.ffi.annotations.Out;
import jnr.ffi.byref.IntByReference;
import jnr.ffi.types.size_t;
import jnr.ffi.types.ssize_t;

/**
 * Internal use only: the system calls netns makes, through jnr-ffi, each checked.
 *
 * <p>Every wrapper calls, checks {@code rc < 0}, reads errno at once and throws a
 * {@link NetnsException} naming the call, its arguments and the errno; no raw return code leaves this
 * class. Every descriptor is opened close-on-exec. Nothing else in netns touches jnr.
 */
public final class Native {
    /** {@code CLONE_NEWNET} from {@code <sched.h>}. */
    public static final int CLONE_NEWNET = 0x40000000;
    /** {@code MS_BIND}. */
    public static final long MS_BIND = 4096;
    /** {@code MS_REC}. */
    public static final long MS_REC = 16384;
    /** {@code MS_SHARED}. */
    public static final long MS_SHARED = 1 << 20;
    /** {@code MS_NOSUID}. */
    public static final long MS_NOSUID = 2;
    /** {@code MS_NODEV}. */
    public static final long MS_NODEV = 4;
    /** {@code MS_NOEXEC}. */
    public static final long MS_NOEXEC = 8;
    /** {@code MNT_DETACH}. */
    public static final int MNT_DETACH = 2;
    /** {@code UMOUNT_NOFOLLOW} from {@code <sys/mount.h>}: a symbolic link as the target is not followed. */
    public static final int UMOUNT_NOFOLLOW = 8;
    /** {@code O_RDONLY}. */
    public static final int O_RDONLY = 0;
    /** {@code O_WRONLY}. */
    public static final int O_WRONLY = 1;
    /** {@code O_CREAT}. */
    public static final int O_CREAT = 0100;
    /** {@code O_EXCL}. */
    public static final int O_EXCL = 0200;
    /** {@code O_CLOEXEC}. */
    public static final int O_CLOEXEC = 02000000;
    /** {@code AF_NETLINK}. */
    public static final int AF_NETLINK = 16;
    /** {@code SOCK_RAW}. */
    public static final int SOCK_RAW = 3;
    /** {@code SOCK_CLOEXEC}. */
    public static final int SOCK_CLOEXEC = 02000000;
    /** {@code SOL_SOCKET}. */
    public static final int SOL_SOCKET = 1;
    /** {@code SO_SNDBUF}. */
    public static final int SO_SNDBUF = 7;
    /** {@code SO_RCVBUF}. */
    public static final int SO_RCVBUF = 8;
    /** {@code SOL_NETLINK}. */
    public static final int SOL_NETLINK = 270;
    /** {@code MSG_PEEK}. */
    public static final int MSG_PEEK = 2;
    /** {@code MSG_TRUNC}. */
    public static final int MSG_TRUNC = 0x20;
    /** {@code O_APPEND}. */
    public static final int O_APPEND = 02000;
    /** {@code O_NOFOLLOW} of this platform: a symbolic link as the last component fails with ELOOP. */
    public static final int O_NOFOLLOW = jnr.constants.platform.OpenFlags.O_NOFOLLOW.intValue();
    /** {@code O_DIRECTORY} of this platform: anything but a directory fails with ENOTDIR. */
    public static final int O_DIRECTORY = jnr.constants.platform.OpenFlags.O_DIRECTORY.intValue();
    /** {@code ELOOP}: a symbolic link met where {@code O_NOFOLLOW} forbids one. */
    public static final int ELOOP = Errno.ELOOP.intValue();
    /** {@code ENOTDIR}. */
    public static final int ENOTDIR = Errno.ENOTDIR.intValue();
    /** {@code EEXIST}. */
    public static final int EEXIST = Errno.EEXIST.intValue();
    /** {@code ENOENT}. */
    public static final int ENOENT = Errno.ENOENT.intValue();
    /** {@code ENOTTY}: what an ioctl answers on a file that does not know it. */
    public static final int ENOTTY = Errno.ENOTTY.intValue();
    /** {@code EINTR}. */
    public static final int EINTR = Errno.EINTR.intValue();
    /** {@code EAGAIN}: also what a receive answers when its {@code SO_RCVTIMEO} expires. */
    public static final int EAGAIN = Errno.EAGAIN.intValue();
    /** {@code EPERM}. */
    public static final int EPERM = Errno.EPERM.intValue();
    /** {@code EACCES}. */
    public static final int EACCES = Errno.EACCES.intValue();
    /** {@code EINVAL}. */
    public static final int EINVAL = Errno.EINVAL.intValue();
    /** {@code EBUSY}. */
    public static final int EBUSY = Errno.EBUSY.intValue();
    /** {@code ENOSYS}. */
    public static final int ENOSYS = Errno.ENOSYS.intValue();
    /** {@code ENODEV}. */
    public static final int ENODEV = Errno.ENODEV.intValue();
    /** {@code EADDRINUSE}. */
    public static final int EADDRINUSE = Errno.EADDRINUSE.intValue();
    /** {@code EADDRNOTAVAIL}. */
    public static final int EADDRNOTAVAIL = Errno.EADDRNOTAVAIL.intValue();
    /** {@code ENOBUFS}. */
    public static final int ENOBUFS = Errno.ENOBUFS.intValue();
    /** {@code MSG_DONTWAIT}. */
    public static final int MSG_DONTWAIT = jnr.constants.platform.SocketMessage.MSG_DONTWAIT.intValue();
    /** {@code SO_RCVTIMEO}. */
    public static final int SO_RCVTIMEO = jnr.constants.platform.SocketOption.SO_RCVTIMEO.intValue();
    /** {@code NS_GET_NSTYPE} from {@code <linux/nsfs.h>}: {@code _IO(0xb7, 0x3)}. */
    public static final int NS_GET_NSTYPE = 0xb703;


    /** The C library calls netns uses, and no others. */
    public interface LibC {
        int setns(int fd, int nstype);

        int unshare(int flags);

        int mount(String source, String target, String fstype, long mountflags, String data);

        int umount2(String target, int flags);

        int open(String path, int flags, int mode);

        int close(int fd);

        int socket(int domain, int type, int protocol);

        int bind(int fd, @In ByteBuffer addr, int addrlen);

        int setsockopt(int fd, int level, int optname, @In IntByReference optval, int optlen);

        int setsockopt(int fd, int level, int optname, @In ByteBuffer optval, int optlen);

        int getsockname(int fd, @Out ByteBuffer addr, @In @Out IntByReference addrlen);

        @ssize_t long sendto(int fd, @In ByteBuffer buf, @size_t long len, int flags, @In ByteBuffer addr, int addrlen);

        @ssize_t long recvfrom(int fd, @Out ByteBuffer buf, @size_t long len, int flags, ByteBuffer addr, IntByReference addrlen);

        @ssize_t long write(int fd, @In ByteBuffer buf, @size_t long len);

        int unlink(String path);

        int ioctl(int fd, long request);

        int fchmod(int fd, int mode);

        int mkdir(String path, int mode);

        int geteuid();

        int flock(int fd, int operation);

        int kill(int pid, int sig);
    }

    /** {@code statx(2)}, in its own interface: glibc has it since 2.28, and an older one must not fail the rest. */
    public interface LibCStatx {
        int statx(int dirfd, String path, int flags, int mask, @Out ByteBuffer buf);
    }

    private static final class Holder {
        static final LibC LIBC = LibraryLoader.create(LibC.class).failImmediately().load("c");
        static final Runtime RUNTIME = Runtime.getRuntime(LIBC);
    }

    private static final class StatxHolder {
        static final LibCStatx STATX = loadStatx();

        private static LibCStatx loadStatx() {
            try {
                return LibraryLoader.create(LibCStatx.class).failImmediately().load("c");
            } catch (UnsatisfiedLinkError | RuntimeException e) {
                return null;
            }
        }
    }

    private Native() {
    }

    private static LibC libc() {
        return Holder.LIBC;
    }

    private static int lastErrno() {
        return Holder.RUNTIME.getLastError();
    }

    /**
     * @param errno an errno
     * @param capability the capability the call needs
     * @return the hint for a permission errno, naming the capability; null for other errnos
     */
    public static String privilegeHint(int errno, String capability) {
        return errno == EPERM || errno == EACCES
                ? "needs " + capability + " (run as root, or grant the JVM CAP_SYS_ADMIN and CAP_NET_ADMIN)" : null;
    }

    /**
     * Loads the C library, so that a machine without it fails here with {@link UnsatisfiedLinkError}.
     */
    public static void load() {
        libc();
    }

    /**
     * {@code setns(fd, CLONE_NEWNET)}: moves the calling thread into the namespace of {@code fd}.
     *
     * @param fd an open namespace file
     * @throws NetnsException if the kernel refuses
     */
    public static void setns(int fd) throws NetnsException {
        if (libc().setns(fd, CLONE_NEWNET) < 0) {
            int errno = lastErrno();
            throw NetnsException.of("setns(fd=" + fd + ", CLONE_NEWNET)", errno,
                    errno == EINVAL ? "the descriptor is not a network namespace" : privilegeHint(errno, "CAP_SYS_ADMIN"));
        }
    }

    /**
     * {@code unshare(CLONE_NEWNET)}: moves the calling thread into a new, empty network namespace.
     *
     * @throws NetnsException if the kernel refuses
     */
    public static void unshareNet() throws NetnsException {
        if (libc().unshare(CLONE_NEWNET) < 0) {
            int errno = lastErrno();
            throw NetnsException.of("unshare(CLONE_NEWNET)", errno, privilegeHint(errno, "CAP_SYS_ADMIN"));
        }
    }

    /**
     * {@code mount(2)}.
     *
     * @param source the source path, or null
     * @param target the mount point
     * @param fstype the file system type, e.g. {@code none}
     * @param flags the {@code MS_*} flags
     * @throws NetnsException if the kernel refuses
     */
    public static void mount(String source, String target, String fstype, long flags) throws NetnsException {
        mountData(source, target, fstype, flags, null);
    }

    /**
     * {@code mount(2)} with file-system options.
     *
     * @param source the source path, or null
     * @param target the mount point
     * @param fstype the file system type, e.g. {@code tmpfs}
     * @param flags the {@code MS_*} flags
     * @param data the options, e.g. {@code mode=0755}, or null
     * @throws NetnsException if the kernel refuses
     */
    public static void mountData(String source, String target, String fstype, long flags, String data)
            throws NetnsException {
        if (libc().mount(source, target, fstype, flags, data) < 0) {
            int errno = lastErrno();
            throw NetnsException.of("mount(" + source + ", " + target + ", " + fstype + ", flags=0x"
                    + Long.toHexString(flags) + ")", errno, privilegeHint(errno, "CAP_SYS_ADMIN"));
        }
    }

    /**
     * {@code umount2(target, flags)}.
     *
     * @param target the mount point
     * @param flags {@code MNT_*} flags
     * @throws NetnsException if the kernel refuses ({@link #EINVAL}: not a mount point; {@link #EBUSY})
     */
    public static void umount2(String target, int flags) throws NetnsException {
        if (libc().umount2(target, flags) < 0) {
            int errno = lastErrno();
            throw NetnsException.of("umount2(" + target + ", 0x" + Integer.toHexString(flags) + ")", errno,
                    privilegeHint(errno, "CAP_SYS_ADMIN"));
        }
    }

    /**
     * {@code open(path, flags | O_CLOEXEC, mode)}.
     *
     * @param path the file
     * @param flags {@code O_*} flags; {@code O_CLOEXEC} is always added
     * @param mode the mode for {@code O_CREAT}
     * @return the new descriptor
     * @throws NetnsException if the call fails
     */
    public static int open(String path, int flags, int mode) throws NetnsException {
        int fd = libc().open(path, flags | O_CLOEXEC, mode);
        if (fd < 0) {
            throw NetnsException.of("open(" + path + ")", lastErrno(), null);
        }
        return fd;
    }

    /**
     * {@code close(fd)}, never retried: on EINTR the descriptor is already released (close(2) NOTES).
     *
     * @param fd the descriptor
     */
    public static void close(int fd) {
        libc().close(fd);
    }

    /**
     * {@code socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, protocol)} in the calling thread's namespace.
     *
     * @param protocol the netlink family, e.g. 0 for {@code NETLINK_ROUTE}
     * @return the socket
     * @throws NetnsException if the call fails
     */
    public static int netlinkSocket(int protocol) throws NetnsException {
        int fd = libc().socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, protocol);
        if (fd < 0) {
            throw NetnsException.of("socket(AF_NETLINK, SOCK_RAW, " + protocol + ")", lastErrno(), null);
        }
        return fd;
    }

    /**
     * {@code bind(fd, addr, len)}.
     *
     * @param fd the socket
     * @param addr the address, from position to limit
     * @throws NetnsException if the call fails
     */
    public static void bind(int fd, ByteBuffer addr) throws NetnsException {
        if (libc().bind(fd, addr, addr.remaining()) < 0) {
            throw NetnsException.of("bind(fd=" + fd + ")", lastErrno(), null);
        }
    }

    /**
     * {@code setsockopt(fd, level, name, &value, sizeof(int))}.
     *
     * @param fd the socket
     * @param level e.g. {@link #SOL_NETLINK}
     * @param name the option
     * @param value the int value
     * @throws NetnsException if the call fails
     */
    public static void setsockopt(int fd, int level, int name, int value) throws NetnsException {
        if (libc().setsockopt(fd, level, name, new IntByReference(value), 4) < 0) {
            throw NetnsException.of("setsockopt(fd=" + fd + ", " + level + ", " + name + ", " + value + ")",
                    lastErrno(), null);
        }
    }

    /**
     * {@code setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &(struct timeval){seconds, 0}, sizeof(struct timeval))}:
     * a receive that waits longer fails with {@link #EAGAIN}.
     *
     * @param fd the socket
     * @param seconds the longest wait, positive
     * @throws NetnsException if the call fails
     */
    public static void setReceiveTimeout(int fd, int seconds) throws NetnsException {
        // struct timeval { time_t tv_sec; suseconds_t tv_usec; }: two longs on the 64-bit ABIs netns runs on.
        ByteBuffer tv = ByteBuffer.allocateDirect(16).order(java.nio.ByteOrder.nativeOrder());
        tv.putLong(0, seconds).putLong(8, 0);
        if (libc().setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, tv, 16) < 0) {
            throw NetnsException.of("setsockopt(fd=" + fd + ", SO_RCVTIMEO, " + seconds + " s)", lastErrno(), null);
        }
    }

    /**
     * {@code getsockname(fd, addr, &len)}; the address is written from position, which advances.
     *
     * @param fd the socket
     * @param addr where the address goes
     * @throws NetnsException if the call fails
     */
    public static void getsockname(int fd, ByteBuffer addr) throws NetnsException {
        IntByReference len = new IntByReference(addr.remaining());
        if (libc().getsockname(fd, addr, len) < 0) {
            throw NetnsException.of("getsockname(fd=" + fd + ")", lastErrno(), null);
        }
        addr.position(addr.position() + Math.min(len.intValue(), addr.remaining()));
    }

    /**
     * {@code sendto(fd, buf, len, 0, addr, addrlen)}, retried on EINTR; sends position..limit of a direct
     * buffer without copying and advances the position by what was sent.
     *
     * @param fd the socket
     * @param buf the message
     * @param addr the destination address, position..limit
     * @return the number of bytes sent
     * @throws NetnsException if the call fails
     */
    public static int sendto(int fd, ByteBuffer buf, ByteBuffer addr) throws NetnsException {
        while (true) {
            long n = libc().sendto(fd, buf, buf.remaining(), 0, addr, addr.remaining());
            if (n >= 0) {
                buf.position(buf.position() + (int) n);
                return (int) n;
            }
            int errno = lastErrno();
            if (errno != EINTR) {
                throw NetnsException.of("sendto(fd=" + fd + ", len=" + buf.remaining() + ")", errno, null);
            }
        }
    }

    /**
     * {@code recvfrom(fd, buf, len, flags, NULL, NULL)}, retried on EINTR, into position..limit of a
     * direct buffer. With {@link #MSG_TRUNC} the kernel returns the datagram's real length even when it
     * is longer than the room given, so a caller can tell a truncated read; the position advances by at
     * most the room.
     *
     * @param fd the socket
     * @param buf where the datagram goes
     * @param flags {@code MSG_*} flags
     * @return the datagram's length as the kernel reports it
     * @throws NetnsException if the call fails
     */
    public static int recv(int fd, ByteBuffer buf, int flags) throws NetnsException {
        while (true) {
            long n = libc().recvfrom(fd, buf, buf.remaining(), flags, null, null);
            if (n >= 0) {
                if ((flags & MSG_PEEK) == 0) {
                    buf.position(buf.position() + (int) Math.min(n, buf.remaining()));
                }
                return (int) n;
            }
            int errno = lastErrno();
            if (errno != EINTR) {
                throw NetnsException.of("recvfrom(fd=" + fd + ")", errno, null);
            }
        }
    }

    /**
     * {@code write(fd, buf, len)}, retried on EINTR and until everything from position to limit is written;
     * the position advances to the limit.
     *
     * @param fd the file
     * @param buf the bytes, a direct buffer
     * @throws NetnsException if the call fails
     */
    public static void write(int fd, ByteBuffer buf) throws NetnsException {
        while (buf.hasRemaining()) {
            long n = libc().write(fd, buf, buf.remaining());
            if (n >= 0) {
                buf.position(buf.position() + (int) n);
                continue;
            }
            int errno = lastErrno();
            if (errno != EINTR) {
                throw NetnsException.of("write(fd=" + fd + ", len=" + buf.remaining() + ")", errno, null);
            }
        }
    }

    /**
     * {@code fchmod(fd, mode)}: sets a file's mode exactly, whatever the umask was when it was made.
     *
     * @param fd an open file
     * @param mode the permission bits
     * @throws NetnsException if the call fails
     */
    public static void fchmod(int fd, int mode) throws NetnsException {
        if (libc().fchmod(fd, mode) < 0) {
            throw NetnsException.of("fchmod(fd=" + fd + ", 0" + Integer.toOctalString(mode) + ")", lastErrno(), null);
        }
    }

    /**
     * {@code mkdir(path, mode)} (the mode is still subject to the umask).
     *
     * @param path the directory
     * @param mode the permission bits
     * @throws NetnsException if it fails ({@link #EEXIST} when it exists)
     */
    public static void mkdir(String path, int mode) throws NetnsException {
        if (libc().mkdir(path, mode) < 0) {
            throw NetnsException.of("mkdir(" + path + ")", lastErrno(), null);
        }
    }

    /**
     * {@code flock(fd, LOCK_EX | LOCK_NB)}: an exclusive advisory lock, released when the descriptor closes
     * (also when the process dies).
     *
     * @param fd an open file
     * @return true when locked, false when another open file description holds a lock on it
     * @throws NetnsException if the call fails otherwise
     */
    public static boolean tryLockExclusive(int fd) throws NetnsException {
        if (libc().flock(fd, 2 | 4) == 0) { // LOCK_EX | LOCK_NB
            return true;
        }
        int errno = lastErrno();
        if (errno == jnr.constants.platform.Errno.EWOULDBLOCK.intValue()) {
            return false;
        }
        throw NetnsException.of("flock(fd=" + fd + ", LOCK_EX|LOCK_NB)", errno, null);
    }

    /**
     * {@code kill(pid, 0)}: whether a process of that id exists in this process's pid namespace, whether or
     * not /proc shows it (hidepid) and whether or not it may be signalled.
     *
     * @param pid the process id
     * @return false only when the kernel says there is no such process (ESRCH)
     */
    public static boolean processExists(long pid) {
        if (pid <= 0 || pid > Integer.MAX_VALUE) {
            return true; // no such pid can be asked about: not known to be gone
        }
        return libc().kill((int) pid, 0) == 0 || lastErrno() != jnr.constants.platform.Errno.ESRCH.intValue();
    }

    /** @return the process's effective user id */
    public static int geteuid() {
        return libc().geteuid();
    }

    /**
     * {@code unlink(path)}.
     *
     * @param path the file
     * @throws NetnsException if it fails ({@link #ENOENT} when it is gone already)
     */
    public static void unlink(String path) throws NetnsException {
        if (libc().unlink(path) < 0) {
            throw NetnsException.of("unlink(" + path + ")", lastErrno(), null);
        }
    }

    /**
     * {@link #unlink} for cleanup after another failure: a failure here is not worth more than the first.
     *
     * @param path the file
     * @return true when it was removed
     */
    public static boolean unlinkQuietly(String path) {
        try {
            unlink(path);
            return true;
        } catch (NetnsException e) {
            return false;
        }
    }

    /**
     * {@code ioctl(fd, NS_GET_NSTYPE)}: the kind of namespace an {@code nsfs} file is (Linux 4.11).
     *
     * @param fd an open file
     * @return its {@code CLONE_NEW*} type, e.g. {@link #CLONE_NEWNET}; 0 when the file does not answer
     *     ({@code ENOTTY}: it is no namespace, or the kernel predates the request)
     * @throws NetnsException if the call fails otherwise
     */
    public static int nsType(int fd) throws NetnsException {
        int type = libc().ioctl(fd, NS_GET_NSTYPE);
        if (type >= 0) {
            return type;
        }
        int errno = lastErrno();
        if (errno == ENOTTY || errno == EINVAL) {
            return 0;
        }
        throw NetnsException.of("ioctl(fd=" + fd + ", NS_GET_NSTYPE)", errno, null);
    }

    /**
     * {@code statx(fd, "", AT_EMPTY_PATH, STATX_INO)}: the identity of an open file in one system call,
     * without the JDK's attribute views. Falls back to the JDK (two {@code stat} calls on
     * {@code /proc/self/fd/<fd>}) where the C library has no {@code statx}.
     *
     * @param fd an open file
     * @return its {@code (st_dev, st_ino)}, {@code st_dev} encoded as glibc's {@code makedev} does (the
     *     value {@code stat(2)} and {@code Files.getAttribute(path, "unix:dev")} give)
     * @throws NetnsException if the call fails
     */
    public static FileId identity(int fd) throws NetnsException {
        LibCStatx lib = StatxHolder.STATX;
        if (lib == null) {
            return FileId.ofProcFd(fd);
        }
        ByteBuffer buf = Statx.buffer();
        if (lib.statx(fd, "", Statx.AT_EMPTY_PATH, Statx.STATX_INO, buf) < 0) {
            int errno = lastErrno();
            if (errno == ENOSYS) { // a kernel before 4.11 under a newer C library
                return FileId.ofProcFd(fd);
            }
            throw NetnsException.of("statx(fd=" + fd + ", AT_EMPTY_PATH)", errno, null);
        }
        return new FileId(Statx.dev(buf), Statx.ino(buf));
    }
}
