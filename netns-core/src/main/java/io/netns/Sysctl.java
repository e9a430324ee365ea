package io.netns;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Objects;

/**
 * Reads and writes the per-namespace network sysctls ({@code /proc/sys/net/...}) of one namespace.
 *
 * <p>The kernel resolves {@code /proc/sys/net} by the network namespace of the thread that opens the
 * file, so each call switches the calling thread into the namespace ({@link NetNamespace#call}), opens,
 * reads or writes, and switches back. A value written in a lab namespace never touches the host's.
 *
 * <pre>{@code
 * Sysctl.write(lab, "net.ipv4.ip_forward", "1");
 * String v = Sysctl.read(lab, "net.ipv4.conf.all.forwarding");   // "1"
 * }</pre>
 *
 * <p>Keys use the dotted {@code sysctl} notation and must lie under {@code net.}: segments of
 * {@code [a-z0-9_-]} only (the hyphen admits interface names such as {@code veth-web1}), so no key can
 * name a path outside {@code /proc/sys/net}. Anything else throws {@link IllegalArgumentException}.
 *
 * <p>This is the one home of sysctls in netns (it used to be {@code io.netns.rtnl.Sysctl}, which now
 * delegates here; sysctls are not rtnetlink).
 */
public final class Sysctl {
    private static final Path ROOT = Path.of("/proc/sys");

    private Sysctl() {
    }

    /**
     * Reads a sysctl inside a namespace.
     *
     * <p>Equivalent to: {@code ip netns exec $ns sysctl -n $key}
     *
     * @param ns the namespace
     * @param key e.g. {@code net.ipv4.ip_forward}
     * @return the value, trailing white space removed
     * @throws IllegalArgumentException if the key is not a valid {@code net.} key
     * @throws NetnsException if the key does not exist there or cannot be read
     */
    public static String read(NetNamespace ns, String key) throws NetnsException {
        Path file = path(key);
        return ns.call(() -> {
            try {
                return readWhole(file);
            } catch (NoSuchFileException e) {
                throw NetnsException.failure("read sysctl", "no sysctl " + key + " (" + file + ") in " + ns);
            } catch (IOException e) {
                throw NetnsException.wrap("read " + file + " in " + ns, e);
            }
        });
    }

    /**
     * Writes a sysctl inside a namespace.
     *
     * <p>Equivalent to: {@code ip netns exec $ns sysctl -w $key=$value}
     *
     * @param ns the namespace
     * @param key e.g. {@code net.ipv4.ip_forward}
     * @param value e.g. {@code 1}; printable ASCII
     * @throws IllegalArgumentException if the key or the value is invalid
     * @throws NetnsException if the key does not exist there, or the kernel refuses the value
     */
    public static void write(NetNamespace ns, String key, String value) throws NetnsException {
        write(ns, path(key), key, value);
    }

    /**
     * Writes {@code net.ipv6.conf.<interface>.<leaf>} inside a namespace: the interface's name is the
     * directory's name as it is (a dot included, which a dotted key cannot say).
     *
     * @param ns the namespace
     * @param ifname an interface name: 1 to 15 characters from {@code [A-Za-z0-9_.-]}, not {@code .} or {@code ..}
     * @param leaf e.g. {@code accept_dad}
     * @param value e.g. {@code 0}
     * @throws IllegalArgumentException if the name, the leaf or the value is invalid
     * @throws NetnsException if the interface has no such sysctl there, or the kernel refuses the value
     */
    static void writeIpv6Conf(NetNamespace ns, String ifname, String leaf, String value) throws NetnsException {
        if (ifname == null || !ifname.matches("[A-Za-z0-9_.-]{1,15}") || ifname.equals(".") || ifname.equals("..")) {
            throw new IllegalArgumentException("interface name must be 1 to 15 characters from [A-Za-z0-9_.-]: " + ifname);
        }
        Path file = path("net.ipv6.conf.all." + leaf).getParent().getParent().resolve(ifname).resolve(leaf);
        write(ns, file, "net.ipv6.conf." + ifname + "." + leaf, value);
    }

    private static void write(NetNamespace ns, Path file, String key, String value) throws NetnsException {
        Objects.requireNonNull(value, "value");
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if ((c < ' ' && c != '\t') || c > '~') {
                throw new IllegalArgumentException("sysctl value must be printable ASCII: " + value);
            }
        }
        byte[] bytes = value.getBytes(StandardCharsets.US_ASCII);
        ns.run(() -> {
            try {
                Files.write(file, bytes, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
            } catch (NoSuchFileException e) {
                throw NetnsException.failure("write sysctl", "no sysctl " + key + " (" + file + ") in " + ns);
            } catch (IOException e) {
                throw NetnsException.wrap("write " + key + "=" + value + " in " + ns, e);
            }
        });
    }

    /**
     * Reads a {@code /proc/sys} file with one large first read: the kernel's sysctl handlers answer a
     * read at a non-zero offset with end-of-file, so {@code Files.readAllBytes}, which reads 1 byte of a
     * 0-sized file first, would see {@code "8"} for {@code 80}.
     */
    private static String readWhole(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer buf = ByteBuffer.allocate(4096);
            while (ch.read(buf) > 0 && buf.hasRemaining()) {
                // a value longer than the buffer continues in the next read
            }
            buf.flip();
            return StandardCharsets.US_ASCII.decode(buf).toString().strip();
        }
    }

    /**
     * @param key a dotted key under {@code net.}
     * @return its file under {@code /proc/sys}
     * @throws IllegalArgumentException if the key breaks the rule
     */
    /**
     * The file of a key, checked.
     *
     * @param key e.g. {@code net.ipv4.ip_forward}
     * @return {@code /proc/sys/net/ipv4/ip_forward}
     * @throws IllegalArgumentException if the key breaks the rule above
     */
    static Path path(String key) {
        Objects.requireNonNull(key, "key");
        String[] segments = key.split("\\.", -1);
        if (segments.length < 2 || !segments[0].equals("net")) {
            throw new IllegalArgumentException("sysctl key must be under net.: '" + key + "'");
        }
        Path p = ROOT;
        for (String s : segments) {
            if (s.isEmpty()) {
                throw new IllegalArgumentException("sysctl key has an empty segment: '" + key + "'");
            }
            for (int i = 0; i < s.length(); i++) {
                char c = s.charAt(i);
                if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-')) {
                    throw new IllegalArgumentException("sysctl key segments may hold only [a-z0-9_-]: '"
                            + key + "'");
                }
            }
            p = p.resolve(s);
        }
        return p;
    }
}
