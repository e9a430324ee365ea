package io.netns.internal.nl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.netns.NetnsException;
import java.net.InetAddress;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HexFormat;
import java.util.List;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

/** The sock_diag codec, byte for byte against the layouts of {@code include/uapi/linux/inet_diag.h}. */
class SockDiagTest {

    static ByteBuffer buf() {
        return ByteBuffer.allocate(256).order(ByteOrder.nativeOrder());
    }

    @Test
    void requestIsANlmsghdrAndAnInetDiagReqV2() {
        ByteBuffer b = buf();
        SockDiag.request(b, Nl.AF_INET6, SockDiag.IPPROTO_TCP, 1 << 10, 7);
        assertEquals(16 + 56, b.position());
        assertEquals(72, b.getInt(0)); // nlmsg_len
        assertEquals(20, b.getShort(4)); // SOCK_DIAG_BY_FAMILY
        assertEquals(0x301, b.getShort(6)); // NLM_F_REQUEST | NLM_F_DUMP
        assertEquals(7, b.getInt(8));
        assertEquals(10, b.get(16)); // sdiag_family AF_INET6
        assertEquals(6, b.get(17)); // sdiag_protocol
        assertEquals(1 << 10, b.getInt(20)); // idiag_states: LISTEN
        byte[] id = new byte[48];
        byte[] got = new byte[48];
        b.get(24, got);
        assertArrayEquals(id, got); // a zero inet_diag_sockid matches every socket
    }

    /** A {@code [::]:8443} listener of uid 33, inode 4242, with INET_DIAG_SKV6ONLY 1 after other attributes. */
    @Test
    void decodesPortAddressUidInodeAndV6only() {
        ByteBuffer b = buf();
        int len = 16 + 72 + 8 + 8;
        NlMsgHdr.put(b, 0, len, 20, 2, 1, 99);
        int m = 16;
        b.put(m, (byte) 10).put(m + 1, (byte) 10); // AF_INET6, TCP_LISTEN
        b.put(m + 4, (byte) 0x20).put(m + 5, (byte) 0xFB); // sport 8443, big-endian
        b.putInt(m + 64, 33).putInt(m + 68, 4242);
        int at = m + 72;
        b.putShort(at, (short) 5).putShort(at + 2, (short) 5).put(at + 4, (byte) 0); // INET_DIAG_TOS, padded
        b.putShort(at + 8, (short) 5).putShort(at + 10, (short) 11).put(at + 12, (byte) 1); // SKV6ONLY
        SockDiag.Socket s = SockDiag.decode(b, 0, SockDiag.IPPROTO_TCP);
        assertEquals(new SockDiag.Socket(6, 10, 10, s.local(), 8443, 1, 33, 4242), s);
        assertEquals("::", s.local().getHostAddress().replaceAll("^0:0:0:0:0:0:0:0$", "::"));
    }

    @Test
    void anIpv4SocketHasNoV6onlyAndAShortMessageIsRefused() {
        ByteBuffer b = buf();
        NlMsgHdr.put(b, 0, 16 + 72, 20, 2, 1, 99);
        b.put(16, (byte) 2).put(17, (byte) 7).put(20, (byte) 0).put(21, (byte) 53);
        b.put(24, (byte) 10).put(25, (byte) 20).put(26, (byte) 30).put(27, (byte) 200);
        SockDiag.Socket s = SockDiag.decode(b, 0, SockDiag.IPPROTO_UDP);
        assertEquals("10.20.30.200", s.local().getHostAddress());
        assertEquals(53, s.port());
        assertEquals(-1, s.v6only());
        NlMsgHdr.put(b, 0, 16 + 40, 20, 2, 1, 99);
        assertThrows(NlFormatException.class, () -> SockDiag.decode(b, 0, SockDiag.IPPROTO_UDP));
    }

    // Golden bytes captured from the kernel (Linux 6.x, x86_64, in a scratch namespace made with ip netns:
    // a TCP listener on [::]:8080 with IPV6_V6ONLY and one on 127.0.0.1:5432), and the dump through NetlinkSocket.

    /** A dump request for listening IPv4 TCP sockets, seq 7, exactly as the kernel accepted it. */
    static final String REQUEST_INET_TCP_LISTEN = "48000000140005030700000000000000"
            + "0206000000040000" + "00".repeat(48);
    static final String REPLY_INET = "7c00000014000200070000007a5b0000020a0000153800007f0000010000000000000000000000000000000000000000"
            + "000000000000000000000000491000000000000000000000000000008000000000000000cd6538000500080000000000"
            + "08000f00000000000c00150001000000000000000600160052000000";
    static final String REPLY_INET6 = "8400000014000200070000007a5b00000a0a00001f900000000000000000000000000000000000000000000000000000"
            + "0000000000000000000000004a1000000000000000000000000000008000000000000000b66538000500080000000000"
            + "05000b000100000008000f00000000000c00150001000000000000000600160012000000";
    static final String DONE = "1400000003000200070000007a5b000000000000";

