package io.netns;

/** A transport protocol of a published port or a firewall opening. */
public enum Protocol {
    /** TCP. */
    TCP,
    /** UDP. */
    UDP;

    /** @return {@code tcp} or {@code udp}, as iptables spells it */
    public String id() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
