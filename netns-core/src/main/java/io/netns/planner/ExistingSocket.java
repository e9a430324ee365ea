package io.netns.planner;

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

    /** The same socket, held by {@code holder} (see {@link #holder}). */
    ExistingSocket withHolder(String holder) {
        return new ExistingSocket(proto, proto6, state, addr, port, v6only, uid, holder);
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
        Objects.requireNonNull(text, "text");
        Objects.requireNonNull(order, "order");
        String p = proto == null ? "" : proto.toLowerCase(Locale.ROOT);
        if (!List.of("tcp", "tcp6", "udp", "udp6").contains(p)) {
            throw new IllegalArgumentException("proc file must be tcp, tcp6, udp or udp6: " + proto);
        }
        Protocol pr = p.startsWith("tcp") ? Protocol.TCP : Protocol.UDP;
        boolean six = p.endsWith("6");
        List<ExistingSocket> out = new ArrayList<>();
        for (String line : text.split("\n")) {
            String s = line.trim();
            if (s.isEmpty() || s.startsWith("sl")) {
                continue;
            }
            String[] f = s.split("\\s+");
            if (f.length < 8 || !f[0].endsWith(":")) {
                throw new IllegalArgumentException("not a /proc/net/" + p + " line: " + line);
            }
            try {
                String local = f[1];
                int colon = local.indexOf(':');
                String hex = local.substring(0, colon);
                int port = Integer.parseInt(local.substring(colon + 1), 16);
                if (hex.length() != (six ? 32 : 8)) {
                    throw new IllegalArgumentException("address of /proc/net/" + p + " must have "
                            + (six ? 32 : 8) + " hex digits: " + line);
                }
                byte[] b = new byte[hex.length() / 2];
                for (int w = 0; w < b.length / 4; w++) {
                    long word = Long.parseLong(hex.substring(w * 8, w * 8 + 8), 16);
                    for (int k = 0; k < 4; k++) {
                        int shift = order == ByteOrder.LITTLE_ENDIAN ? 8 * k : 24 - 8 * k;
                        b[w * 4 + k] = (byte) (word >>> shift);
                    }
                }
                int st = Integer.parseInt(f[3], 16);
                int uid = Integer.parseInt(f[7]);
                if (port == 0) {
                    continue; // a socket that is not bound to a port holds nothing
                }
                String state = null;
                if (pr == Protocol.TCP) {
                    if (st <= 0 || st >= TCP_STATES.length) {
                        throw new IllegalArgumentException("unknown TCP state code " + f[3] + ": " + line);
                    }
                    state = TCP_STATES[st];
                }
                out.add(new ExistingSocket(pr, six, state, Ip.of(b, null), port, null, uid));
            } catch (RuntimeException e) {
                if (e instanceof IllegalArgumentException && e.getMessage() != null
                        && e.getMessage().endsWith(line)) {
                    throw e;
                }
                throw new IllegalArgumentException("not a /proc/net/" + p + " line: " + line, e);
            }
        }
        return out;
    }
}
