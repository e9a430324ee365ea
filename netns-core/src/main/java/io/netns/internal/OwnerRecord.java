package io.netns.internal;

import io.netns.NetnsException;
import io.netns.internal.posix.Native;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Internal use only: the on-disk record of who owns a sandbox, so that {@code Host.reclaim()} in any JVM
 * can tell what a dead process left.
 *
 * <p>One file per sandbox, {@code /run/netns.d/sandboxes/<name>}, made with {@code O_EXCL} before anything
 * else of the sandbox (so two JVMs cannot make the same sandbox) and removed after everything else. It
 * holds {@code key=value} lines, a later line of a key overriding an earlier one; setup keeps the file open
 * and appends one line per thing made, right after making it ({@link #put}), and closes it when done
 * ({@link #finish}). The lines are: the owning process's {@code pid}, {@code start} time (from
 * {@code /proc/<pid>/stat}, so a reused pid is not mistaken for the owner) and {@code pidns} (the inode of
 * its pid namespace, so a pid of another pid namespace is never judged), the {@code host} id, the
 * {@code mode}, and what the mode made ({@code netns} before the namespace is made, {@code netnsid} its
 * {@code dev:ino} before it is mounted, {@code network}, {@code ip}, {@code veth}, {@code firewall}). Being
 * under {@code /run}, it goes away on reboot together with everything it describes.
 *
 * <p>Liveness fails closed ({@link #liveness()}): an owner is dead only when the kernel says its pid is
 * gone, or the pid now belongs to a process started at another time; when that cannot be established the
 * owner counts as alive. A record is never written without a readable start time of this process.
 */
public final class OwnerRecord {
    /** Where the records live. */
    public static final Path DIR = StateDir.path("sandboxes");

    private static final long SELF_PID = ProcessHandle.current().pid();
    private static final String SELF_START = readStart(Path.of("/proc/self/stat"));
    private static final String SELF_PIDNS = pidNamespace();

    private static final int BUFFER_SIZE = 4096;
    private static final ThreadLocal<ByteBuffer> BUFFER = ThreadLocal.withInitial(() -> ByteBuffer.allocateDirect(BUFFER_SIZE));

    /** Whether an owner runs: established either way, or not at all. */
    public enum Liveness {
        /** The owning process runs. */
        ALIVE,
        /** The owning process is gone (or its pid belongs to a later process). */
        DEAD,
        /** It cannot be told (no or unreadable pid or start time, another pid namespace): treated as alive. */
        UNKNOWN
    }

    private final String name;
    private final Map<String, String> values;
    /** The open record while setup writes it, else -1. */
    private int fd = -1;
    /** The descriptor holding the reclaim lock ({@link #lockForReclaim}), else -1. */
    private int lockFd = -1;

    private OwnerRecord(String name, Map<String, String> values) {
        this.name = name;
        this.values = values;
    }

    /**
     * Claims a sandbox name for this process.
     *
     * @param name the sandbox name (checked by the caller)
     * @param host the host id
     * @param mode the mode's kind
     * @return the record, written
     * @throws NetnsException if another process (live or dead) holds the name, the message says which; or
     *     this process's start time cannot be read, without which no other process could ever tell that
     *     the sandbox's owner is gone
     */
    public static OwnerRecord claim(String name, String host, String mode) throws NetnsException {
        if (SELF_START == null || SELF_PIDNS == null) {
            throw NetnsException.failure("create sandbox", "cannot read this process's start time from /proc/self/stat "
                    + "or its pid namespace from /proc/self/ns/pid: without them no reclaim() could tell later that "
                    + "the sandbox's owner is gone, so no sandbox is made (is /proc mounted?)");
        }
        Map<String, String> v = new LinkedHashMap<>();
        v.put("pid", Long.toString(SELF_PID));
        v.put("start", SELF_START);
        v.put("pidns", SELF_PIDNS);
        v.put("host", host);
        v.put("mode", mode);
        OwnerRecord r = new OwnerRecord(name, v);
        Path file = DIR.resolve(name);
        int fd = StateDir.openNew(file);
        if (fd < 0) {
            OwnerRecord other = read(name);
            String who = other == null ? "another process" : "host " + other.get("host") + " in process "
                    + other.get("pid") + (other.liveness() == Liveness.DEAD ? ", which is dead (run host.reclaim())" : "");
            throw NetnsException.failure("create sandbox", "a sandbox named '" + name + "' already exists: it belongs to "
                    + who + " (" + file + ")");
        }
        r.fd = fd;
        try {
            r.append(r.render());
        } catch (NetnsException | RuntimeException e) {
            r.remove();
            throw e;
        }
        CrashPoint.passed("owner record " + name);
        return r;
    }

    /**
     * Adds what the mode made, appending one line to the record (a later line of a key wins when read).
     *
     * @param key the key
     * @param value the value
     * @throws NetnsException if the record cannot be written
     */
    public synchronized void put(String key, String value) throws NetnsException {
        values.put(key, value);
        byte[] line = (key + "=" + value + "\n").getBytes(StandardCharsets.UTF_8);
        if (fd >= 0) {
            append(line);
        } else {
            fd = StateDir.openAppend(DIR.resolve(name));
            try {
                append(line);
            } finally {
                finish();
            }
        }
        CrashPoint.passed("record " + key + "=" + value + " of " + name);
    }

    /** Closes the record's file once setup is done; a later {@link #put} opens it again. Idempotent. */
    public synchronized void finish() {
        if (fd >= 0) {
            Native.close(fd);
            fd = -1;
        }
    }

    private void append(byte[] bytes) throws NetnsException {
        ByteBuffer b = bytes.length <= BUFFER_SIZE ? BUFFER.get().clear() : ByteBuffer.allocateDirect(bytes.length);
        b.put(bytes).flip();
        Native.write(fd, b);
    }

    /**
     * @param key the key
     * @return its value, or null
     */
    public String get(String key) {
        return values.get(key);
    }

    /** @return the sandbox name */
    public String name() {
        return name;
    }

    /** Removes the record; the sandbox is gone. Under a reclaim lock, the lock goes with it. */
    public synchronized void remove() {
        finish();
        // A failure leaves nothing to do: reclaim will find it and see that nothing is left.
        StateDir.delete(DIR.resolve(name));
        if (lockFd >= 0) {
            Native.close(lockFd);
            lockFd = -1;
        }
    }

    /**
     * @return whether the owning process still runs; false only when it is known to be gone (fail closed)
     */
    public boolean ownerAlive() {
        return liveness() != Liveness.DEAD;
    }

    /** @return whether the owning process runs, is gone, or cannot be told */
    public Liveness liveness() {
        return liveness(values.get("pid"), values.get("start"), values.get("pidns"));
    }

    /** @return why {@link #liveness()} is {@link Liveness#UNKNOWN}, for messages */
    public String unknownBecause() {
        String pid = values.get("pid");
        if (pid == null || values.get("start") == null || values.get("pidns") == null) {
            return "the record names no pid, start time or pid namespace";
        }
        if (!values.get("pidns").equals(SELF_PIDNS)) {
            return "its owner (pid " + pid + ") ran in another pid namespace";
        }
        return "the start time of pid " + pid + " cannot be read from /proc/" + pid + "/stat";
    }

    static Liveness liveness(String pidText, String start, String pidns) {
        if (pidText == null || start == null || pidns == null || SELF_PIDNS == null || !pidns.equals(SELF_PIDNS)) {
            return Liveness.UNKNOWN;
        }
        long pid;
        try {
            pid = Long.parseLong(pidText);
        } catch (NumberFormatException e) {
            return Liveness.UNKNOWN;
        }
        if (!Native.processExists(pid)) {
            return Liveness.DEAD;
        }
        String now = readStart(Path.of("/proc/" + pid + "/stat"));
        if (now == null) {
            // hidepid, a parse error, or the process ended right now: cannot tell, so it is alive
            return Native.processExists(pid) ? Liveness.UNKNOWN : Liveness.DEAD;
        }
        return now.equals(start) ? Liveness.ALIVE : Liveness.DEAD;
    }

    /**
     * Takes the record for reclaiming: an exclusive {@code flock} on it, so that of concurrent reclaimers
     * (in this JVM or others) exactly one undoes it; the name stays taken until {@link #remove()}. The
     * record is read again under the lock.
     *
     * @return the record, locked; null when another reclaimer holds it or it is gone
     * @throws NetnsException if it cannot be opened or locked for another reason
     */
    public OwnerRecord lockForReclaim() throws NetnsException {
        Path file = DIR.resolve(name);
        int lfd;
        try {
            lfd = Native.open(file.toString(), Native.O_RDONLY | Native.O_NOFOLLOW, 0);
        } catch (NetnsException e) {
            if (e.errno() == Native.ENOENT) {
                return null;
            }
            if (e.errno() == Native.ELOOP) {
                throw StateDir.symlink(file);
            }
            throw e;
        }
        try {
            if (!Native.tryLockExclusive(lfd)) {
                Native.close(lfd);
                return null;
            }
            // The file may have been removed (and a new one made) between open and lock: only the one that
            // still is the record counts.
            var id = Native.identity(lfd);
            Map<String, Object> now;
            try {
                now = Files.readAttributes(file, "unix:dev,ino", java.nio.file.LinkOption.NOFOLLOW_LINKS);
            } catch (IOException gone) {
                Native.close(lfd);
                return null;
            }
            if (((Number) now.get("ino")).longValue() != id.ino() || ((Number) now.get("dev")).longValue() != id.dev()) {
                Native.close(lfd);
                return null;
            }
            OwnerRecord fresh = read(name);
            if (fresh == null) {
                Native.close(lfd);
                return null;
            }
            fresh.lockFd = lfd;
            return fresh;
        } catch (NetnsException | RuntimeException e) {
            Native.close(lfd);
            throw e;
        }
    }

    /** Releases a reclaim lock without removing the record (what it describes was not all removed). */
    public synchronized void unlock() {
        if (lockFd >= 0) {
            Native.close(lockFd);
            lockFd = -1;
        }
    }

    /**
     * @param name a sandbox name
     * @return its record, or null
     */
    public static OwnerRecord read(String name) {
        String text = StateDir.readOrNull(DIR.resolve(name));
        if (text == null) {
            return null;
        }
        Map<String, String> v = new LinkedHashMap<>();
        for (String line : text.split("\n")) {
            int eq = line.indexOf('=');
            if (eq > 0) {
                v.put(line.substring(0, eq), line.substring(eq + 1));
            }
        }
        return new OwnerRecord(name, v);
    }

    /**
     * @return every record on this machine
     * @throws NetnsException if the records' directory is not safe to use
     */
    public static List<OwnerRecord> all() throws NetnsException {
        List<OwnerRecord> out = new ArrayList<>();
        for (Path p : StateDir.list(DIR)) {
            OwnerRecord r = read(p.getFileName().toString());
            if (r != null) {
                out.add(r);
            }
        }
        return out;
    }

    private byte[] render() {
        StringBuilder b = new StringBuilder();
        values.forEach((k, v) -> b.append(k).append('=').append(v).append('\n'));
        return b.toString().getBytes(StandardCharsets.UTF_8);
    }

    /** A process's start time in clock ticks since boot (field 22 of its stat file), or null when unreadable. */
    private static String readStart(Path stat) {
        try {
            String text = Files.readString(stat);
            String[] f = text.substring(text.lastIndexOf(')') + 2).split(" ");
            String start = f[19];
            Long.parseLong(start);
            return start;
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    private static String pidNamespace() {
        try {
            return Long.toString(((Number) Files.getAttribute(Path.of("/proc/self/ns/pid"), "unix:ino")).longValue());
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }
}
