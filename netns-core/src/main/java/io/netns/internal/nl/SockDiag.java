package io.netns.internal.nl;

import io.netns.NetnsException;
import io.netns.internal.KernelSocket;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * Internal use only: the {@code NETLINK_SOCK_DIAG} codec for inet sockets ({@code inet_diag_req_v2} out,
 * {@code inet_diag_msg} with its attributes in), and the dump that lists a namespace's sockets the way
 * {@code ss -ltn}/{@code ss -uan} do. Unlike {@code /proc/net/tcp}, asking by state (listeners only) does
 * not walk the kernel's connection table, which all namespaces share.
 *
 * <p>Constants and layouts are from {@code <linux/sock_diag.h>} and {@code <linux/inet_diag.h>}.
 */
public final class SockDiag {
    /** {@code SOCK_DIAG_BY_FAMILY} ({@code <linux/sock_diag.h>}): the request and reply message type. */
    public static final int SOCK_DIAG_BY_FAMILY = 20;
    /** {@code INET_DIAG_SKV6ONLY} ({@code <linux/inet_diag.h>}): a u8, sent for AF_INET6 sockets in LISTEN or CLOSE. */
    public static final int INET_DIAG_SKV6ONLY = 11;
    /** {@code sizeof(struct inet_diag_req_v2)}. */
    public static final int REQ_V2_SIZE = 56;
    /** {@code sizeof(struct inet_diag_msg)}. */
    public static final int MSG_SIZE = 72;
    /** {@code IPPROTO_TCP}. */
    public static final int IPPROTO_TCP = 6;
    /** {@code IPPROTO_UDP}. */
    public static final int IPPROTO_UDP = 17;
    /** Every state: the {@code idiag_states} mask that matches all sockets. */
    public static final int ALL_STATES = -1;

    private SockDiag() {
    }

    /**
     * Writes the body of a {@code SOCK_DIAG_BY_FAMILY} dump request (after the {@code nlmsghdr}):
     * <pre>
     * struct inet_diag_req_v2 {
     *     __u8  sdiag_family; __u8 sdiag_protocol; __u8 idiag_ext; __u8 pad;
     *     __u32 idiag_states;
     *     struct inet_diag_sockid id;   // 48 bytes, all zero: any socket
     * };</pre>
     *
     * @param b the request buffer
     * @param family {@link Nl#AF_INET} or {@link Nl#AF_INET6}
     * @param protocol {@link #IPPROTO_TCP} or {@link #IPPROTO_UDP}
     * @param states a mask of {@code 1 << state}, or {@link #ALL_STATES}
     */
    public static void putRequest(ByteBuffer b, int family, int protocol, int states) {
        b.put((byte) family).put((byte) protocol).put((byte) 0).put((byte) 0);
        b.putInt(states);
        for (int i = 0; i < 48; i++) {
            b.put((byte) 0);
        }
    }

