package io.netns.planner;

import java.util.BitSet;
import java.util.Objects;

/**
 * The per-namespace sysctls that decide which ports a {@code bind()} may take. Immutable: every setter returns
 * a new value.
 *
 * <pre>{@code
 * KernelPorts k = KernelPorts.defaults()
 *     .unprivilegedPortStart(1024).ephemeralRange(32768, 60999).reserved(1024, 1100).nonlocalBind(false);
 * }</pre>
 */
public final class KernelPorts {

    private static final KernelPorts DEFAULTS = new KernelPorts(1024, 32768, 60999, new BitSet(), false, false,
            false);

    private final int unprivilegedPortStart;
    private final int ephemeralLow;
    private final int ephemeralHigh;
    private final BitSet reserved;
    private final boolean nonlocalBind4;
    private final boolean nonlocalBind6;
    private final boolean bindV6only;

    private KernelPorts(int unpriv, int ephLo, int ephHi, BitSet reserved, boolean nl4, boolean nl6,
            boolean bindV6only) {
        this.unprivilegedPortStart = unpriv;
        this.ephemeralLow = ephLo;
        this.ephemeralHigh = ephHi;
        this.reserved = reserved;
        this.nonlocalBind4 = nl4;
        this.nonlocalBind6 = nl6;
        this.bindV6only = bindV6only;
    }

    /**
     * The Linux defaults: unprivileged port start 1024, ephemeral range 32768–60999, no reserved ports,
     * {@code ip_nonlocal_bind=0} for IPv4 and IPv6, {@code bindv6only=0}.
     *
     * @return the default settings
     */
    public static KernelPorts defaults() {
        return DEFAULTS;
    }

    /**
     * Sets {@code net.ipv4.ip_unprivileged_port_start}: ports below it need {@code CAP_NET_BIND_SERVICE}.
     * Default 1024; 0 disables privileged ports.
     *
     * @param port 0..65536 (65536 makes every port privileged, as the kernel allows)
     * @return a copy with the new value
     * @throws IllegalArgumentException when out of range
     */
    public KernelPorts unprivilegedPortStart(int port) {
        if (port < 0 || port > 65536) {
            throw new IllegalArgumentException("unprivilegedPortStart must be 0..65536: " + port);
        }
        return new KernelPorts(port, ephemeralLow, ephemeralHigh, reserved, nonlocalBind4, nonlocalBind6, bindV6only);
    }

    /**
     * Sets {@code net.ipv4.ip_local_port_range}, the ports the kernel hands out for outbound connections and
     * {@code bind(0)}. Default 32768–60999.
     *
     * @param low first port, 1..65535
     * @param high last port, low..65535
     * @return a copy with the new range
     * @throws IllegalArgumentException when a bound is out of range or the range is reversed
     */
    public KernelPorts ephemeralRange(int low, int high) {
        checkRange("ephemeralRange", low, high);
        return new KernelPorts(unprivilegedPortStart, low, high, reserved, nonlocalBind4, nonlocalBind6, bindV6only);
    }

    /**
     * Adds ports to {@code net.ipv4.ip_local_reserved_ports}: automatic assignment skips them, explicit binds
     * still work. Default: none. Calls accumulate.
     *
     * @param low first reserved port, 1..65535
     * @param high last reserved port, low..65535
     * @return a copy with the range added
     * @throws IllegalArgumentException when a bound is out of range or the range is reversed
     */
    public KernelPorts reserved(int low, int high) {
        checkRange("reserved", low, high);
        BitSet b = (BitSet) reserved.clone();
        b.set(low, high + 1);
        return new KernelPorts(unprivilegedPortStart, ephemeralLow, ephemeralHigh, b, nonlocalBind4, nonlocalBind6,
                bindV6only);
    }

    /**
     * Adds ports in the sysctl's own syntax, e.g. {@code "1024-1100,8080"}. Default: none. Calls accumulate.
     *
     * @param sysctlValue comma-separated ports and {@code a-b} ranges; empty adds nothing
     * @return a copy with the ports added
     * @throws IllegalArgumentException naming the bad element
     */
    public KernelPorts reserved(String sysctlValue) {
        Objects.requireNonNull(sysctlValue, "sysctlValue");
        KernelPorts k = this;
        for (String part : sysctlValue.trim().split(",")) {
            String p = part.trim();
            if (p.isEmpty()) {
                continue;
            }
            int dash = p.indexOf('-');
            try {
                if (dash < 0) {
                    int port = Integer.parseInt(p);
                    k = k.reserved(port, port);
                } else {
                    k = k.reserved(Integer.parseInt(p.substring(0, dash).trim()),
                            Integer.parseInt(p.substring(dash + 1).trim()));
                }
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("reserved ports must be N or N-M, comma separated: " + p, e);
            }
        }
        return k;
    }

