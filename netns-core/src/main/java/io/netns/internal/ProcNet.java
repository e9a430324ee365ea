package io.netns.internal;

import io.netns.internal.nl.Nl;
import io.netns.internal.nl.SockDiag;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * Internal use only: the one parser of {@code /proc/net/tcp}, {@code tcp6}, {@code udp} and {@code udp6}
 * ({@code /proc/thread-self/net/...} for a namespace), the slow fallback where {@code NETLINK_SOCK_DIAG} is
 * missing and the planner's input format. Addresses are 32-bit words printed as host-endian integers, so
 * the byte order of the machine that produced the text must be given. It yields what
 * {@link SockDiag#dump} does, the one shape of a kernel socket.
 */
public final class ProcNet {
    /** {@code TCP_ESTABLISHED}, the lowest state of {@code include/net/tcp_states.h}. */
    private static final int TCP_ESTABLISHED = 1;
    /** {@code TCP_NEW_SYN_RECV}, the highest state of {@code include/net/tcp_states.h}. */
    private static final int TCP_NEW_SYN_RECV = 12;

    private ProcNet() {
    }

    /**
     * Parses one file's text; every socket line becomes a {@link SockDiag.Socket}, the shape sock_diag gives (unbound ones
     * too; {@code v6only} is unknown, -1).
     *
     * @param file {@code tcp}, {@code tcp6}, {@code udp} or {@code udp6}, any case
     * @param text the file's text, its header line included or not
     * @param order the byte order of the machine that produced it
     * @return the sockets, in the file's order
     * @throws IllegalArgumentException for another file name, or naming a line that is not a socket line
     */
    public static List<SockDiag.Socket> parse(String file, String text, ByteOrder order) {
        Objects.requireNonNull(text, "text");
        Objects.requireNonNull(order, "order");
        String p = file == null ? "" : file.toLowerCase(Locale.ROOT);
        if (!List.of("tcp", "tcp6", "udp", "udp6").contains(p)) {
            throw new IllegalArgumentException("proc file must be tcp, tcp6, udp or udp6: " + file);
        }
        boolean tcp = p.startsWith("tcp");
        boolean six = p.endsWith("6");
        List<SockDiag.Socket> out = new ArrayList<>();
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
                int[] localPort = new int[1];
                InetAddress local = endpoint(f[1], six, order, p, line, localPort);
                endpoint(f[2], six, order, p, line, new int[1]); // the peer: checked, not kept
                int state = Integer.parseInt(f[3], 16);
                if (tcp && (state < TCP_ESTABLISHED || state > TCP_NEW_SYN_RECV)) {
                    throw new IllegalArgumentException("unknown TCP state code " + f[3] + ": " + line);
                }
                int uid = Integer.parseInt(f[7]);
                long inode = f.length > 9 ? Long.parseLong(f[9]) : 0;
                out.add(new SockDiag.Socket(tcp ? SockDiag.IPPROTO_TCP : SockDiag.IPPROTO_UDP,
                        six ? Nl.AF_INET6 : Nl.AF_INET, state, local, localPort[0], -1, uid, inode));
            } catch (RuntimeException e) {
                if (e instanceof IllegalArgumentException && e.getMessage() != null && e.getMessage().endsWith(line)) {
                    throw e;
                }
                throw new IllegalArgumentException("not a /proc/net/" + p + " line: " + line, e);
            }
        }
        return out;
    }

    private static InetAddress endpoint(String field, boolean six, ByteOrder order, String p, String line, int[] port) {
        int colon = field.indexOf(':');
        String hex = field.substring(0, colon);
        port[0] = Integer.parseInt(field.substring(colon + 1), 16);
        if (hex.length() != (six ? 32 : 8)) {
            throw new IllegalArgumentException("address of /proc/net/" + p + " must have " + (six ? 32 : 8)
                    + " hex digits: " + line);
        }
        byte[] b = new byte[hex.length() / 2];
        for (int w = 0; w < b.length / 4; w++) {
            long word = Long.parseLong(hex.substring(w * 8, w * 8 + 8), 16);
            for (int k = 0; k < 4; k++) {
                int shift = order == ByteOrder.LITTLE_ENDIAN ? 8 * k : 24 - 8 * k;
                b[w * 4 + k] = (byte) (word >>> shift);
            }
        }
        try {
            return InetAddress.getByAddress(b);
        } catch (UnknownHostException impossible) {
            throw new IllegalStateException(impossible);
        }
    }
}
