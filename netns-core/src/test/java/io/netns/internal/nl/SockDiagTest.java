package io.netns.internal.nl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netns.NetnsException;
import io.netns.internal.KernelSocket;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The sock_diag codec against bytes captured from the kernel (Linux 6.x, x86_64, in a scratch namespace:
 * a TCP listener on [::]:8080 with IPV6_V6ONLY and one on 127.0.0.1:5432), and the dump through
 * {@link NetlinkSocket} against those replies.
 */
class SockDiagTest {
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
        ByteBuffer b = ByteBuffer.allocate(SockDiag.REQ_V2_SIZE + NlMsgHdr.SIZE).order(ByteOrder.nativeOrder());
        NlMsgHdr.put(b, 0, NlMsgHdr.SIZE + SockDiag.REQ_V2_SIZE, SockDiag.SOCK_DIAG_BY_FAMILY,
                Nl.NLM_F_REQUEST | Nl.NLM_F_ACK | Nl.NLM_F_DUMP, 7, 0);
        b.position(NlMsgHdr.SIZE);
        SockDiag.putRequest(b, Nl.AF_INET, SockDiag.IPPROTO_TCP, 1 << KernelSocket.TCP_LISTEN);
        assertEquals(REQUEST_INET_TCP_LISTEN, HexFormat.of().formatHex(b.array()));
    }

    @Test
    void capturedRepliesDecode() throws Exception {
        KernelSocket v4 = SockDiag.decode(hex(REPLY_INET), 0, SockDiag.IPPROTO_TCP);
        assertEquals(new KernelSocket(false, true, KernelSocket.TCP_LISTEN, InetAddress.getByName("127.0.0.1"), 5432,
                InetAddress.getByName("0.0.0.0"), 0, 0, 3696077, null), v4);
        KernelSocket v6 = SockDiag.decode(hex(REPLY_INET6), 0, SockDiag.IPPROTO_TCP);
        assertEquals(new KernelSocket(true, true, KernelSocket.TCP_LISTEN, InetAddress.getByName("::"), 8080,
                InetAddress.getByName("::"), 0, 0, 3696054, Boolean.TRUE), v6);
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
            List<KernelSocket> all = SockDiag.dump(s, SockDiag.IPPROTO_TCP, 1 << KernelSocket.TCP_LISTEN, true);
            assertEquals(List.of(5432, 8080), all.stream().map(KernelSocket::localPort).toList());
            assertNull(all.get(0).v6only());
            assertTrue(all.get(1).v6only());
        }
        // Both requests fitted only after the 64-byte request buffer grew; the first is the golden one but for seq.
        ByteBuffer first = sent.get(0);
        first.putInt(8, 7);
        assertEquals(REQUEST_INET_TCP_LISTEN, HexFormat.of().formatHex(first.array()));
    }
}
