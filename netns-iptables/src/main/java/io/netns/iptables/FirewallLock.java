package io.netns.iptables;

import io.netns.NetnsException;
import io.netns.internal.StateDir;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Internal use only: the lock every JVM using this library takes before it changes a namespace's
 * firewall: one byte, at the namespace's inode, of {@code /run/netns.d/locks/firewall}.
 *
 * <h2>Nobody else can hold it</h2>
 * The file lives in the state directory (root-owned, mode 0755, checked by {@link StateDir}), is made
 * with mode 0600 and opened with {@code O_NOFOLLOW}; before use it is checked to be a regular file owned
 * by this process's user that nobody else may read or write. So no other user can make it first, replace
 * it, or open it to hold a lock on it (a read lock needs only a descriptor open for reading, which a
 * world-readable file in a world-writable directory such as {@code /run/lock} gives anyone).
 *
 * <h2>Bounded</h2>
 * Every wait is bounded: {@value #TIMEOUT_PROPERTY} seconds (decimals allowed), default
 * {@value #DEFAULT_TIMEOUT_SECONDS}. The failure names the lock and, read from {@code /proc/locks}, the
 * pid of the process that holds it.
 */
final class FirewallLock {
    /** The system property with the longest wait for the lock, in seconds. */
    static final String TIMEOUT_PROPERTY = "io.netns.lock.timeout";
    /** The default longest wait, in seconds. */
    static final long DEFAULT_TIMEOUT_SECONDS = 10;
    /** @return the lock file, under the state directory (which is this user namespace's own when rootless) */
    static Path defaultFile() {
        return StateDir.path("locks", "firewall");
    }

    private FirewallLock() {
    }

    /** @return the wait from {@value #TIMEOUT_PROPERTY}, in nanoseconds */
    static long timeoutNanos() {
        String v = System.getProperty(TIMEOUT_PROPERTY);
        if (v == null || v.isBlank()) {
            return TimeUnit.SECONDS.toNanos(DEFAULT_TIMEOUT_SECONDS);
        }
        try {
            double s = Double.parseDouble(v.strip());
            if (s > 0 && s < 1e6) {
                return (long) (s * 1e9);
            }
        } catch (NumberFormatException e) {
            // below
        }
        throw new IllegalArgumentException(TIMEOUT_PROPERTY + " must be a positive number of seconds: \"" + v + "\"");
    }

    /**
     * Opens the lock file, making it (mode 0600) when missing, and checks it.
     *
     * @param file the lock file; under the state directory its directories are made and checked there
     * @return the channel, open for reading and writing
     * @throws NetnsException if it cannot be opened, or anyone but this process's user could use it
     */
    static FileChannel open(Path file) throws NetnsException {
        if (file.startsWith(StateDir.root())) {
            StateDir.ensureDir(file.getParent());
        }
        FileChannel ch;
        try {
            ch = FileChannel.open(file, Set.of(StandardOpenOption.READ, StandardOpenOption.WRITE, StandardOpenOption.CREATE,
                    LinkOption.NOFOLLOW_LINKS), PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        } catch (FileSystemException e) {
            if (Files.isSymbolicLink(file)) {
                throw StateDir.symlink(file);
            }
            throw NetnsException.wrap("open the firewall lock " + file, e);
        } catch (IOException e) {
            throw NetnsException.wrap("open the firewall lock " + file, e);
        }
        try {
            Map<String, Object> a = Files.readAttributes(file, "unix:uid,mode", LinkOption.NOFOLLOW_LINKS);
            int mode = (Integer) a.get("mode");
            int uid = (Integer) a.get("uid");
            if ((mode & 0170000) != 0100000) {
                throw NetnsException.failure("firewall lock", file + " is not a regular file; remove it");
            }
            if (uid != euid()) {
                throw NetnsException.failure("firewall lock", file + " is owned by uid " + uid + ", not by uid " + euid()
                        + " that runs netns: someone else made it; remove it");
            }
            if ((mode & 0077) != 0) {
                Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
            }
            return ch;
        } catch (IOException | RuntimeException e) {
            try {
                ch.close();
            } catch (IOException ignored) {
                // failing anyway
            }
            if (e instanceof NetnsException n) {
                throw n;
            }
            if (e instanceof RuntimeException r) {
                throw r;
            }
            throw NetnsException.wrap("check the firewall lock " + file, (IOException) e);
        }
    }

    private static int euid() {
        return io.netns.internal.posix.Native.geteuid();
    }

    /**
     * Takes one byte of the lock, waiting at most {@code timeoutNanos}.
     *
     * @param ch the open lock file
     * @param file its path, for messages
     * @param position the byte
     * @param timeoutNanos the longest wait
     * @return the lock
     * @throws NetnsException naming the lock and its holder's pid when the wait runs out
     */
    static FileLock lock(FileChannel ch, Path file, long position, long timeoutNanos) throws NetnsException {
        long deadline = System.nanoTime() + timeoutNanos;
        long pause = 1;
        while (true) {
            try {
                FileLock l = ch.tryLock(position, 1, false);
                if (l != null) {
                    return l;
                }
            } catch (OverlappingFileLockException e) {
                throw new IllegalStateException("the firewall lock " + file + " is held by this JVM already", e);
            } catch (IOException e) {
                throw NetnsException.wrap("lock " + file, e);
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                String holder = holder(file, position);
                throw NetnsException.failure("firewall lock", "gave up waiting for the firewall lock " + file + " (byte "
                        + position + ") after " + String.format("%.1f", timeoutNanos / 1e9) + " s: "
                        + (holder == null ? "its holder is not known" : "held by " + holder)
                        + "; a change of another process takes that long, or it hangs (raise -D" + TIMEOUT_PROPERTY
                        + "=<seconds> to wait longer)");
            }
            try {
                Thread.sleep(Math.min(pause, TimeUnit.NANOSECONDS.toMillis(left) + 1));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw NetnsException.failure("firewall lock", "interrupted while waiting for the firewall lock " + file);
            }
            pause = Math.min(pause * 2, 50);
        }
    }

    /** @return {@code pid N (command)} of a process holding a lock over the byte, from {@code /proc/locks}; or null */
    static String holder(Path file, long position) {
        try {
            long ino = (Long) Files.getAttribute(file, "unix:ino", LinkOption.NOFOLLOW_LINKS);
            for (String line : Files.readAllLines(Path.of("/proc/locks"))) {
                // 1: POSIX  ADVISORY  WRITE 1234 00:1a:5678 0 EOF   (an OFD lock shows pid -1)
                String[] f = line.replace("->", "").trim().split("\\s+");
                if (f.length < 8) {
                    continue;
                }
                String[] dev = f[5].split(":");
                if (dev.length != 3 || Long.parseLong(dev[2]) != ino) {
                    continue;
                }
                long start = Long.parseLong(f[6]);
                long end = f[7].equals("EOF") ? Long.MAX_VALUE : Long.parseLong(f[7]);
                if (start <= position && position <= end) {
                    String pid = f[4];
                    String cmd = null;
                    try {
                        cmd = Files.readString(Path.of("/proc/" + pid + "/comm")).strip();
                    } catch (IOException | RuntimeException gone) {
                        // gone meanwhile, or another pid namespace
                    }
                    return "pid " + pid + (cmd == null ? "" : " (" + cmd + ")") + ", a " + f[1] + " " + f[3] + " lock";
                }
            }
        } catch (IOException | RuntimeException e) {
            return null;
        }
        return null;
    }
}
