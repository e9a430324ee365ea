package io.netns.internal.nl;

import io.netns.NetlinkException;
import io.netns.NetnsException;
import io.netns.internal.posix.Native;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * Internal use only: the sockets of the calling thread's network namespace through {@code NETLINK_SOCK_DIAG}
 * (what {@code ss} uses; sock_diag(7)). inet_diag answers for the namespace of the netlink socket that asks
 * ({@code net/ipv4/inet_diag.c}: {@code sock_net(in_skb->sk)}), so open it on a thread inside the namespace.
 *
 * <p>Unlike {@code /proc/net/tcp}, the reply carries what only sock_diag knows: {@code INET_DIAG_SKV6ONLY}
 * for IPv6 sockets, and the owner's uid and the socket inode for every full socket. The codec
 * ({@link #request}, {@link #decode}) makes no system call; {@link #dump} is the client, on the one
 * netlink engine ({@link NetlinkSocket}). {@link io.netns.internal.ProcNet} yields the same
 * {@link Socket} from {@code /proc/net}, the fallback where sock_diag is missing.
 */
public final class SockDiag {

    /** {@code NETLINK_SOCK_DIAG} ({@code include/uapi/linux/netlink.h}). */
    public static final int NETLINK_SOCK_DIAG = Nl.NETLINK_SOCK_DIAG;
    /** {@code SOCK_DIAG_BY_FAMILY} ({@code include/uapi/linux/sock_diag.h}). */
    public static final int SOCK_DIAG_BY_FAMILY = 20;
    /** {@code IPPROTO_TCP}. */
    public static final int IPPROTO_TCP = 6;
    /** {@code IPPROTO_UDP}. */
    public static final int IPPROTO_UDP = 17;
    /** {@code INET_DIAG_SKV6ONLY} ({@code include/uapi/linux/inet_diag.h}): u8, IPv6 sockets only. */
    public static final int INET_DIAG_SKV6ONLY = 11;
    /** Every TCP state bit of {@code idiag_states}. */
    public static final int ALL_STATES = -1;
    /** {@code sizeof(struct inet_diag_req_v2)}. */
    public static final int REQ_SIZE = 56;
    /** {@code sizeof(struct inet_diag_msg)}. */
    static final int MSG_SIZE = 72;

    private SockDiag() {
    }

    /**
     * One socket of a dump.
     *
     * @param protocol {@link #IPPROTO_TCP} or {@link #IPPROTO_UDP}
     * @param family {@link Nl#AF_INET} or {@link Nl#AF_INET6}
     * @param state {@code idiag_state}: the TCP state ({@code include/net/tcp_states.h}, 10 LISTEN, 6 TIME_WAIT);
     *     for UDP 7 (unconnected) or 1 (connected)
     * @param local the local address (16 bytes for IPv6, an IPv4-mapped one included)
     * @param port the local port
     * @param v6only {@code INET_DIAG_SKV6ONLY}: 1 or 0 for IPv6 full sockets, -1 when absent (IPv4, TIME_WAIT)
     * @param uid the owner's uid ({@code idiag_uid})
     * @param inode the socket's inode ({@code idiag_inode}); 0 for TIME_WAIT and request sockets
     */
    public record Socket(int protocol, int family, int state, InetAddress local, int port, int v6only, int uid,
            long inode) {
    }

    /**
     * Writes a {@code SOCK_DIAG_BY_FAMILY} dump request: {@code struct nlmsghdr} and
     * {@code struct inet_diag_req_v2 { sdiag_family, sdiag_protocol, idiag_ext, pad, idiag_states, id }} with a
     * zero (match-all) {@code inet_diag_sockid}.
     *
     * @param buf where, from its position; the position advances
     * @param family {@link Nl#AF_INET} or {@link Nl#AF_INET6}
     * @param protocol {@link #IPPROTO_TCP} or {@link #IPPROTO_UDP}
     * @param states the {@code idiag_states} bit mask ({@code 1 << state}), or {@link #ALL_STATES}
     * @param seq the sequence number
     */
    public static void request(ByteBuffer buf, int family, int protocol, int states, int seq) {
        int at = buf.position();
        NlMsgHdr.put(buf, at, NlMsgHdr.SIZE + REQ_SIZE, SOCK_DIAG_BY_FAMILY, Nl.NLM_F_REQUEST | Nl.NLM_F_DUMP,
                seq, 0);
        buf.position(at + NlMsgHdr.SIZE);
        body(buf, family, protocol, states);
    }

    /**
     * Writes the {@code struct inet_diag_req_v2} of a request, after its header.
     *
     * @param buf where, from its position; the position advances
     * @param family {@link Nl#AF_INET} or {@link Nl#AF_INET6}
     * @param protocol {@link #IPPROTO_TCP} or {@link #IPPROTO_UDP}
     * @param states the {@code idiag_states} bit mask, or {@link #ALL_STATES}
     */
    public static void body(ByteBuffer buf, int family, int protocol, int states) {
        buf.put((byte) family).put((byte) protocol).put((byte) 0).put((byte) 0);
        buf.putInt(states);
        for (int i = 8; i < REQ_SIZE; i++) {
            buf.put((byte) 0);
        }
    }

    /**
     * Decodes one {@code SOCK_DIAG_BY_FAMILY} message: {@code struct inet_diag_msg { idiag_family, idiag_state,
     * idiag_timer, idiag_retrans, id { sport, dport (big-endian), src[4], dst[4], if, cookie[2] }, expires,
     * rqueue, wqueue, uid, inode }} and its attributes.
     *
     * @param buf the buffer
     * @param msg the message's offset (its header's)
     * @param protocol the protocol the dump asked for (the message does not repeat it)
     * @return the socket
     * @throws NlFormatException if the message is too short
     */
    public static Socket decode(ByteBuffer buf, int msg, int protocol) {
        int len = NlMsgHdr.length(buf, msg);
        if (len < NlMsgHdr.SIZE + MSG_SIZE) {
            throw new NlFormatException("inet_diag_msg of " + len + " bytes, need " + (NlMsgHdr.SIZE + MSG_SIZE));
        }
        int m = msg + NlMsgHdr.SIZE;
        int family = buf.get(m) & 0xff;
        int state = buf.get(m + 1) & 0xff;
        int port = ((buf.get(m + 4) & 0xff) << 8) | (buf.get(m + 5) & 0xff);
        byte[] a = new byte[family == Nl.AF_INET6 ? 16 : 4];
        for (int i = 0; i < a.length; i++) {
            a[i] = buf.get(m + 8 + i);
        }
        int uid = buf.getInt(m + 64);
        long inode = buf.getInt(m + 68) & 0xffffffffL;
        RtAttrs attrs = RtAttrs.parse(buf, m + MSG_SIZE, msg + len);
        int v6only = attrs.getU8(INET_DIAG_SKV6ONLY, -1);
        InetAddress local;
        try {
            local = InetAddress.getByAddress(a);
        } catch (UnknownHostException impossible) {
            throw new IllegalStateException(impossible);
        }
        return new Socket(protocol, family, state, local, port, v6only, uid, inode);
    }

    /**
     * Dumps the sockets of one protocol, IPv4 then IPv6, of the <b>calling thread's</b> namespace.
     *
     * <p>Equivalent to: {@code ss -tane} (TCP, all states) or {@code ss -uane}
     *
     * @param protocol {@link #IPPROTO_TCP} or {@link #IPPROTO_UDP}
     * @param states the TCP {@code idiag_states} mask, or {@link #ALL_STATES}
     * @return the sockets
     * @throws NetnsException if the socket cannot be opened, the kernel refuses, or the dump stays inconsistent
     */
    public static List<Socket> dump(int protocol, int states) throws NetnsException {
        try (NetlinkSocket socket = NetlinkSocket.open(NETLINK_SOCK_DIAG, "SockDiag", null)) {
            return dump(socket, protocol, states);
        }
    }

    /**
     * {@link #dump(int, int)} on a {@code NETLINK_SOCK_DIAG} socket the caller holds (its namespace counts,
     * not the calling thread's).
     *
     * @param socket the socket
     * @param protocol {@link #IPPROTO_TCP} or {@link #IPPROTO_UDP}
     * @param states the {@code idiag_states} mask, or {@link #ALL_STATES}
     * @return the sockets, IPv4 first
     * @throws NetnsException if the kernel refuses, or the dump stays inconsistent
     */
    public static List<Socket> dump(NetlinkSocket socket, int protocol, int states) throws NetnsException {
        List<Socket> out = new ArrayList<>();
        for (int family : new int[] {Nl.AF_INET, Nl.AF_INET6}) {
            List<Socket> part = new ArrayList<>();
            try {
                socket.dump(() -> "SOCK_DIAG_BY_FAMILY(" + (family == Nl.AF_INET ? "inet" : "inet6") + ", "
                        + (protocol == IPPROTO_TCP ? "tcp" : "udp") + ")", SOCK_DIAG_BY_FAMILY, 0,
                        b -> body(b, family, protocol, states), part::clear, (buf, msg, type) -> {
                            if (type == SOCK_DIAG_BY_FAMILY) {
                                part.add(decode(buf, msg, protocol));
                            }
                        });
            } catch (NetlinkException e) {
                if (e.errno() == Native.ENOENT && family == Nl.AF_INET6) {
                    break; // no IPv6 in this kernel (inet6_diag missing)
                }
                throw e;
            }
            out.addAll(part);
        }
        return out;
    }
}
