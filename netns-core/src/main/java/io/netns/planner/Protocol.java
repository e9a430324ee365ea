package io.netns.planner;

/**
 * A transport protocol. TCP and UDP have separate port spaces in the kernel ({@code tcp_hashinfo} and
 * {@code udp_table}), so a TCP listener never conflicts with a UDP socket on the same port.
 */
public enum Protocol {
    /** TCP ({@code SOCK_STREAM}); {@code /proc/net/tcp} and {@code /proc/net/tcp6}. */
    TCP,
    /** UDP ({@code SOCK_DGRAM}); {@code /proc/net/udp} and {@code /proc/net/udp6}. */
    UDP;

    /** The lower-case name used in the socket notation and in explanations: {@code tcp} or {@code udp}. */
    String label() {
        return this == TCP ? "tcp" : "udp";
    }
}
