package io.netns.iptables;

import java.net.Inet6Address;
import java.net.InetAddress;

/** An address family, and the iptables tools that manage its rules. */
public enum Family {
    /** IPv4: {@code iptables-save}, {@code iptables-restore}. */
    IPV4("iptables"),
    /** IPv6: {@code ip6tables-save}, {@code ip6tables-restore}. */
    IPV6("ip6tables");

    private final String tool;

    Family(String tool) {
        this.tool = tool;
    }

    /** @return the tool prefix: {@code iptables} or {@code ip6tables} */
    public String tool() {
        return tool;
    }

    /** @return {@code iptables-save} or {@code ip6tables-save} */
    public String save() {
        return tool + "-save";
    }

    /** @return {@code iptables-restore} or {@code ip6tables-restore} */
    public String restore() {
        return tool + "-restore";
    }

    /**
     * @param address an address
     * @return its family
     */
    public static Family of(InetAddress address) {
        return address instanceof Inet6Address ? IPV6 : IPV4;
    }

    /** @return the host prefix length: 32 or 128 */
    public int hostPrefix() {
        return this == IPV4 ? 32 : 128;
    }
}
