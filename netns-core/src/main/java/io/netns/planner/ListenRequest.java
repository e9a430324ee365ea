package io.netns.planner;

import java.util.Objects;

/**
 * What one service wants to listen on: a name, TCP and/or UDP, a fixed port, a port range or any port, and
 * constraints on the address. Immutable: every fluent method returns a new request, as {@code java.time} does.
 *
 * <pre>{@code
 * ListenRequest.tcp("api", 8000, 8099).require("10.20.30.200");
 * ListenRequest.tcp("admin", 8080).prefer("10.20.30.100");
 * ListenRequest.tcp("all", 443).allInterfaces().tls();
 * ListenRequest.tcpAndUdp("dns", 53).require("10.20.30.100");
 * }</pre>
 *
 * <p>Malformed values (a blank name, a port outside 1..65535, a reversed range, text that is not an IP literal)
 * throw {@link IllegalArgumentException} at the call. Combinations that contradict each other (for example
 * {@code require} plus {@code prefer}) are reported by the planner as {@link Status#INVALID_REQUEST}.
 */
public final class ListenRequest {

    /** How the port is chosen. */
    enum PortMode { FIXED, RANGE, ANY }

    /** Which wildcards {@code allInterfaces} claims. */
    enum Wild { NONE, BOTH, V4, V6 }

    final String name;
    final boolean tcp;
    final boolean udp;
    final PortMode mode;
    final int low;
    final int high;
    final Ip require;
    final Ip prefer;
    final Wild wild;
    final Family family;
    final boolean tls;
    final boolean cap;
    final boolean freebind;
    final int reuseUid;

    private ListenRequest(String name, boolean tcp, boolean udp, PortMode mode, int low, int high, Ip require,
            Ip prefer, Wild wild, Family family, boolean tls, boolean cap, boolean freebind, int reuseUid) {
        this.name = name;
        this.tcp = tcp;
        this.udp = udp;
        this.mode = mode;
        this.low = low;
        this.high = high;
        this.require = require;
        this.prefer = prefer;
        this.wild = wild;
        this.family = family;
        this.tls = tls;
        this.cap = cap;
        this.freebind = freebind;
        this.reuseUid = reuseUid;
    }

    private static ListenRequest make(String name, boolean tcp, boolean udp, PortMode mode, int low, int high) {
        checkName(name);
        if (mode != PortMode.ANY) {
            checkPort(name, low);
            checkPort(name, high);
            if (low > high) {
                throw new IllegalArgumentException(
                        "port range of " + name + " must not be reversed (low <= high): " + low + "-" + high);
            }
        }
        return new ListenRequest(name, tcp, udp, mode, low, high, null, null, Wild.NONE, null, false, true, false, -1);
    }

    private static void checkName(String name) {
        if (name == null || name.isEmpty() || !name.chars().noneMatch(Character::isWhitespace)) {
            throw new IllegalArgumentException("service name must be non-empty without whitespace: '" + name + "'");
        }
    }