    /**
     * Decodes one reply message:
     * <pre>
     * struct inet_diag_msg {
     *     __u8 idiag_family, idiag_state, idiag_timer, idiag_retrans;
     *     struct inet_diag_sockid { __be16 sport, dport; __be32 src[4], dst[4]; __u32 if; __u32 cookie[2]; } id;
     *     __u32 idiag_expires, idiag_rqueue, idiag_wqueue, idiag_uid, idiag_inode;
     * };                                            // then attributes: INET_DIAG_SKV6ONLY, ...</pre>
     *
     * @param buf the datagram
     * @param msg the message's offset (its {@code nlmsghdr})
     * @param protocol the protocol asked for (the message does not repeat it)
     * @return the socket
     * @throws NlFormatException if the message is too short
     */
    public static KernelSocket decode(ByteBuffer buf, int msg, int protocol) {
        int len = NlMsgHdr.length(buf, msg);
        int m = msg + NlMsgHdr.SIZE;
        if (len < NlMsgHdr.SIZE + MSG_SIZE) {
            throw new NlFormatException("inet_diag_msg of " + len + " bytes, shorter than " + (NlMsgHdr.SIZE + MSG_SIZE));
        }
        int family = buf.get(m) & 0xff;
        boolean v6 = family == Nl.AF_INET6;
        int state = buf.get(m + 1) & 0xff;
        int sport = (buf.get(m + 4) & 0xff) << 8 | buf.get(m + 5) & 0xff;
        int dport = (buf.get(m + 6) & 0xff) << 8 | buf.get(m + 7) & 0xff;
        InetAddress src = address(buf, m + 8, v6);
        InetAddress dst = address(buf, m + 24, v6);
        int uid = buf.getInt(m + 64);
        long inode = buf.getInt(m + 68) & 0xffffffffL;
        Boolean v6only = null;
        RtAttrs a = RtAttrs.parse(buf, m + MSG_SIZE, msg + len);
        int at = a.payloadOffset(INET_DIAG_SKV6ONLY);
        if (at >= 0 && a.payloadLength(INET_DIAG_SKV6ONLY) >= 1) {
            v6only = buf.get(at) != 0;
        }
        return new KernelSocket(v6, protocol == IPPROTO_TCP, state, src, sport, dst, dport, uid, inode, v6only);
    }

    private static InetAddress address(ByteBuffer buf, int at, boolean v6) {
        byte[] b = new byte[v6 ? 16 : 4];
        for (int i = 0; i < b.length; i++) {
            b[i] = buf.get(at + i);
        }
        try {
            return InetAddress.getByAddress(b);
        } catch (UnknownHostException impossible) {
            throw new IllegalStateException(impossible);
        }
    }

    /**
     * Lists the sockets of the socket's namespace by one dump per family.
     *
     * @param socket a {@code NETLINK_SOCK_DIAG} socket
     * @param protocol {@link #IPPROTO_TCP} or {@link #IPPROTO_UDP}
     * @param states a mask of {@code 1 << state} (e.g. {@code 1 << TCP_LISTEN | 1 << TCP_TIME_WAIT}), or
     *     {@link #ALL_STATES}
     * @param ipv6 also the {@code AF_INET6} sockets
     * @return the sockets, IPv4 first
     * @throws NetnsException if the kernel refuses (no {@code inet_diag}: {@code ENOENT})
     */
    public static List<KernelSocket> dump(NetlinkSocket socket, int protocol, int states, boolean ipv6)
            throws NetnsException {
        List<KernelSocket> out = new ArrayList<>();
        for (int family : ipv6 ? new int[] {Nl.AF_INET, Nl.AF_INET6} : new int[] {Nl.AF_INET}) {
            List<KernelSocket> part = new ArrayList<>();
            socket.dump(() -> "SOCK_DIAG_BY_FAMILY(" + (family == Nl.AF_INET ? "inet" : "inet6") + ", "
                    + (protocol == IPPROTO_TCP ? "tcp" : "udp") + ")", SOCK_DIAG_BY_FAMILY, 0,
                    b -> putRequest(b, family, protocol, states), part::clear, (buf, msg, type) -> {
                        if (type == SOCK_DIAG_BY_FAMILY) {
                            part.add(decode(buf, msg, protocol));
                        }
                    });
            out.addAll(part);
        }
        return out;
    }

    /**
     * {@link #dump} on a socket opened for it in the calling thread's namespace.
     *
     * @param protocol {@link #IPPROTO_TCP} or {@link #IPPROTO_UDP}
     * @param states the state mask
     * @param ipv6 also the {@code AF_INET6} sockets
     * @return the sockets
     * @throws NetnsException if the socket cannot be opened or the kernel refuses
     */
    public static List<KernelSocket> dumpHere(int protocol, int states, boolean ipv6) throws NetnsException {
        try (NetlinkSocket s = NetlinkSocket.open(Nl.NETLINK_SOCK_DIAG, "SockDiag", null)) {
            return dump(s, protocol, states, ipv6);
        }
    }
}
