package io.netns.internal;

import io.netns.NetnsException;
import io.netns.internal.posix.Native;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Internal use only: the one home of netns's state directory, {@code /run/netns.d}, and the only code that
 * makes, opens, reads, lists or deletes anything under it.
 *
 * <p>What lives there: {@code sandboxes/<name>} (owner records), {@code ipam/<host>/<network>/<ip>} (address
 * leases), {@code ports/<host>/<protocol>-<port>/<address>} (published port claims) and, for other modules,
 * whatever they keep per host. Everything there is trusted by {@code Host.reclaim()} to decide what to
 * delete, so nobody but the owner of the state directory may be able to change it:
 * <ul>
 *   <li>every directory is checked before first use (per JVM): a real directory, not a symbolic link,
 *       owned by this process's effective user, writable by nobody else; a missing one is made with mode
 *       {@code 0755} set by {@code fchmod}, whatever the umask;</li>
 *   <li>every file is made with mode {@code 0644} set by {@code fchmod}, and every open, read or create of
 *       a file uses {@code O_NOFOLLOW};</li>
 *   <li>a symbolic link where a file or directory should be is refused with a {@link NetnsException}
 *       naming it, never followed.</li>
 * </ul>
 * Being under {@code /run}, it goes away on reboot together with everything it describes.
 */
public final class StateDir {

    private static final int DIR_MODE = 0755;
    private static final int FILE_MODE = 0644;
    private static final int S_IFMT = 0170000;
    private static final int S_IFDIR = 0040000;
    private static final int S_IFLNK = 0120000;

    /** Directories already checked by this JVM; only their owner can change them, so once is enough. */
    private static final Set<Path> CHECKED = ConcurrentHashMap.newKeySet();

    private StateDir() {
    }

    /** @return the state directory, {@code /run/netns.d} unless {@link RunDir} chose another run dir */
    public static Path root() {
        return RunDir.state();
    }

    /**
     * @param first the first component under the state directory, e.g. {@code sandboxes}
     * @param more further components
     * @return the path under the state directory (nothing is made)
     */
    public static Path path(String first, String... more) {
        Path p = root().resolve(first);
        for (String m : more) {
            p = p.resolve(m);
        }
        return p;
    }

    /**
     * Makes a file exclusively ({@code O_CREAT|O_EXCL|O_NOFOLLOW}), mode {@code 0644}, making its missing
     * directories (mode {@code 0755}) first, and writes {@code content} into it.
     *
     * @param file a file under the state directory
     * @param content what it holds
     * @return false when the file exists already (nothing is changed), true when made
     * @throws NetnsException if it cannot be made, or a directory on the way is not safe to use
     */
    public static boolean createExclusive(Path file, byte[] content) throws NetnsException {
        int fd = openNew(file);
        if (fd < 0) {
            return false;
        }
        try {
            write(fd, content);
        } catch (NetnsException | RuntimeException e) {
            Native.close(fd);
            Native.unlinkQuietly(file.toString());
            throw e;
        }
        Native.close(fd);
        return true;
    }

    /**
     * Makes a file exclusively ({@code O_CREAT|O_EXCL|O_NOFOLLOW}), mode {@code 0644}, making its missing
     * directories first, and returns it open for writing.
     *
     * @param file a file under the state directory
     * @return the open descriptor, or -1 when the file exists already
     * @throws NetnsException if it cannot be made, or a directory on the way is not safe to use
     */
    public static int openNew(Path file) throws NetnsException {
        Path dir = file.getParent();
        if (!CHECKED.contains(dir)) {
            ensureDir(dir);
        }
        int flags = Native.O_WRONLY | Native.O_CREAT | Native.O_EXCL | Native.O_NOFOLLOW;
        for (int attempt = 0; ; attempt++) {
            int fd;
            try {
                fd = Native.open(file.toString(), flags, FILE_MODE);
            } catch (NetnsException e) {
                if (e.errno() == Native.EEXIST) {
                    refuseLink(file);
                    return -1;
                }
                if (e.errno() == Native.ENOENT && attempt < 5) {
                    // Another process removed the (then empty) directory meanwhile: make it again.
                    forgetChecked(dir);
                    ensureDir(dir);
                    continue;
                }
                throw e;
            }
            try {
                Native.fchmod(fd, FILE_MODE);
            } catch (NetnsException | RuntimeException e) {
                Native.close(fd);
                Native.unlinkQuietly(file.toString());
                throw e;
            }
            return fd;
        }
    }

