package io.netns;

import io.netns.internal.Inet;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A port, or a range of ports, of a bridge sandbox published on the host, like Docker's
 * {@code -p [hostIp:]hostPort:containerPort[/protocol]}.
 *
 * <p>Three shapes:
 * <ul>
 *   <li>one port: {@code hostPort == hostPortEnd}, {@code containerPort == containerPortEnd}
 *       ({@code -p 8080:80});
 *   <li>a range mapped port for port: both ranges have the same size, host port {@code hostPort + i} goes to
 *       container port {@code containerPort + i} ({@code -p 8000-8099:8000-8099});
 *   <li>a choice: a host range for one container port; one free host port of the range is chosen when it is
 *       published ({@code -p 9000-9010:80}), see {@link #choosesHostPort()}.
 * </ul>
 *
 * @param protocol TCP or UDP
 * @param hostIp the host address it is published on, or null for every host address
 * @param hostPort 1..65535, the first host port
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
     * @param hostPort 1..65535, the first host port
     * @param hostPortEnd the last host port, {@code hostPort..65535}
     * @param containerPort 1..65535, the first container port
     * @param containerPortEnd the last container port, {@code containerPort..65535}
     * @throws IllegalArgumentException if a port is out of range, a range ends before it starts, or the two
     *     ranges differ in size and the container's is not one port
     */
    public PublishedPort {
        Objects.requireNonNull(protocol, "protocol");
        checkPort("hostPort", hostPort);
        checkPort("hostPortEnd", hostPortEnd);
        checkPort("containerPort", containerPort);
        checkPort("containerPortEnd", containerPortEnd);
        if (hostPortEnd < hostPort) {
            throw new IllegalArgumentException("host port range ends before it starts: " + hostPort + "-" + hostPortEnd);
        }
        if (containerPortEnd < containerPort) {
            throw new IllegalArgumentException("container port range ends before it starts: " + containerPort + "-"
                    + containerPortEnd);
        }
        if (containerPortEnd != containerPort && hostPortEnd - hostPort != containerPortEnd - containerPort) {
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
     * @param hostPort 1..65535
     * @param containerPort 1..65535
     * @throws IllegalArgumentException if a port is out of range
     */
    public PublishedPort(Protocol protocol, InetAddress hostIp, int hostPort, int containerPort) {
        this(protocol, hostIp, hostPort, hostPort, containerPort, containerPort);
    }

    /** @return whether one free host port of {@code hostPort..hostPortEnd} is chosen for one container port */
    public boolean choosesHostPort() {
        return hostPortEnd != hostPort && containerPortEnd == containerPort;
    }

    /** @return how many ports are published: the range's size, or 1 for a choice */
    public int count() {
        return containerPortEnd - containerPort + 1;
    }

    /**
     * @param published ports published so far
     * @param p one more
     * @return a new list with {@code p} appended
     * @throws IllegalArgumentException if {@code p} publishes a host port of the same protocol and address
     *     (or every address) again
     */
    static List<PublishedPort> append(List<PublishedPort> published, PublishedPort p) {
        for (PublishedPort q : published) {
            if (q.protocol() == p.protocol() && q.hostPort() <= p.hostPortEnd() && p.hostPort() <= q.hostPortEnd()
                    && (q.hostIp() == null || p.hostIp() == null || q.hostIp().equals(p.hostIp()))) {
                throw new IllegalArgumentException("host port " + p.protocol().id() + " "
                        + Math.max(p.hostPort(), q.hostPort()) + " is published twice: " + q + " and " + p);
            }
        }
        List<PublishedPort> all = new ArrayList<>(published);
        all.add(p);
        return List.copyOf(all);
    }

    static int checkPort(String what, int port) {
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException(what + " must be 1..65535: " + port);
        }
        return port;
    }

    /**
     * @return {@code tcp 10.20.30.100:8080->80}, {@code tcp *:8080->80} for every host address,
     *     {@code tcp *:8000-8099->8000-8099} for a range
     */
    @Override
    public String toString() {
        return protocol.id() + " " + (hostIp == null ? "*" : Inet.toText(hostIp)) + ":" + range(hostPort, hostPortEnd)
                + "->" + range(containerPort, containerPortEnd);
    }

    private static String range(int from, int to) {
        return from == to ? Integer.toString(from) : from + "-" + to;
    }
}
