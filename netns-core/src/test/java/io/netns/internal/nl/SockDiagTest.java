package io.netns.internal.nl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

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
}
