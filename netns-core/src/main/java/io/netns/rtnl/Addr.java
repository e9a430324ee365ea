package io.netns.rtnl;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.Objects;

/**
 * One IP address assigned to an interface: an immutable snapshot of an {@code RTM_NEWADDR}.
 *
 * @param linkIndex the index of the interface it is on
 * @param address the local address
 * @param prefixLength the prefix length, e.g. 24 for {@code 10.0.0.1/24}
 * @param family {@link #AF_INET} or {@link #AF_INET6}
 * @param scope {@code RT_SCOPE_*}: 0 universe (global), 253 link, 254 host
 */
public record Addr(int linkIndex, InetAddress address, int prefixLength, int family, int scope) {
    /** {@code AF_INET}. */
    public static final int AF_INET = 2;
    /** {@code AF_INET6}. */
    public static final int AF_INET6 = 10;
    /** {@code RT_SCOPE_UNIVERSE}. */
    public static final int SCOPE_UNIVERSE = 0;
    /** {@code RT_SCOPE_LINK}. */
    public static final int SCOPE_LINK = 253;
    /** {@code RT_SCOPE_HOST}. */
    public static final int SCOPE_HOST = 254;

    /**
     * Checks the components.
     *
     * @param linkIndex the link
     * @param address the address
     * @param prefixLength the prefix length
     * @param family the family
     * @param scope the scope
     */
    public Addr {
        Objects.requireNonNull(address, "address");
    }

    /** @return true for an IPv4 address */
    public boolean isIpv4() {
        return address instanceof Inet4Address;
    }

    /** @return {@code address/prefixLength} as {@code ip} prints it, e.g. {@code 10.0.0.1/24} */
    public String cidr() {
        return address.getHostAddress() + "/" + prefixLength;
    }
}
