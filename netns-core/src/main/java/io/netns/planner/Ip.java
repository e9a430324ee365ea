package io.netns.planner;

import io.netns.internal.Inet;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.net.UnknownHostException;
import java.util.Objects;

/**
 * Internal use only. An IP address value parsed without any name lookup, with IPv4-mapped IPv6 addresses
 * normalised to IPv4 and an optional zone kept only for IPv6 link-local addresses (the kernel ignores the
 * scope of other addresses). Ordered IPv4 first, then IPv6, each by numeric value, then by zone.
 */
final class Ip implements Comparable<Ip> {

    static final Ip ANY4 = new Ip(false, 0, 0, null);
    static final Ip ANY6 = new Ip(true, 0, 0, null);

    private final boolean v6;
    private final long hi;
    private final long lo;
    private final String zone;
    private final int hash;
    /** toString(), computed on first use (a benign race: every thread computes the same immutable String). */
    private String text;

    private Ip(boolean v6, long hi, long lo, String zone) {
        this.v6 = v6;
        this.hi = hi;
        this.lo = lo;
        this.zone = zone;
        this.hash = Objects.hash(v6, hi, lo, zone);
    }

    static Ip v4(int value) {
        return value == 0 ? ANY4 : new Ip(false, 0, value & 0xFFFFFFFFL, null);
    }

    /** Builds from 4 or 16 network-order bytes; a mapped IPv6 address becomes IPv4. */
    static Ip of(byte[] b, String zone) {
        if (b.length == 4) {
            return v4(((b[0] & 0xFF) << 24) | ((b[1] & 0xFF) << 16) | ((b[2] & 0xFF) << 8) | (b[3] & 0xFF));
        }
        if (b.length != 16) {
            throw new IllegalArgumentException("an IP address has 4 or 16 bytes: " + b.length);
        }
        long h = 0;
        long l = 0;
        for (int i = 0; i < 8; i++) {
            h = (h << 8) | (b[i] & 0xFF);
            l = (l << 8) | (b[i + 8] & 0xFF);
        }
        if (h == 0 && (l >>> 32) == 0xFFFFL) {
            return v4((int) l);
        }
        boolean linkLocal = (h >>> 54) == (0xFE80L >>> 6);
        String z = linkLocal && zone != null && !zone.isEmpty() ? zone : null;
        if (h == 0 && l == 0) {
            return ANY6;
        }
        return new Ip(true, h, l, z);
    }

    static Ip of(InetAddress a) {
        String zone = null;
        if (a instanceof Inet6Address) {
            Inet6Address a6 = (Inet6Address) a;
            if (a6.getScopedInterface() != null) {
                zone = a6.getScopedInterface().getName();
            } else if (a6.getScopeId() != 0) {
                zone = Integer.toString(a6.getScopeId());
            }
        }
        return of(a.getAddress(), zone);
    }

    /**
     * Parses an IP literal: a dotted quad, or an IPv6 address with or without brackets and with an optional
     * {@code %zone}. Never resolves a name.
     *
     * @throws IllegalArgumentException naming the value and the rule when it is not an IP literal
     */
    static Ip parse(String text) {
        if (text == null) {
            throw new IllegalArgumentException("address must not be null");
        }
        String s = text.trim();
        if (s.startsWith("[") && s.endsWith("]")) {
            s = s.substring(1, s.length() - 1);
        }
        if (s.indexOf(':') < 0) {
            return of(Inet.parse("address", s).getAddress(), null);
        }
        String zone = null;
        int pct = s.indexOf('%');
        if (pct >= 0) {
            zone = s.substring(pct + 1);
            s = s.substring(0, pct);
            if (zone.isEmpty() || !zone.matches("[A-Za-z0-9_.@:-]{1,15}")) {
                throw new IllegalArgumentException("an IPv6 zone must be an interface name or index: " + text);
            }
        }
        // The one IP-literal parser of netns (never a name lookup); only the zone is the planner's own.
        return of(Inet.parse("address", s).getAddress(), zone);
    }

