package io.netns.planner;

import io.netns.internal.nl.Nl;
import io.netns.internal.nl.SockDiag;
import io.netns.internal.ProcNet;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * Internal use only. A socket already present on the host, parsed from the planner's notation
 * {@code proto[6] STATE addr:port [v6only=0|1|?] [uid=N]} (UDP has no state) or from a
 * {@code /proc/net/{tcp,tcp6,udp,udp6}} line.
 */
final class ExistingSocket implements Comparable<ExistingSocket> {

    /** TCP states by their {@code /proc} code ({@code include/net/tcp_states.h}); index = code. */
    static final String[] TCP_STATES = {null, "ESTABLISHED", "SYN_SENT", "SYN_RECV", "FIN_WAIT1", "FIN_WAIT2",
        "TIME_WAIT", "CLOSE", "CLOSE_WAIT", "LAST_ACK", "LISTEN", "CLOSING", "NEW_SYN_RECV"};

    final Protocol proto;
    final boolean proto6;
    final String state;
    final Ip addr;
    final int port;
    /** For {@code [::]} only: TRUE, FALSE or null (unknown). */
    final Boolean v6only;
    final int uid;
    /**
     * Who holds the socket, when known: a process ({@code apache2, pid 812}) or a configured service
     * ({@code web1, /etc/apache2/ports.conf:5}); null when unknown. Not part of the notation.
     */
    final String holder;

    ExistingSocket(Protocol proto, boolean proto6, String state, Ip addr, int port, Boolean v6only, int uid) {
        this(proto, proto6, state, addr, port, v6only, uid, null);
    }

    ExistingSocket(Protocol proto, boolean proto6, String state, Ip addr, int port, Boolean v6only, int uid,
            String holder) {
        this.proto = proto;
        this.proto6 = proto6;
        this.state = state;
        this.addr = addr;
        this.port = port;
        this.v6only = v6only;
        this.uid = uid;
        this.holder = holder;
    }

    boolean isListen() {
        return "LISTEN".equals(state);
    }

    boolean isTimeWait() {
        return "TIME_WAIT".equals(state);
    }

    /** The socket in the planner's notation, e.g. {@code tcp6 LISTEN [::]:80 v6only=? uid=0}. */
    String notation() {
        StringBuilder sb = new StringBuilder(proto.label());
        if (proto6) {
            sb.append('6');
        }
        if (state != null) {
            sb.append(' ').append(state);
        }
        sb.append(' ');
        if (proto6 && !addr.isV6()) {
            sb.append("[::ffff:").append(addr).append(']');
        } else {
            sb.append(addr.bracketed());
        }
        sb.append(':').append(port);
        if (addr.isV6() && addr.isAny()) {
            sb.append(" v6only=").append(v6only == null ? "?" : v6only ? "1" : "0");
        }
        if (uid >= 0) {
            sb.append(" uid=").append(uid);
        }
        return sb.toString();
    }

    @Override
    public String toString() {
        return notation();
    }

    @Override
    public int compareTo(ExistingSocket o) {
        int c = proto.compareTo(o.proto);
        if (c == 0) {
            c = Integer.compare(port, o.port);
        }
        if (c == 0) {
            c = addr.compareTo(o.addr);
        }
        if (c == 0) {
            c = notation().compareTo(o.notation());
        }
        if (c == 0) {
            c = holder == null ? (o.holder == null ? 0 : -1) : o.holder == null ? 1 : holder.compareTo(o.holder);
        }
        return c;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ExistingSocket && notation().equals(((ExistingSocket) o).notation())
                && Objects.equals(holder, ((ExistingSocket) o).holder);
    }

    @Override
    public int hashCode() {
        return notation().hashCode() * 31 + Objects.hashCode(holder);
    }

