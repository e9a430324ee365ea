package io.netns;

import io.netns.internal.Inet;
import java.net.InetSocketAddress;
import java.util.Objects;

/**
 * A host-mode firewall opening: one protocol, address and port accepted in the host's INPUT while the
 * sandbox lives.
 *
 * @param protocol TCP or UDP
 * @param address an IP literal and port 1..65535; the wildcard address opens the port on every address
 */
public record Exposure(Protocol protocol, InetSocketAddress address) {
    /**
     * Checks the values.
     *
     * @param protocol TCP or UDP
     * @param address an IP literal and port 1..65535
     * @throws IllegalArgumentException if the address is unresolved or its port is 0
     */
    public Exposure {
        Objects.requireNonNull(protocol, "protocol");
        Objects.requireNonNull(address, "address");
        if (address.isUnresolved()) {
            throw new IllegalArgumentException("expose needs an IP address, not a host name: " + address.getHostString());
        }
        PublishedPort.checkPort("exposed port", address.getPort());
    }

    /** @return {@code tcp 10.20.30.100:80} */
    @Override
    public String toString() {
        String ip = Inet.toText(address.getAddress());
        return protocol.id() + " " + (ip.indexOf(':') >= 0 ? "[" + ip + "]" : ip) + ":" + address.getPort();
    }
}