    private static void checkPort(String name, int port) {
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port of " + name + " must be 1..65535: " + port);
        }
    }

    /**
     * A TCP service on a fixed port; the planner picks the address.
     *
     * @param name unique service name, non-empty, no whitespace
     * @param port 1..65535
     * @return the request
     * @throws IllegalArgumentException for a bad name or port
     */
    public static ListenRequest tcp(String name, int port) {
        return make(name, true, false, PortMode.FIXED, port, port);
    }

    /**
     * A TCP service on the first free port of {@code low..high}; ports outside the ephemeral range are tried
     * first.
     *
     * @param name unique service name
     * @param low first port, 1..65535
     * @param high last port, low..65535
     * @return the request
     * @throws IllegalArgumentException for a bad name, port or a reversed range
     */
    public static ListenRequest tcp(String name, int low, int high) {
        return make(name, true, false, low == high ? PortMode.FIXED : PortMode.RANGE, low, high);
    }

    /**
     * A TCP service on any port: the lowest free port from 1024 (or the unprivileged start) up to below the
     * ephemeral range, skipping reserved ports.
     *
     * @param name unique service name
     * @return the request
     * @throws IllegalArgumentException for a bad name
     */
    public static ListenRequest tcp(String name) {
        return make(name, true, false, PortMode.ANY, 0, 0);
    }

    /**
     * A UDP service on a fixed port.
     *
     * @param name unique service name
     * @param port 1..65535
     * @return the request
     * @throws IllegalArgumentException for a bad name or port
     */
    public static ListenRequest udp(String name, int port) {
        return make(name, false, true, PortMode.FIXED, port, port);
    }

    /**
     * A UDP service on the first free port of a range.
     *
     * @param name unique service name
     * @param low first port
     * @param high last port
     * @return the request
     * @throws IllegalArgumentException for a bad name, port or a reversed range
     */
    public static ListenRequest udp(String name, int low, int high) {
        return make(name, false, true, low == high ? PortMode.FIXED : PortMode.RANGE, low, high);
    }

    /**
     * A UDP service on any port.
     *
     * @param name unique service name
     * @return the request
     * @throws IllegalArgumentException for a bad name
     */
    public static ListenRequest udp(String name) {
        return make(name, false, true, PortMode.ANY, 0, 0);
    }

    /**
     * A service that needs the same port and address on TCP and on UDP (DNS, for example).
     *
     * @param name unique service name
     * @param port 1..65535
     * @return the request
     * @throws IllegalArgumentException for a bad name or port
     */
    public static ListenRequest tcpAndUdp(String name, int port) {
        return make(name, true, true, PortMode.FIXED, port, port);
    }

    /**
     * A TCP+UDP service on the first port of a range free for both protocols.
     *
     * @param name unique service name
     * @param low first port
     * @param high last port
     * @return the request
     * @throws IllegalArgumentException for a bad name, port or a reversed range
     */
    public static ListenRequest tcpAndUdp(String name, int low, int high) {
        return make(name, true, true, low == high ? PortMode.FIXED : PortMode.RANGE, low, high);
    }

    /**
     * A TCP+UDP service on any port free for both protocols.
     *
     * @param name unique service name
     * @return the request
     * @throws IllegalArgumentException for a bad name
     */
    public static ListenRequest tcpAndUdp(String name) {
        return make(name, true, true, PortMode.ANY, 0, 0);
    }

    private ListenRequest with(Ip require, Ip prefer, Wild wild, Family family, boolean tls, boolean cap,
            boolean freebind, int reuseUid) {
        return new ListenRequest(name, tcp, udp, mode, low, high, require, prefer, wild, family, tls, cap, freebind,
                reuseUid);
    }

    /**
     * The service must listen on this address and never falls back. Default: none (the planner picks).
     * An IPv6 link-local address needs its zone, e.g. {@code fe80::1%eth0}.
     *
     * @param address an IPv4 or IPv6 literal, brackets optional; never resolved as a name
     * @return a copy with the required address
     * @throws IllegalArgumentException when it is not an IP literal
     */
    public ListenRequest require(String address) {
        return with(Ip.parse(address), prefer, wild, family, tls, cap, freebind, reuseUid);
    }

    /**
     * The service should listen on this address and falls back to the other candidates (with
     * {@link Warning#PREFERRED_IP_UNAVAILABLE}) when it cannot. Default: none.
     *
     * @param address an IPv4 or IPv6 literal, brackets optional
     * @return a copy with the preferred address
     * @throws IllegalArgumentException when it is not an IP literal
     */
    public ListenRequest prefer(String address) {
        return with(require, Ip.parse(address), wild, family, tls, cap, freebind, reuseUid);
    }

    /**
     * Listen on every address: {@code 0.0.0.0} and {@code [::]} (the latter only when the host has an IPv6
     * address other than loopback, as {@code getaddrinfo(AI_ADDRCONFIG)} decides). Default: off.
     *
     * @return a copy listening on all interfaces
     */
    public ListenRequest allInterfaces() {
        return with(require, prefer, Wild.BOTH, family, tls, cap, freebind, reuseUid);
    }

    /**
     * Listen on the wildcard of one family only: {@code 0.0.0.0}, or {@code [::]} with {@code IPV6_V6ONLY=1}.
     * Default: off.
     *
     * @param family the family whose wildcard is claimed
     * @return a copy listening on all interfaces of that family
     */
    public ListenRequest allInterfaces(Family family) {
        Objects.requireNonNull(family, "family");
        return with(require, prefer, family == Family.IPV4 ? Wild.V4 : Wild.V6, this.family, tls, cap, freebind,
                reuseUid);
    }

    /**
     * Restricts the candidate addresses to one family. Default: both families (IPv4 candidates first).
     *
     * @param family the only family to consider
     * @return a copy with the family filter
     */
    public ListenRequest family(Family family) {
        return with(require, prefer, wild, Objects.requireNonNull(family, "family"), tls, cap, freebind, reuseUid);
    }

    /**
     * Marks the service as TLS: rendered as {@code https} (httpd, on ports other than 443) and {@code ssl}
     * (nginx). Default: plain.
     *
     * @return a copy marked TLS
     */
    public ListenRequest tls() {
        return with(require, prefer, wild, family, true, cap, freebind, reuseUid);
    }

    /**
     * Whether the service's process has {@code CAP_NET_BIND_SERVICE} (or is root) when it binds. Default
     * {@code true}: httpd and nginx bind as root before they drop privileges.
     *
     * @param has whether the capability is held
     * @return a copy with the capability flag
     */
    public ListenRequest capNetBindService(boolean has) {
        return with(require, prefer, wild, family, tls, has, freebind, reuseUid);
    }

    /**
     * The service sets {@code IP_FREEBIND}/{@code IPV6_FREEBIND}, so it may bind an address not (yet) on the
     * host, with {@link Warning#NONLOCAL_BIND}. Default: off.
     *
     * @return a copy with freebind
     */
    public ListenRequest freebind() {
        return with(require, prefer, wild, family, tls, cap, true, reuseUid);
    }

    /**
     * The service sets {@code SO_REUSEPORT} and binds with this effective UID, so it may share an identical
     * address with sockets of the same UID that also set it. Default: off.
     *
     * @param uid the effective UID, 0 or more
     * @return a copy with SO_REUSEPORT
     * @throws IllegalArgumentException when the uid is negative
     */
    public ListenRequest reusePort(int uid) {
        if (uid < 0) {
            throw new IllegalArgumentException("reusePort uid must be >= 0: " + uid);
        }
        return with(require, prefer, wild, family, tls, cap, freebind, uid);
    }

    /** @return the service name */
    public String name() {
        return name;
    }

    /** Everything that decides where the service can go, minus its name (used to memoise port searches). */
    Object searchKey(boolean preferIsCandidate) {
        // A preferred address that is one of the candidates only reorders the same set of addresses, and the
        // search cursor is about the set ("every candidate is taken below this port"), so it is left out.
        return java.util.Arrays.asList(tcp, udp, mode, low, high, require, preferIsCandidate ? null : prefer, wild,
                family, cap, freebind, reuseUid);
    }

    /** @return the request in a fluent-like notation, e.g. {@code tcp("api", 8000, 8099).require("10.0.0.1")} */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        sb.append(tcp && udp ? "tcpAndUdp" : tcp ? "tcp" : "udp").append("(\"").append(name).append('"');
        if (mode == PortMode.FIXED) {
            sb.append(", ").append(low);
        } else if (mode == PortMode.RANGE) {
            sb.append(", ").append(low).append(", ").append(high);
        }
        sb.append(')');
        if (require != null) {
            sb.append(".require(\"").append(require).append("\")");
        }
        if (prefer != null) {
            sb.append(".prefer(\"").append(prefer).append("\")");
        }
        if (wild == Wild.BOTH) {
            sb.append(".allInterfaces()");
        } else if (wild != Wild.NONE) {
            sb.append(".allInterfaces(Family.").append(wild == Wild.V4 ? "IPV4" : "IPV6").append(')');
        }
        if (family != null) {
            sb.append(".family(Family.").append(family).append(')');
        }
        if (tls) {
            sb.append(".tls()");
        }
        if (!cap) {
            sb.append(".capNetBindService(false)");
        }
        if (freebind) {
            sb.append(".freebind()");
        }
        if (reuseUid >= 0) {
            sb.append(".reusePort(").append(reuseUid).append(')');
        }
        return sb.toString();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ListenRequest && toString().equals(o.toString());
    }

    @Override
    public int hashCode() {
        return toString().hashCode();
    }
}
