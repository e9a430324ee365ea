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
 * ({@link #finish}). The lines are: the owning process's {@code pid} and {@code start} time (from
 * {@code /proc/<pid>/stat}, so a reused pid is not mistaken for the owner), the {@code host} id, the
 * {@code mode}, and what the mode made ({@code netns}, {@code network}, {@code ip}, {@code veth}). Being
 * under {@code /run}, it goes away on reboot together with everything it describes.
 */
public final class OwnerRecord {
    /** Where the records live. */
    public static final Path DIR = StateDir.path("sandboxes");

    private static final long SELF_PID = ProcessHandle.current().pid();
    private static final String SELF_START = startTime(SELF_PID);

    private static final int BUFFER_SIZE = 4096;
    private static final ThreadLocal<ByteBuffer> BUFFER = ThreadLocal.withInitial(() -> ByteBuffer.allocateDirect(BUFFER_SIZE));

    private final String name;
    private final Map<String, String> values;
    /** The open record while setup writes it, else -1. */
    private int fd = -1;

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
     * @throws NetnsException if another process (live or dead) holds the name; the message says which
     */
    public static OwnerRecord claim(String name, String host, String mode) throws NetnsException {
        Map<String, String> v = new LinkedHashMap<>();
        v.put("pid", Long.toString(SELF_PID));
        v.put("start", SELF_START);
        v.put("host", host);
        v.put("mode", mode);
        OwnerRecord r = new OwnerRecord(name, v);
        Path file = DIR.resolve(name);
        int fd = StateDir.openNew(file);
        if (fd < 0) {
            OwnerRecord other = read(name);
            String who = other == null ? "another process" : "host " + other.get("host") + " in process "
                    + other.get("pid") + (other.ownerAlive() ? "" : ", which is dead (run host.reclaim())");
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
            return;
        }
        fd = StateDir.openAppend(DIR.resolve(name));
        try {
            append(line);
        } finally {
            finish();
        }
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

    /** Removes the record; the sandbox is gone. */
    public synchronized void remove() {
        finish();
        // A failure leaves nothing to do: reclaim will find it and see that nothing is left.
        StateDir.delete(DIR.resolve(name));
    }

    /** @return whether the owning process still runs (same pid, same start time) */
    public boolean ownerAlive() {
        String pid = values.get("pid");
        if (pid == null) {
            return false;
        }
        try {
            String start = startTime(Long.parseLong(pid));
            return start != null && start.equals(values.get("start"));
        } catch (NumberFormatException e) {
            return false;
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

    /** The process's start time in clock ticks since boot (field 22 of /proc/pid/stat), or null when it is gone. */
    static String startTime(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return f[19];
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }
}