    /**
     * Parses {@code proto[6] STATE addr:port [v6only=0|1|?] [uid=N]}.
     *
     * @throws IllegalArgumentException naming the text and the rule
     */
    static ExistingSocket parse(String text) {
        Objects.requireNonNull(text, "existing socket");
        String[] t = text.trim().split("\\s+");
        String usage = " (expected 'proto[6] STATE addr:port [v6only=0|1|?] [uid=N]', udp without STATE): ";
        if (t.length < 2) {
            throw new IllegalArgumentException("existing socket too short" + usage + text);
        }
        String p = t[0].toLowerCase(Locale.ROOT);
        Protocol proto;
        boolean six = p.endsWith("6");
        switch (six ? p.substring(0, p.length() - 1) : p) {
            case "tcp": proto = Protocol.TCP; break;
            case "udp": proto = Protocol.UDP; break;
            default: throw new IllegalArgumentException("protocol must be tcp, tcp6, udp or udp6" + usage + text);
        }
        int i = 1;
        String state = null;
        if (proto == Protocol.TCP) {
            state = t[i++].toUpperCase(Locale.ROOT);
            if (state.equals("NULL") || !java.util.Arrays.asList(TCP_STATES).contains(state)) {
                throw new IllegalArgumentException("unknown TCP state '" + t[1] + "'" + usage + text);
            }
        }
        if (i >= t.length) {
            throw new IllegalArgumentException("missing addr:port" + usage + text);
        }
        String ap = t[i++];
        int colon = ap.lastIndexOf(':');
        if (colon <= 0) {
            throw new IllegalArgumentException("address must be addr:port" + usage + text);
        }
        String host = ap.substring(0, colon);
        int port;
        try {
            port = Integer.parseInt(ap.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("port must be a number" + usage + text, e);
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port must be 1..65535" + usage + text);
        }
        boolean bracketed = host.startsWith("[") && host.endsWith("]");
        if (six != bracketed) {
            throw new IllegalArgumentException((six ? proto.label() + "6 needs a bracketed IPv6 address"
                    : proto.label() + " needs an IPv4 address; use " + proto.label() + "6 for [IPv6]") + usage + text);
        }
        Ip addr = Ip.parse(host);
        Boolean v6only = null;
        int uid = -1;
        for (; i < t.length; i++) {
            String opt = t[i];
            if (opt.startsWith("v6only=")) {
                String v = opt.substring(7);
                if (!addr.isV6() || !addr.isAny()) {
                    throw new IllegalArgumentException("v6only applies only to [::]; a specific IPv6 bind is always"
                            + " v6-only" + usage + text);
                }
                switch (v) {
                    case "0": v6only = Boolean.FALSE; break;
                    case "1": v6only = Boolean.TRUE; break;
                    case "?": v6only = null; break;
                    default: throw new IllegalArgumentException("v6only must be 0, 1 or ?" + usage + text);
                }
            } else if (opt.startsWith("uid=")) {
                try {
                    uid = Integer.parseInt(opt.substring(4));
                } catch (NumberFormatException e) {
                    uid = -2;
                }
                if (uid < 0) {
                    throw new IllegalArgumentException("uid must be a number >= 0" + usage + text);
                }
            } else {
                throw new IllegalArgumentException("unknown option '" + opt + "'" + usage + text);
            }
        }
        return new ExistingSocket(proto, six, state, addr, port, v6only, uid);
    }

    /**
     * Parses the text of {@code /proc/net/tcp}, {@code tcp6}, {@code udp} or {@code udp6}. Addresses are
     * 32-bit words printed as host-endian integers, so {@code order} must be the byte order of the machine that
     * produced the text. Unbound UDP lines (port 0) are skipped; v6only is unknown for {@code [::]}.
     *
     * @throws IllegalArgumentException naming the bad line
     */
    static List<ExistingSocket> parseProc(String proto, String text, ByteOrder order) {
        List<ExistingSocket> out = new ArrayList<>();
        for (SockDiag.Socket k : ProcNet.parse(proto, text, order)) {
            if (k.port() == 0) {
                continue; // a socket that is not bound to a port holds nothing
            }
            boolean tcp = k.protocol() == SockDiag.IPPROTO_TCP;
            String state = tcp ? TCP_STATES[k.state()] : null;
            out.add(new ExistingSocket(tcp ? Protocol.TCP : Protocol.UDP, k.family() == Nl.AF_INET6, state,
                    Ip.of(k.local()), k.port(), null, k.uid(), null));
        }
        return out;
    }
}
