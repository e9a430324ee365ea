package io.netns.planner;

import java.net.InetSocketAddress;
import java.util.Objects;

/**
 * One socket a planned service should bind: protocol, address and port. Wildcards appear as {@code 0.0.0.0}
 * and {@code ::}. Immutable.
 */
public final class Binding implements Comparable<Binding> {

    final String service;
    final Protocol protocol;
    final Ip ip;
    final int port;
    /** For {@code ::}: whether the claim also covers IPv4 (v6only=0). */
    final boolean dual;
    final ListenRequest.Wild wild;
    final boolean tls;
    final boolean reusePort;
    final boolean needsFreebind;

    Binding(String service, Protocol protocol, Ip ip, int port, boolean dual, ListenRequest.Wild wild, boolean tls,
            boolean reusePort, boolean needsFreebind) {
        this.service = service;
        this.protocol = protocol;
        this.ip = ip;
        this.port = port;
        this.dual = dual;
        this.wild = wild;
        this.tls = tls;
        this.reusePort = reusePort;
        this.needsFreebind = needsFreebind;
    }

    /** @return the name of the service this binding belongs to */
    public String service() {
        return service;
    }

    /** @return TCP or UDP */
    public Protocol protocol() {
        return protocol;
    }

    /**
     * The address to bind. A link-local zone is resolved against the interfaces of the calling thread's
     * namespace; when no such interface exists there the address carries no scope (use {@link #host()}).
     *
     * @return the socket address, e.g. {@code 10.20.30.100:80} or {@code 0.0.0.0:443}
     */
    public InetSocketAddress address() {
        return new InetSocketAddress(ip.toInetAddress(), port);
    }

    /** @return the address as text without brackets, e.g. {@code 10.20.30.100}, {@code ::}, {@code fe80::1%eth0} */
    public String host() {
        return ip.toString();
    }

    /** @return the port, 1..65535 */
    public int port() {
        return port;
    }

    /** @return whether the address is {@code 0.0.0.0} or {@code ::} */
    public boolean isWildcard() {
        return ip.isAny();
    }

    /**
     * @return whether the socket must set {@code IPV6_V6ONLY}: true for {@code ::} claims that leave IPv4 to a
     *     separate {@code 0.0.0.0} binding (and for every specific IPv6 address, which the kernel makes v6-only);
     *     false for IPv4 and for a dual-stack {@code ::}
     */
    public boolean v6only() {
        return ip.isV6() && !dual;
    }

    /** @return whether the service asked for {@code SO_REUSEPORT} */
    public boolean reusePort() {
        return reusePort;
    }

    /** @return {@code tcp 10.20.30.100:80} or {@code udp [2001:db8::1]:53} */
    @Override
    public String toString() {
        return protocol.label() + " " + ip.bracketed() + ":" + port;
    }

    @Override
    public int compareTo(Binding o) {
        int c = Integer.compare(port, o.port);
        if (c == 0) {
            c = ip.compareTo(o.ip);
        }
        if (c == 0) {
            c = protocol.compareTo(o.protocol);
        }
        if (c == 0) {
            c = service.compareTo(o.service);
        }
        return c;
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof Binding)) {
            return false;
        }
        Binding b = (Binding) o;
        return service.equals(b.service) && protocol == b.protocol && ip.equals(b.ip) && port == b.port
                && dual == b.dual;
    }

    @Override
    public int hashCode() {
        return Objects.hash(service, protocol, ip, port, dual);
    }
}
