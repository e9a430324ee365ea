package io.netns.planner;

/**
 * An address family a listener may be restricted to.
 *
 * <p>Used by {@link ListenRequest#family(Family)} to filter the candidate addresses and by
 * {@link ListenRequest#allInterfaces(Family)} to claim only one wildcard ({@code 0.0.0.0} or {@code [::]}).
 */
public enum Family {
    /** IPv4: dotted-quad addresses and the {@code 0.0.0.0} wildcard. IPv4-mapped IPv6 addresses count as IPv4. */
    IPV4,
    /** IPv6: addresses other than IPv4-mapped ones, and the {@code [::]} wildcard. */
    IPV6
}