    /**
     * Sets both {@code net.ipv4.ip_nonlocal_bind} and {@code net.ipv6.ip_nonlocal_bind}: when true, any address
     * may be bound even if it is not on the host. Default false.
     *
     * @param on the sysctl value
     * @return a copy with the new value
     */
    public KernelPorts nonlocalBind(boolean on) {
        return new KernelPorts(unprivilegedPortStart, ephemeralLow, ephemeralHigh, reserved, on, on, bindV6only);
    }

    /**
     * Sets {@code net.ipv4.ip_nonlocal_bind} and {@code net.ipv6.ip_nonlocal_bind} separately. Default false.
     *
     * @param ipv4 {@code net.ipv4.ip_nonlocal_bind}
     * @param ipv6 {@code net.ipv6.ip_nonlocal_bind}
     * @return a copy with the new values
     */
    public KernelPorts nonlocalBind(boolean ipv4, boolean ipv6) {
        return new KernelPorts(unprivilegedPortStart, ephemeralLow, ephemeralHigh, reserved, ipv4, ipv6, bindV6only);
    }

    /**
     * Sets {@code net.ipv6.bindv6only}: the {@code IPV6_V6ONLY} a socket gets when it does not set the option. The
     * planner assumes it for an existing {@code [::]} whose v6only is unknown (from {@code /proc} or
     * {@code v6only=?}). Default false (the Linux default, dual-stack).
     *
     * @param on the sysctl value
     * @return a copy with the new value
     */
    public KernelPorts bindV6only(boolean on) {
        return new KernelPorts(unprivilegedPortStart, ephemeralLow, ephemeralHigh, reserved, nonlocalBind4,
                nonlocalBind6, on);
    }

    /** @return {@code net.ipv6.bindv6only} */
    public boolean bindV6only() {
        return bindV6only;
    }

    /** @return {@code net.ipv4.ip_unprivileged_port_start} */
    public int unprivilegedPortStart() {
        return unprivilegedPortStart;
    }

    /** @return the first port of {@code ip_local_port_range} */
    public int ephemeralLow() {
        return ephemeralLow;
    }

    /** @return the last port of {@code ip_local_port_range} */
    public int ephemeralHigh() {
        return ephemeralHigh;
    }

    /**
     * @param port a port number
     * @return whether the port is in {@code ip_local_reserved_ports}
     */
    public boolean isReserved(int port) {
        return port > 0 && reserved.get(port);
    }

    /**
     * @param port a port number
     * @return whether the port is in {@code ip_local_port_range}
     */
    public boolean isEphemeral(int port) {
        return port >= ephemeralLow && port <= ephemeralHigh;
    }

    /**
     * @param family the address family
     * @return the {@code ip_nonlocal_bind} sysctl of that family
     */
    public boolean nonlocalBind(Family family) {
        return family == Family.IPV6 ? nonlocalBind6 : nonlocalBind4;
    }

    /** @return the reserved ports in the sysctl's syntax, e.g. {@code 1024-1100,8080}; empty for none */
    public String reservedPorts() {
        StringBuilder sb = new StringBuilder();
        for (int i = reserved.nextSetBit(0); i >= 0; ) {
            int end = reserved.nextClearBit(i) - 1;
            if (sb.length() > 0) {
                sb.append(',');
            }
            sb.append(i);
            if (end > i) {
                sb.append('-').append(end);
            }
            i = reserved.nextSetBit(end + 1);
        }
        return sb.toString();
    }

    private static void checkRange(String what, int low, int high) {
        if (low < 1 || low > 65535 || high < 1 || high > 65535) {
            throw new IllegalArgumentException(what + " ports must be 1..65535: " + low + "-" + high);
        }
        if (low > high) {
            throw new IllegalArgumentException(what + " must not be reversed (low <= high): " + low + "-" + high);
        }
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof KernelPorts)) {
            return false;
        }
        KernelPorts k = (KernelPorts) o;
        return unprivilegedPortStart == k.unprivilegedPortStart && ephemeralLow == k.ephemeralLow
                && ephemeralHigh == k.ephemeralHigh && reserved.equals(k.reserved)
                && nonlocalBind4 == k.nonlocalBind4 && nonlocalBind6 == k.nonlocalBind6 && bindV6only == k.bindV6only;
    }

    @Override
    public int hashCode() {
        return Objects.hash(unprivilegedPortStart, ephemeralLow, ephemeralHigh, reserved, nonlocalBind4, nonlocalBind6,
                bindV6only);
    }

    /** @return e.g. {@code KernelPorts[unprivilegedPortStart=1024, ephemeralRange=32768-60999, reserved=, nonlocalBind=0/0]} */
    @Override
    public String toString() {
        return "KernelPorts[unprivilegedPortStart=" + unprivilegedPortStart + ", ephemeralRange=" + ephemeralLow
                + "-" + ephemeralHigh + ", reserved=" + reservedPorts() + ", nonlocalBind=" + (nonlocalBind4 ? 1 : 0)
                + "/" + (nonlocalBind6 ? 1 : 0) + (bindV6only ? ", bindV6only=1" : "") + "]";
    }
}
