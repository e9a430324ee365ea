package io.netns;

import io.netns.internal.Inet;
import io.netns.internal.Names;
import java.math.BigInteger;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Reads Docker's {@code -p} text into a {@link PublishedPort}; see {@link PublishedPort#parse(String)} for the
 * rules. The steps and their order are those of docker/go-connections {@code nat.ParsePortSpec} (split at the
 * colons, the protocol after the first {@code /}, the address, the container port, the host port, the sizes),
 * then the daemon's check of container port 0.
 */
final class PortSpec {
    private static final Set<String> LONG_FORM_NAMES = Set.of("published", "target", "protocol", "mode");

    private PortSpec() {
    }

    static PublishedPort parse(String spec) {
        String text = spec.contains("=") ? longForm(spec) : spec;

        // Split at the colons: the last part is the container port, the one before it the host port, the rest
        // (joined again) the address, so an IPv6 address needs no brackets.
        String[] parts = text.split(":", -1);
        int n = parts.length;
        String ip = n <= 2 ? "" : String.join(":", Arrays.copyOf(parts, n - 2));
        String hostPort = n == 1 ? "" : parts[n - 2];
        String container = parts[n - 1];

        // The protocol: after the first slash; "tcp" when absent or empty.
        int slash = container.indexOf('/');
        String proto = slash < 0 ? "" : container.substring(slash + 1);
        container = slash < 0 ? container : container.substring(0, slash);
        if (container.isEmpty()) {
            throw refused(spec, "no port specified: no container port (the part after the last ':', before '/')");
        }
        proto = proto.isEmpty() ? "tcp" : proto.toLowerCase(Locale.ROOT);
        Protocol protocol;
        switch (proto) {
            case "tcp":
                protocol = Protocol.TCP;
                break;
            case "udp":
                protocol = Protocol.UDP;
                break;
            case "sctp":
                throw refused(spec, "protocol sctp is not supported: netns publishes tcp and udp only");
            default:
                throw refused(spec, "invalid proto: " + Names.printable(proto) + " (tcp or udp)");
        }

        InetAddress address = address(spec, ip);

        int[] c;
        try {
            c = range(container);
        } catch (IllegalArgumentException e) {
            throw refused(spec, "invalid containerPort: " + Names.printable(container) + " (" + e.getMessage() + ")");
        }
        int[] h = {0, 0};
        if (!hostPort.isEmpty()) {
            try {
                h = range(hostPort);
            } catch (IllegalArgumentException e) {
                throw refused(spec, "invalid hostPort: " + Names.printable(hostPort) + " (" + e.getMessage() + ")");
            }
            if (h[1] - h[0] != c[1] - c[0] && c[1] != c[0]) {
                throw refused(spec, "invalid ranges specified for container and host ports: " + container + " and "
                        + hostPort + " (the ranges differ in size; a host range goes with a container range of the "
                        + "same size, or with one container port to choose one free host port of it)");
            }
        }
        if (c[0] == 0) {
            throw refused(spec, "invalid port specification: \"0/" + proto + "\" (container port 0; a container "
                    + "port is 1..65535)");
        }
        if (h[0] == 0 && h[1] != 0) {
            throw refused(spec, "invalid hostPort: " + hostPort + " (host port 0, any free port, cannot be part of "
                    + "a range)");
        }
        return new PublishedPort(protocol, address, h[0], h[1], c[0], c[1]);
    }

    /**
     * The CLI's long form, {@code published=8080,target=80,protocol=udp}, as {@code docker run} turns it into
     * {@code published:target/protocol} (protocol {@code tcp} unless given; a name given twice: the last wins).
     */
    private static String longForm(String spec) {
        Map<String, String> params = new LinkedHashMap<>();
        params.put("protocol", "tcp");
        for (String param : spec.split(",", -1)) {
            int eq = param.indexOf('=');
            if (eq <= 0) {
                throw refused(spec, "invalid publish opts format (should be name=value but got '"
                        + Names.printable(param) + "')");
            }
            String name = param.substring(0, eq);
            if (!LONG_FORM_NAMES.contains(name)) {
                throw refused(spec, "unknown name '" + Names.printable(name) + "' (the long form takes published, "
                        + "target, protocol and mode)");
            }
            params.put(name, param.substring(eq + 1));
        }
        return params.getOrDefault("published", "") + ":" + params.getOrDefault("target", "") + "/"
                + params.get("protocol");
    }

    /** The host address: none when empty (also {@code []}), else an IP literal, optionally bracketed. */
    private static InetAddress address(String spec, String ip) {
        if (ip.startsWith("[")) {
            // As Go's net.SplitHostPort(ip + ":"): the first ']' must end the text, no other bracket inside.
            int close = ip.indexOf(']');
            if (close != ip.length() - 1 || ip.indexOf('[', 1) >= 0) {
                throw refused(spec, "invalid IP address " + Names.printable(ip) + ": a bracketed address is "
                        + "[address] followed by ':' and the host port");
            }
            ip = ip.substring(1, close);
        } else if (ip.indexOf('[') >= 0 || ip.indexOf(']') >= 0) {
            throw refused(spec, "invalid IP address: " + Names.printable(ip) + " (brackets go around the whole "
                    + "address)");
        }
        if (ip.isEmpty()) {
            return null;
        }
        InetAddress a;
        try {
            a = Inet.parse("host address", ip);
        } catch (IllegalArgumentException e) {
            throw refused(spec, "invalid IP address: " + Names.printable(ip) + " (an IPv4 or IPv6 literal without "
                    + "zone, no host name; everything before the last two ':' is the address)");
        }
        if (a instanceof Inet4Address && ip.indexOf(':') < 0) {
            for (String octet : ip.split("\\.")) {
                if (octet.length() > 1 && octet.charAt(0) == '0') {
                    throw refused(spec, "invalid IP address: " + ip + " (an IPv4 octet with a leading zero)");
                }
            }
        }
        return a;
    }

    /** A port or range {@code a-b} (cut at the first '-'), as go-connections' parsePortRange. */
    private static int[] range(String text) {
        int dash = text.indexOf('-');
        String start = dash < 0 ? text : text.substring(0, dash);
        int from;
        try {
            from = number(start);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("invalid start port '" + Names.printable(start) + "': " + e.getMessage());
        }
        String end = dash < 0 ? start : text.substring(dash + 1);
        if (end.equals(start)) {
            return new int[] {from, from};
        }
        int to;
        try {
            to = number(end);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("invalid end port '" + Names.printable(end) + "': " + e.getMessage());
        }
        if (to < from) {
            throw new IllegalArgumentException("invalid port range: " + text + ", it ends before it starts");
        }
        return new int[] {from, to};
    }

    /** A decimal port number as Go's {@code strconv.ParseInt(s, 10, 0)} reads it, then 0..65535. */
    private static int number(String s) {
        if (s.isEmpty()) {
            throw new IllegalArgumentException("value is empty");
        }
        if (!s.matches("[+-]?[0-9]+")) {
            throw new IllegalArgumentException("invalid syntax");
        }
        BigInteger v = new BigInteger(s.startsWith("+") ? s.substring(1) : s);
        if (v.signum() < 0 || v.compareTo(BigInteger.valueOf(65535)) > 0) {
            throw new IllegalArgumentException("value out of range (0–65535)");
        }
        return v.intValue();
    }

    private static IllegalArgumentException refused(String spec, String rule) {
        return new IllegalArgumentException("publish spec \"" + Names.printable(spec) + "\": " + rule);
    }
}
