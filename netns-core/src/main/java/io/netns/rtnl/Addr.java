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
 * @param flags {@code IFA_F_*} ({@code IFA_FLAGS}, else {@code ifa_flags}), e.g. {@link #F_TENTATIVE}; 0 when
 *     made by the compatibility constructor
 */
public record Addr(int linkIndex, InetAddress address, int prefixLength, int family, int scope, int flags) {
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
    /** {@code IFA_F_SECONDARY}: an IPv4 address in the prefix of another one on the link (also IFA_F_TEMPORARY). */
    public static final int F_SECONDARY = 0x01;
    /**
     * {@code IFA_F_NODAD}: no duplicate address detection (IPv6): the address is usable at once, never
     * {@link #F_TENTATIVE}.
     */
    public static final int F_NODAD = 0x02;
    /** {@code IFA_F_DADFAILED}: duplicate address detection failed; it cannot be bound. */
    public static final int F_DADFAILED = 0x08;
    /** {@code IFA_F_DEPRECATED}: preferred lifetime over; bindable, not chosen for new connections. */
    public static final int F_DEPRECATED = 0x20;
    /** {@code IFA_F_TENTATIVE}: duplicate address detection still runs; bind() fails with EADDRNOTAVAIL. */
    public static final int F_TENTATIVE = 0x40;
    /** {@code IFA_F_PERMANENT}: configured, not autoconfigured. */
    public static final int F_PERMANENT = 0x80;

    /**
     * Checks the components.
     *
     * @param linkIndex the link
     * @param address the address
     * @param prefixLength the prefix length
     * @param family the family
     * @param scope the scope
     * @param flags the {@code IFA_F_*} flags
     */
    public Addr {
        Objects.requireNonNull(address, "address");
    }

    /**
     * An address without flags (as before flags were reported).
     *
     * @param linkIndex the link
     * @param address the address
     * @param prefixLength the prefix length
     * @param family the family
     * @param scope the scope
     */
    public Addr(int linkIndex, InetAddress address, int prefixLength, int family, int scope) {
        this(linkIndex, address, prefixLength, family, scope, 0);
    }

    /**
     * @param flag an {@code IFA_F_*} value, e.g. {@link #F_TENTATIVE}
     * @return whether the address has it
     */
    public boolean has(int flag) {
        return (flags & flag) != 0;
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