    /**
     * Opens an existing file for appending, never through a symbolic link.
     *
     * @param file a file under the state directory
     * @return the open descriptor
     * @throws NetnsException if it cannot be opened; a symbolic link is named in the message
     */
    public static int openAppend(Path file) throws NetnsException {
        try {
            return Native.open(file.toString(), Native.O_WRONLY | Native.O_APPEND | Native.O_NOFOLLOW, 0);
        } catch (NetnsException e) {
            if (e.errno() == Native.ELOOP) {
                throw symlink(file);
            }
            throw e;
        }
    }

    /**
     * Writes all of {@code bytes} to a descriptor.
     *
     * @param fd the open file
     * @param bytes the bytes
     * @throws NetnsException if the write fails
     */
    public static void write(int fd, byte[] bytes) throws NetnsException {
        Native.write(fd, ByteBuffer.allocateDirect(Math.max(1, bytes.length)).put(bytes).flip());
    }

    /**
     * Reads a file, never through a symbolic link.
     *
     * @param file a file under the state directory
     * @return its content as UTF-8, or null when it does not exist
     * @throws NetnsException if it is a symbolic link (named in the message) or cannot be read
     */
    public static String read(Path file) throws NetnsException {
        try (SeekableByteChannel ch = Files.newByteChannel(file, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
            ByteBuffer b = ByteBuffer.allocate(512);
            while (ch.read(b) >= 0) {
                if (!b.hasRemaining()) {
                    b = ByteBuffer.allocate(b.capacity() * 2).put(b.flip());
                }
            }
            return new String(b.array(), 0, b.position(), StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            return null;
        } catch (FileSystemException e) {
            refuseLink(file);
            throw NetnsException.wrap("read " + file, e);
        } catch (IOException e) {
            throw NetnsException.wrap("read " + file, e);
        }
    }

    /**
     * Reads a file like {@link #read}, for callers that only want to know: null also when it cannot be read.
     *
     * @param file a file under the state directory
     * @return its content, or null
     */
    public static String readOrNull(Path file) {
        try {
            return read(file);
        } catch (NetnsException e) {
            return null;
        }
    }

    /**
     * Lists a directory after checking it like every other directory here.
     *
     * @param dir a directory under the state directory
     * @return its entries (empty when it does not exist)
     * @throws NetnsException if it is not safe to use
     */
    public static List<Path> list(Path dir) throws NetnsException {
        List<Path> out = new ArrayList<>();
        if (!CHECKED.contains(dir)) {
            if (!check(dir, false)) {
                return out;
            }
        }
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir)) {
            s.forEach(out::add);
        } catch (NoSuchFileException e) {
            forgetChecked(dir);
        } catch (IOException e) {
            throw NetnsException.wrap("list " + dir, e);
        }
        return out;
    }

    /**
     * Deletes a file (a symbolic link is deleted as the link, never followed).
     *
     * @param file a file under the state directory
     * @return true if it was there
     */
    public static boolean delete(Path file) {
        return Native.unlinkQuietly(file.toString());
    }

    /**
     * Deletes a directory when it is empty; a directory still holding something stays.
     *
     * @param dir a directory under the state directory
     */
    public static void deleteIfEmpty(Path dir) {
        try {
            if (Files.deleteIfExists(dir)) {
                // It was empty, so no checked directory lay below it: forget it alone, in constant time (a
                // scan of every checked directory made each removed port claim cost O(claims)).
                CHECKED.remove(dir);
            }
        } catch (IOException e) {
            // DirectoryNotEmptyException: something is held there; anything else: leave it to reclaim.
        }
    }

    /**
     * Makes a directory under the state directory and its missing parents, each mode {@code 0755}, and
     * checks every one of them, existing or new: a directory, no symbolic link, owned by this process's
     * effective user, writable by nobody else.
     *
     * @param dir the directory
     * @throws NetnsException naming the first one that is not safe to use, or cannot be made
     */
    public static void ensureDir(Path dir) throws NetnsException {
        check(dir, true);
    }