    boolean isV6() {
        return v6;
    }

    Family family() {
        return v6 ? Family.IPV6 : Family.IPV4;
    }

    boolean isAny() {
        return hi == 0 && lo == 0;
    }

    boolean isLoopback() {
        return v6 ? (hi == 0 && lo == 1) : (lo >>> 24) == 127;
    }

    /** IPv6 link-local unicast, {@code fe80::/10}. */
    boolean isLinkLocal() {
        return v6 && (hi >>> 54) == (0xFE80L >>> 6);
    }

    String zone() {
        return zone;
    }

    Ip withZone(String z) {
        return isLinkLocal() ? new Ip(true, hi, lo, z) : this;
    }

    Ip withoutZone() {
        return zone == null ? this : new Ip(true, hi, lo, null);
    }

    byte[] bytes() {
        if (!v6) {
            return new byte[] {(byte) (lo >>> 24), (byte) (lo >>> 16), (byte) (lo >>> 8), (byte) lo};
        }
        byte[] b = new byte[16];
        for (int i = 0; i < 8; i++) {
            b[i] = (byte) (hi >>> (56 - 8 * i));
            b[i + 8] = (byte) (lo >>> (56 - 8 * i));
        }
        return b;
    }

    /** A JDK address; a zone is resolved to an interface of the calling thread's namespace when it exists. */
    InetAddress toInetAddress() {
        try {
            if (!v6) {
                return InetAddress.getByAddress(bytes());
            }
            if (zone != null) {
                try {
                    NetworkInterface ni = NetworkInterface.getByName(zone);
                    if (ni != null) {
                        return Inet6Address.getByAddress(null, bytes(), ni);
                    }
                } catch (SocketException ignored) {
                    // fall through: return the address without scope
                }
                if (zone.chars().allMatch(Character::isDigit)) {
                    return Inet6Address.getByAddress(null, bytes(), Integer.parseInt(zone));
                }
            }
            return InetAddress.getByAddress(bytes());
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    /** {@code 10.0.0.1} or RFC 5952 text such as {@code 2001:db8::1} / {@code fe80::1%eth0}, without brackets. */
    @Override
    public String toString() {
        String t = text;
        if (t == null) {
            t = format();
            text = t;
        }
        return t;
    }

    private String format() {
        if (!v6) {
            return (lo >>> 24) + "." + ((lo >>> 16) & 0xFF) + "." + ((lo >>> 8) & 0xFF) + "." + (lo & 0xFF);
        }
        int[] g = new int[8];
        for (int i = 0; i < 4; i++) {
            g[i] = (int) ((hi >>> (48 - 16 * i)) & 0xFFFF);
            g[i + 4] = (int) ((lo >>> (48 - 16 * i)) & 0xFFFF);
        }
        String s = Inet.ipv6Text(g);
        return zone == null ? s : s + '%' + zone;
    }

    /** {@code 10.0.0.1} or {@code [2001:db8::1]}: the host part of an {@code addr:port} pair. */
    String bracketed() {
        return v6 ? "[" + this + "]" : toString();
    }

    @Override
    public int compareTo(Ip o) {
        if (v6 != o.v6) {
            return v6 ? 1 : -1;
        }
        int c = Long.compareUnsigned(hi, o.hi);
        if (c == 0) {
            c = Long.compareUnsigned(lo, o.lo);
        }
        if (c == 0) {
            c = zone == null ? (o.zone == null ? 0 : -1) : (o.zone == null ? 1 : zone.compareTo(o.zone));
        }
        return c;
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof Ip)) {
            return false;
        }
        Ip x = (Ip) o;
        return v6 == x.v6 && hi == x.hi && lo == x.lo && Objects.equals(zone, x.zone);
    }

    @Override
    public int hashCode() {
        return hash;
    }
}
