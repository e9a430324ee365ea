package io.netns;

import io.netns.internal.Inet;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Objects;

/**
 * A port, or a range of ports, of a bridge sandbox published on the host, like Docker's
 * {@code -p [hostIp:][hostPort:]containerPort[/protocol]}; {@link #parse(String)} reads that text.
 *
 * <p>Four shapes:
 * <ul>
 *   <li>one port: {@code hostPort == hostPortEnd}, {@code containerPort == containerPortEnd}
 *       ({@code -p 8080:80});
 *   <li>a range mapped port for port: both ranges have the same size, host port {@code hostPort + i} goes to
 *       container port {@code containerPort + i} ({@code -p 8000-8099:8000-8099});
 *   <li>a choice: a host range for one container port; one free host port of the range is chosen when it is
 *       published ({@code -p 9000-9010:80}), see {@link #choosesHostPort()};
 *   <li>any free port: {@code hostPort == hostPortEnd == 0}; a free port of the host's ephemeral range
 *       ({@code net.ipv4.ip_local_port_range}) is chosen when it is published, one for each container port of
 *       the range, as Docker does for {@code -p 80}, {@code -p 0:80} and {@code -p 127.0.0.1::80}; also a
 *       {@linkplain #choosesHostPort() choice}.
 * </ul>
 * What a choice became is in the list {@link Firewall#publish} returns, and in {@link Sandbox#published()}.
 *
 * @param protocol TCP or UDP
 * @param hostIp the host address it is published on, or null for every host address
 * @param hostPort 1..65535, the first host port; or 0 (with {@code hostPortEnd} 0) for any free port
 * @param hostPortEnd the last host port, {@code hostPort..65535}
 * @param containerPort 1..65535, the first container port
 * @param containerPortEnd the last container port, {@code containerPort..65535}
 */
