package io.netns.planner;

/**
 * The verdict for one requested service, in the order the planner checks them (see
 * {@code research/planner-rules.md} §6.7). Only {@link #OK} comes with bindings.
 */
public enum Status {
    /** Every binding of the service is free; it may still carry {@link Warning}s. */
    OK,
    /** Every candidate address overlaps an existing socket or an earlier planned binding ({@code EADDRINUSE}). */
    ADDRESS_IN_USE,
    /**
     * The port is below {@code net.ipv4.ip_unprivileged_port_start} and the service lacks
     * {@code CAP_NET_BIND_SERVICE} ({@code EACCES}).
     */
    PRIVILEGED_PORT,
    /**
     * The required address is not an address of the host and neither {@code IP_FREEBIND} nor the
     * {@code ip_nonlocal_bind} sysctl allows it ({@code EADDRNOTAVAIL}); also used when no candidate
     * address of the wanted family exists.
     */
    ADDRESS_NOT_ON_HOST,
    /** An IPv6 link-local address was given without a scope (interface) ({@code EINVAL}). */
    SCOPE_REQUIRED,
    /** Every port of the requested range (or of the automatic pool) is taken on every candidate address. */
    NO_FREE_PORT,
    /** The request contradicts itself, e.g. {@code require} plus {@code prefer}, or a family mismatch. */
    INVALID_REQUEST
}
