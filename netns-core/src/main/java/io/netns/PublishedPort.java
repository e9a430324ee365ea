package io.netns;

import io.netns.internal.Inet;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A port of a bridge sandbox published on the host, like Docker's {@code -p [hostIp:]hostPort:containerPort}.
 *
 * @param protocol TCP or UDP
 * @param hostIp the host address it is published on, or null for every host address
 * @param hostPort 1..65535
 * @param containerPort 1..65535
 */
public record PublishedPort(Protocol protocol, InetAddress hostIp, int hostPort, int containerPort) {
    /**
     * Checks the values.
     *
     * @param protocol TCP or UDP
     * @param hostIp the host address it is published on, or null for every host address
     * @param hostPort 1..65535
     * @param containerPort 1..65535
     * @throws IllegalArgumentException if a port is out of range
     */
    public PublishedPort {
        Objects.requireNonNull(protocol, "protocol");
        checkPort("hostPort", hostPort);
        checkPort("containerPort", containerPort);
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
            if (q.protocol() == p.protocol() && q.hostPort() == p.hostPort()
                    && (q.hostIp() == null || p.hostIp() == null || q.hostIp().equals(p.hostIp()))) {
                throw new IllegalArgumentException("host port " + p.protocol().id() + " " + p.hostPort()
                        + " is published twice: " + q + " and " + p);
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

    /** @return {@code tcp 10.20.30.100:8080->80}, or {@code tcp *:8080->80} for every host address */
    @Override
    public String toString() {
        return protocol.id() + " " + (hostIp == null ? "*" : Inet.toText(hostIp)) + ":" + hostPort + "->" + containerPort;
    }
}
