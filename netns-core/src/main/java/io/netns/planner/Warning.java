package io.netns.planner;

/**
 * A condition that did not stop a service from being planned but that its operator should know about.
 */
public enum Warning {
    /**
     * An existing {@code [::]} socket with unknown {@code IPV6_V6ONLY} was assumed dual-stack
     * ({@code v6only=0}, the Linux default {@code net.ipv6.bindv6only=0}) and that assumption affected this
     * service.
     */
    V6ONLY_ASSUMED,
    /** The port lies inside {@code net.ipv4.ip_local_port_range}; outbound connections may take it first. */
    EPHEMERAL_RANGE,
    /** The port is listed in {@code net.ipv4.ip_local_reserved_ports}; explicit binds are still allowed. */
    RESERVED_PORT,
    /**
     * A TCP socket in TIME_WAIT holds an overlapping address; the bind succeeds only if both sockets set
     * {@code SO_REUSEADDR} (httpd and nginx do).
     */
    TIME_WAIT_PRESENT,
    /** The preferred address could not be used; the service fell back to another candidate. */
    PREFERRED_IP_UNAVAILABLE,
    /** The address is not on the host; the bind relies on {@code IP_FREEBIND} or {@code ip_nonlocal_bind}. */
    NONLOCAL_BIND,
    /** The service asked for all interfaces and a specific address; only the wildcard is kept. */
    WILDCARD_COLLAPSED,
    /**
     * The service shares an address with an existing socket of the same UID through {@code SO_REUSEPORT};
     * {@code /proc} cannot show whether the existing socket set the option.
     */
    REUSEPORT_UNVERIFIED,
    /**
     * "All interfaces" claimed only {@code 0.0.0.0}: the host has no IPv6 address other than loopback, just as
     * {@code getaddrinfo(AI_ADDRCONFIG)} would decide.
     */
    IPV4_ONLY_ALL
}
