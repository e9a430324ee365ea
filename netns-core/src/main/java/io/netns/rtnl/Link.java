package io.netns.rtnl;

import java.util.Objects;

/**
 * One network interface as the kernel reported it at the time of the read: an immutable snapshot.
 *
 * @param index the interface index ({@code ifindex}), unique within its namespace
 * @param name the name, e.g. {@code eth0}
 * @param kind the driver kind from {@code IFLA_INFO_KIND} ({@code veth}, {@code bridge},
 *     {@code dummy}, ...), or {@code ""} when the kernel reports none (loopback, physical devices)
 * @param flags the {@code IFF_*} flags ({@code IFF_UP} is 0x1, {@code IFF_LOWER_UP} 0x10000)
 * @param mtu the MTU in bytes
 * @param masterIndex the index of the master (the bridge it is enslaved to), or 0 for none
 * @param mac the link-layer address as lower-case {@code aa:bb:cc:dd:ee:ff}, or {@code ""} when it has
 *     none
 */
public record Link(int index, String name, String kind, int flags, int mtu, int masterIndex, String mac) {
    /** {@code IFF_UP}. */
    public static final int IFF_UP = 0x1;
    /** {@code IFF_LOWER_UP}: the driver reports carrier. */
    public static final int IFF_LOWER_UP = 0x10000;

    /**
     * Checks the components.
     *
     * @param index the index
     * @param name the name
     * @param kind the kind
     * @param flags the flags
     * @param mtu the MTU
     * @param masterIndex the master's index
     * @param mac the address
     */
    public Link {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(mac, "mac");
    }

    /** @return true when administratively up ({@code IFF_UP}), as {@code ip link set up} makes it */
    public boolean isUp() {
        return (flags & IFF_UP) != 0;
    }

    /** @return true when the link has carrier ({@code IFF_LOWER_UP}) */
    public boolean hasCarrier() {
        return (flags & IFF_LOWER_UP) != 0;
    }
}
