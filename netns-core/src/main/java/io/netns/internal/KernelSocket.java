package io.netns.internal;

import java.net.InetAddress;

/**
 * Internal use only: one inet socket as the kernel reports it, through {@code NETLINK_SOCK_DIAG}
 * ({@link io.netns.internal.nl.SockDiag}) or the text of {@code /proc/net/{tcp,udp}[6]} ({@link ProcNet}):
 * the one shape both readers produce.
 *
 * @param v6 an {@code AF_INET6} socket (also when its address is an IPv4-mapped one)
 * @param tcp TCP, else UDP
 * @param state the kernel's state number ({@code include/net/tcp_states.h}: 10 {@code TCP_LISTEN},
 *     6 {@code TCP_TIME_WAIT}, 7 {@code TCP_CLOSE} for an unconnected UDP socket)
 * @param local the local address, as the kernel holds it (16 bytes for an {@code AF_INET6} socket
 *     except an IPv4-mapped address, which {@link InetAddress} turns into an IPv4 one)
 * @param localPort the local port
 * @param remote the peer's address
 * @param remotePort the peer's port
 * @param uid the owner's uid ({@code -1} when the source does not tell)
 * @param inode the socket's inode (0 for a {@code TIME_WAIT} socket)
 * @param v6only {@code IPV6_V6ONLY} of an {@code AF_INET6} listening or unconnected socket as
 *     {@code INET_DIAG_SKV6ONLY} reports it, or null when unknown (any {@code /proc} line, IPv4)
 */
public record KernelSocket(boolean v6, boolean tcp, int state, InetAddress local, int localPort, InetAddress remote,
        int remotePort, int uid, long inode, Boolean v6only) {
    /** {@code TCP_ESTABLISHED}. */
    public static final int TCP_ESTABLISHED = 1;
    /** {@code TCP_TIME_WAIT}. */
    public static final int TCP_TIME_WAIT = 6;
    /** {@code TCP_CLOSE}: also an unconnected UDP socket's state. */
    public static final int TCP_CLOSE = 7;
    /** {@code TCP_LISTEN}. */
    public static final int TCP_LISTEN = 10;

    /** @return a listening TCP socket, or any UDP socket bound to a port */
    public boolean isListeningOrBound() {
        return tcp ? state == TCP_LISTEN : localPort != 0;
    }
}