    private static boolean check(Path dir, boolean create) throws NetnsException {
        try {
            return checkChain(dir, create);
        } catch (NetnsException e) {
            if (e.errno() != Native.ENOENT) {
                throw e;
            }
            // A directory this JVM had checked was removed since (by another process, once empty): check the
            // whole chain again, making what is missing.
            for (Path p = dir; p != null && p.startsWith(root()); p = p.getParent()) {
                CHECKED.remove(p);
            }
            return checkChain(dir, create);
        }
    }

    private static boolean checkChain(Path dir, boolean create) throws NetnsException {
        if (!dir.startsWith(root())) {
            throw new IllegalArgumentException(dir + " is not under the state directory " + root());
        }
        List<Path> chain = new ArrayList<>();
        for (Path p = dir; p != null && p.startsWith(root()); p = p.getParent()) {
            chain.add(0, p);
        }
        for (Path p : chain) {
            if (CHECKED.contains(p)) {
                continue;
            }
            Map<String, Object> a;
            try {
                a = Files.readAttributes(p, "unix:uid,mode", LinkOption.NOFOLLOW_LINKS);
            } catch (NoSuchFileException e) {
                if (!create) {
                    return false;
                }
                make(p);
                continue;
            } catch (IOException e) {
                throw NetnsException.wrap("stat " + p, e);
            }
            verify(p, (Integer) a.get("uid"), (Integer) a.get("mode"));
            CHECKED.add(p);
        }
        return true;
    }

    private static void make(Path p) throws NetnsException {
        boolean madeHere = true;
        try {
            Native.mkdir(p.toString(), DIR_MODE);
        } catch (NetnsException e) {
            if (e.errno() != Native.EEXIST) {
                throw e;
            }
            madeHere = false;
        }
        int fd;
        try {
            fd = Native.open(p.toString(), Native.O_RDONLY | Native.O_DIRECTORY | Native.O_NOFOLLOW, 0);
        } catch (NetnsException e) {
            if (e.errno() == Native.ELOOP || e.errno() == Native.ENOTDIR) {
                refuseLink(p);
                throw NetnsException.failure("state directory", p + " is not a directory; remove it");
            }
            throw e;
        }
        try {
            Map<String, Object> a = Files.readAttributes(Path.of("/proc/self/fd/" + fd), "unix:uid,mode");
            int uid = (Integer) a.get("uid");
            if (madeHere && uid == euid()) {
                Native.fchmod(fd, DIR_MODE); // made by us just now: exactly 0755, whatever the umask
                a = Files.readAttributes(Path.of("/proc/self/fd/" + fd), "unix:uid,mode");
            }
            verify(p, (Integer) a.get("uid"), (Integer) a.get("mode"));
            CHECKED.add(p);
        } catch (IOException e) {
            throw NetnsException.wrap("stat " + p, e);
        } finally {
            Native.close(fd);
        }
    }

    private static void verify(Path p, int uid, int mode) throws NetnsException {
        if ((mode & S_IFMT) == S_IFLNK) {
            throw symlink(p);
        }
        if ((mode & S_IFMT) != S_IFDIR) {
            throw NetnsException.failure("state directory", p + " is not a directory; remove it");
        }
        int me = euid();
        if (uid != me) {
            throw NetnsException.failure("state directory", p + " is owned by uid " + uid + ", not by this process's uid "
                    + me + ": netns refuses state that another user can change (remove it: rm -r " + p + ")");
        }
        if ((mode & 022) != 0) {
            throw NetnsException.failure("state directory", p + " has mode 0" + Integer.toOctalString(mode & 07777)
                    + ", writable by group or others: netns refuses state that another user can change (chmod 755 "
                    + p + ", or remove it)");
        }
    }

    private static void refuseLink(Path p) throws NetnsException {
        if (Files.isSymbolicLink(p)) {
            throw symlink(p);
        }
    }

    /**
     * @param p the path
     * @return the error for a symbolic link found where netns keeps state
     */
    public static NetnsException symlink(Path p) {
        return NetnsException.failure("state directory", p + " is a symbolic link; netns never follows one where it "
                + "keeps state (remove it)");
    }

    private static void forgetChecked(Path dir) {
        CHECKED.removeIf(p -> p.startsWith(dir));
    }

    private static int euid() {
        return Euid.VALUE;
    }

    private static final class Euid {
        static final int VALUE = Native.geteuid();
    }
}