public record PublishedPort(Protocol protocol, InetAddress hostIp, int hostPort, int hostPortEnd, int containerPort,
        int containerPortEnd) {
    /**
     * Checks the values.
     *
     * @param protocol TCP or UDP
     * @param hostIp the host address it is published on, or null for every host address
     * @param hostPort 1..65535, the first host port; or 0 (with {@code hostPortEnd} 0) for any free port
     * @param hostPortEnd the last host port, {@code hostPort..65535}
     * @param containerPort 1..65535, the first container port
     * @param containerPortEnd the last container port, {@code containerPort..65535}
     * @throws IllegalArgumentException if a port is out of range, a range ends before it starts, host port 0
     *     is part of a range, or the two ranges differ in size and the container's is not one port (any size
     *     goes with host port 0)
     */
    public PublishedPort {
        Objects.requireNonNull(protocol, "protocol");
        checkHostPort("hostPort", hostPort);
        checkHostPort("hostPortEnd", hostPortEnd);
        checkPort("containerPort", containerPort);
        checkPort("containerPortEnd", containerPortEnd);
        if (hostPortEnd < hostPort) {
            throw new IllegalArgumentException("host port range ends before it starts: " + hostPort + "-" + hostPortEnd);
        }
        if (hostPort == 0 && hostPortEnd != 0) {
            throw new IllegalArgumentException("host port 0 (any free port) cannot start a range: 0-" + hostPortEnd);
        }
        if (containerPortEnd < containerPort) {
            throw new IllegalArgumentException("container port range ends before it starts: " + containerPort + "-"
                    + containerPortEnd);
        }
        if (hostPort != 0 && containerPortEnd != containerPort
                && hostPortEnd - hostPort != containerPortEnd - containerPort) {
            throw new IllegalArgumentException("invalid ranges specified for container and host ports: host "
                    + hostPort + "-" + hostPortEnd + " and container " + containerPort + "-" + containerPortEnd
                    + " differ in size");
        }
    }

    /**
     * One port.
     *
     * @param protocol TCP or UDP
     * @param hostIp the host address it is published on, or null for every host address
     * @param hostPort 1..65535, or 0 for any free port of the host's ephemeral range
     * @param containerPort 1..65535
     * @throws IllegalArgumentException if a port is out of range
     */
    public PublishedPort(Protocol protocol, InetAddress hostIp, int hostPort, int containerPort) {
        this(protocol, hostIp, hostPort, hostPort, containerPort, containerPort);
    }

    /**
     * Parses a port as {@code docker run -p} does (docker/go-connections {@code nat.ParsePortSpec}, the daemon's
     * port checks, and the CLI's {@code name=value} form), into one {@link PublishedPort}:
     *
     * <table>
     *   <caption>Accepted forms</caption>
     *   <tr><th>text</th><th>means</th></tr>
     *   <tr><td>{@code 80}, {@code :80}, {@code ::80}, {@code 0:80}</td><td>TCP 80 on any free host port of every
     *       host address (host port 0)</td></tr>
     *   <tr><td>{@code 8080:80}</td><td>host port 8080 of every host address to 80</td></tr>
     *   <tr><td>{@code 127.0.0.1:8080:80}</td><td>only on host address 127.0.0.1</td></tr>
     *   <tr><td>{@code 127.0.0.1::80}</td><td>any free host port of 127.0.0.1</td></tr>
     *   <tr><td>{@code [::1]:8080:80}, {@code ::1:8080:80}</td><td>an IPv6 host address, bracketed or not (without
     *       brackets, everything before the last two colons is the address: {@code 2001:db8::1::80} has no host
     *       port)</td></tr>
     *   <tr><td>{@code 8000-8099:8000-8099}</td><td>a range, port for port (the ranges must have the same
     *       size)</td></tr>
     *   <tr><td>{@code 9000-9010:80}</td><td>a {@linkplain #choosesHostPort() choice}: one free host port of
     *       9000..9010 for 80</td></tr>
     *   <tr><td>{@code 8000-8002}</td><td>each of 8000..8002 on its own free host port</td></tr>
     *   <tr><td>{@code 5353:53/udp}, {@code 53/UDP}, {@code 8080:80/}</td><td>the protocol, {@code tcp} (the
     *       default, also when empty) or {@code udp}, in any case</td></tr>
     *   <tr><td>{@code published=8080,target=80,protocol=udp}</td><td>the CLI's long form, the same as
     *       {@code 8080:80/udp}; {@code mode} is accepted and ignored, as {@code docker run} does</td></tr>
     * </table>
     *
     * <p>Port numbers are decimal, 0..65535, as Go's {@code strconv.ParseInt} reads them: leading zeros and a
     * {@code +} sign are allowed, spaces are not. A range {@code a-b} needs {@code a <= b}. The host address is
     * an IP literal (no host name, no zone, no leading zeros in IPv4), optionally in brackets; {@code 0.0.0.0}
     * and {@code ::} mean every address of that family.
     *
     * <p>Refused, each with an {@link IllegalArgumentException} naming the whole text and the rule, in Docker's
     * order and words where Docker has them: no container port ({@code ""}, {@code 8080:}, {@code 80:/udp}),
     * a protocol other than tcp and udp ({@code sctp}, which Docker accepts, is refused because netns publishes
     * TCP and UDP only), a malformed or out-of-range port or range ({@code 8080:80a}, {@code 70000},
     * {@code 90-80}), a host address that is not an IP literal ({@code localhost:8080:80}, or too many colons
     * for an IPv4 address: {@code 1.2.3.4:5:8080:80}), ranges of different sizes
     * ({@code 9000-9010:80-85}: "invalid ranges specified for container and host ports"), container port 0
     * (Docker's daemon: "invalid port specification"), host port 0 in a range ({@code 0-10:80}), and in the
     * long form a part that is not {@code name=value} or a name other than {@code published}, {@code target},
     * {@code protocol} and {@code mode} ({@code docker run} ignores unknown names; netns refuses them so that a
     * misspelt {@code publised=8080} is not silently a random port).
     *
     * @param spec the text, e.g. {@code 127.0.0.1:8080:80/udp}
     * @return the port or range it publishes
     * @throws IllegalArgumentException if the text breaks one of those rules
     */
    public static PublishedPort parse(String spec) {
        if (spec == null) {
            throw new IllegalArgumentException("publish spec must not be null");
        }
        return PortSpec.parse(spec);
    }

    /**
     * @return whether the host port is chosen when it is published: one free port of
     *     {@code hostPort..hostPortEnd} for one container port, or any free port ({@code 0..0})
     */
    public boolean choosesHostPort() {
        return hostPort == 0 || (hostPortEnd != hostPort && containerPortEnd == containerPort);
    }

    /** @return how many ports are published: the container range's size, or 1 for one container port */
    public int count() {
        return containerPortEnd - containerPort + 1;
    }

    /**
     * @return each container port of an any-free-port range as its own port ({@code 0->8000}, {@code 0->8001}),
     *     since each gets its own free host port; this port alone otherwise
     */
    List<PublishedPort> each() {
        if (hostPort != 0 || count() == 1) {
            return List.of(this);
        }
        List<PublishedPort> out = new ArrayList<>(count());
        for (int c = containerPort; c <= containerPortEnd; c++) {
            out.add(new PublishedPort(protocol, hostIp, 0, c));
        }
        return out;
    }

    /**
     * @param published ports published so far
     * @param p one more
     * @return a new list with {@code p} appended
     * @throws IllegalArgumentException if {@code p} publishes a host port of the same protocol and address
     *     (or every address) that a port of {@code published} publishes too, or if {@code p} chooses from a
     *     range all of whose ports are published already. Choices may overlap each other and fixed ports
     *     (the firewall chooses a port not taken); any-free-port ({@code 0}) overlaps nothing.
     */
    static List<PublishedPort> append(List<PublishedPort> published, PublishedPort p) {
        for (PublishedPort q : published) {
            if (q.protocol() != p.protocol() || q.hostPort() == 0 || p.hostPort() == 0 || q.hostPort() > p.hostPortEnd()
                    || p.hostPort() > q.hostPortEnd() || !sameAddress(q.hostIp(), p.hostIp())) {
                continue;
            }
            if (!q.choosesHostPort() && !p.choosesHostPort()) {
                throw new IllegalArgumentException("host port " + p.protocol().id() + " "
                        + Math.max(p.hostPort(), q.hostPort()) + " is published twice: " + q + " and " + p);
            }
        }
        List<PublishedPort> all = new ArrayList<>(published);
        all.add(p);
        for (PublishedPort c : all) {
            if (c.choosesHostPort() && c.hostPort() != 0 && takenIn(all, c) > c.hostPortEnd() - c.hostPort() + 1) {
                throw new IllegalArgumentException("host port range " + c.protocol().id() + " " + c.hostPort() + "-"
                        + c.hostPortEnd() + " of " + c + " has no port left to choose: other ports need all of it");
            }
        }
        return List.copyOf(all);
    }

    /**
     * @return how many host ports of choice {@code c}'s range are needed: those the fixed (non-choice) ports of
     *     {@code all} publish in it, plus one for each choice (itself included) whose range lies inside it
     */
    private static int takenIn(List<PublishedPort> all, PublishedPort c) {
        BitSet fixed = new BitSet();
        int choices = 0;
        for (PublishedPort q : all) {
            if (q.protocol() != c.protocol() || q.hostPort() == 0 || !sameAddress(q.hostIp(), c.hostIp())) {
                continue;
            }
            if (q.choosesHostPort()) {
                if (q.hostPort() >= c.hostPort() && q.hostPortEnd() <= c.hostPortEnd()) {
                    choices++;
                }
            } else {
                int from = Math.max(q.hostPort(), c.hostPort());
                int to = Math.min(q.hostPortEnd(), c.hostPortEnd());
                if (from <= to) {
                    fixed.set(from, to + 1);
                }
            }
        }
        return fixed.cardinality() + choices;
    }

    /** Every address (null), or the unspecified address of a family, overlaps every address of it. */
    private static boolean sameAddress(InetAddress a, InetAddress b) {
        if (a == null || b == null) {
            return true;
        }
        if (a.isAnyLocalAddress() || b.isAnyLocalAddress()) {
            return a.getClass() == b.getClass();
        }
        return a.equals(b);
    }

    static int checkPort(String what, int port) {
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException(what + " must be 1..65535: " + port);
        }
        return port;
    }

    private static void checkHostPort(String what, int port) {
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException(what + " must be 1..65535, or 0 for any free port: " + port);
        }
    }

    /**
     * @return {@code tcp 10.20.30.100:8080->80}, {@code tcp *:8080->80} for every host address,
     *     {@code tcp *:8000-8099->8000-8099} for a range, {@code tcp *:0->80} for any free host port,
     *     {@code tcp [::1]:8080->80} for an IPv6 host address
     */
    @Override
    public String toString() {
        String on = hostIp == null ? "*" : hostIp instanceof Inet6Address ? "[" + Inet.toText(hostIp) + "]" : Inet.toText(hostIp);
        return protocol.id() + " " + on + ":" + range(hostPort, hostPortEnd)
                + "->" + range(containerPort, containerPortEnd);
    }

    private static String range(int from, int to) {
        return from == to ? Integer.toString(from) : from + "-" + to;
    }
}
