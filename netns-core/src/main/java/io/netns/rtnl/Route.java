package io.netns.rtnl;

import java.net.InetAddress;
import java.util.Objects;

/**
 * One route of the main table: an immutable snapshot of an {@code RTM_NEWROUTE}.
 *
 * @param family {@link Addr#AF_INET} or {@link Addr#AF_INET6}
 * @param destination the destination network ({@code 0.0.0.0} or {@code ::} for a default route)
 * @param prefixLength its prefix length, 0 for a default route
 * @param gateway the next hop, or null for a route straight out of a device
 * @param outputIndex the output interface's index ({@code RTA_OIF}), or 0
 * @param table the routing table id (254 is main)
 * @param protocol {@code RTPROT_*}: 2 kernel, 3 boot (what {@code ip route add} uses), ...
 * @param scope {@code RT_SCOPE_*}: 0 universe, 253 link, 254 host
 * @param type {@code RTN_*}: 1 unicast, 2 local, ...
 */
public record Route(int family, InetAddress destination, int prefixLength, InetAddress gateway,
        int outputIndex, int table, int protocol, int scope, int type) {
    /**
     * Checks the components.
     *
     * @param family the family
     * @param destination the destination
     * @param prefixLength the prefix length
     * @param gateway the gateway or null
     * @param outputIndex the output link or 0
     * @param table the table
     * @param protocol the protocol
     * @param scope the scope
     * @param type the type
     */
    public Route {
        Objects.requireNonNull(destination, "destination");
    }

    /** @return true for a default route ({@code 0.0.0.0/0} or {@code ::/0}) */
    public boolean isDefault() {
        return prefixLength == 0;
    }

    /** @return the destination as {@code ip route} prints it: {@code default} or {@code 10.0.0.0/24} */
    public String destinationCidr() {
        return isDefault() ? "default" : destination.getHostAddress() + "/" + prefixLength;
    }
}