    private static ByteBuffer hex(String h) {
        byte[] b = HexFormat.of().parseHex(h);
        return ByteBuffer.allocateDirect(b.length).order(ByteOrder.nativeOrder()).put(b).flip();
    }

    @Test
    void requestIsByteForByteWhatTheKernelAccepted() {
        ByteBuffer b = ByteBuffer.allocate(SockDiag.REQ_SIZE + NlMsgHdr.SIZE).order(ByteOrder.nativeOrder());
        NlMsgHdr.put(b, 0, NlMsgHdr.SIZE + SockDiag.REQ_SIZE, SockDiag.SOCK_DIAG_BY_FAMILY,
                Nl.NLM_F_REQUEST | Nl.NLM_F_ACK | Nl.NLM_F_DUMP, 7, 0);
        b.position(NlMsgHdr.SIZE);
        SockDiag.body(b, Nl.AF_INET, SockDiag.IPPROTO_TCP, 1 << 10);
        assertEquals(REQUEST_INET_TCP_LISTEN, HexFormat.of().formatHex(b.array()));
    }

    @Test
    void capturedRepliesDecode() throws Exception {
        SockDiag.Socket v4 = SockDiag.decode(hex(REPLY_INET), 0, SockDiag.IPPROTO_TCP);
        assertEquals(new SockDiag.Socket(SockDiag.IPPROTO_TCP, Nl.AF_INET, 10, InetAddress.getByName("127.0.0.1"), 5432,
                -1, 0, 3696077), v4);
        SockDiag.Socket v6 = SockDiag.decode(hex(REPLY_INET6), 0, SockDiag.IPPROTO_TCP);
        assertEquals(new SockDiag.Socket(SockDiag.IPPROTO_TCP, Nl.AF_INET6, 10, InetAddress.getByName("::"), 8080,
                1, 0, 3696054), v6);
    }

    @Test
    void dumpGoesThroughTheOneEngine() throws Exception {
        int pid = 0x5b7a;
        Deque<ByteBuffer> pending = new ArrayDeque<>();
        List<ByteBuffer> sent = new ArrayList<>();
        NetlinkSocket.Transport kernel = new NetlinkSocket.Transport() {
            @Override
            public void send(ByteBuffer m) {
                int seq = m.getInt(m.position() + 8);
                ByteBuffer copy = ByteBuffer.allocate(m.remaining()).order(ByteOrder.nativeOrder());
                copy.put(m.duplicate()).flip();
                m.position(m.limit());
                sent.add(copy);
                int family = copy.get(NlMsgHdr.SIZE);
                for (String d : List.of(family == Nl.AF_INET ? REPLY_INET : REPLY_INET6, DONE)) {
                    ByteBuffer r = hex(d);
                    r.putInt(8, seq);
                    pending.add(r);
                }
            }

            @Override
            public int receive(ByteBuffer buf, int flags) throws NetnsException {
                ByteBuffer d = pending.peekFirst();
                for (int i = 0; i < Math.min(d.limit(), buf.remaining()); i++) {
                    buf.put(buf.position() + i, d.get(i));
                }
                if ((flags & io.netns.internal.posix.Native.MSG_PEEK) == 0) {
                    pending.removeFirst();
                }
                return d.limit();
            }

            @Override
            public void close() {
            }
        };
        try (NetlinkSocket s = NetlinkSocket.over(kernel, pid, "test", null,
                ByteBuffer.allocateDirect(64).order(ByteOrder.nativeOrder()),
                ByteBuffer.allocateDirect(64).order(ByteOrder.nativeOrder()))) {
            List<SockDiag.Socket> all = SockDiag.dump(s, SockDiag.IPPROTO_TCP, 1 << 10);
            assertEquals(List.of(5432, 8080), all.stream().map(SockDiag.Socket::port).toList());
            assertEquals(-1, all.get(0).v6only());
            assertEquals(1, all.get(1).v6only());
        }
        // Both requests fitted only after the 64-byte request buffer grew; the first is the golden one but for seq.
        ByteBuffer first = sent.get(0);
        first.putInt(8, 7);
        assertEquals(REQUEST_INET_TCP_LISTEN, HexFormat.of().formatHex(first.array()));
    }
}
