package io.netns.iptables;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.netns.Protocol;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

/** The parts of the nf_tables encoding that need no kernel; the rules themselves are checked by nft in the ITs. */
class NatTableTest {
    @Test
    void theCommentIsOneNulTerminatedTlvAsLibnftnlWritesIt() {
        byte[] u = NatTable.comment("netns:lab/sandbox/web");
        assertEquals(0, u[0], "NFTNL_UDATA_RULE_COMMENT");
        assertEquals("netns:lab/sandbox/web".length() + 1, u[1]);
        assertEquals(0, u[u.length - 1]);
        assertEquals("netns:lab/sandbox/web", NatTable.comment(ByteBuffer.wrap(u), 0, u.length));
    }

    @Test
    void otherTlvsAreSkippedAndTruncatedOnesIgnored() {
        byte[] c = NatTable.comment("x");
        byte[] u = new byte[3 + c.length];
        u[0] = 7; // another type, one byte of value
        u[1] = 1;
        System.arraycopy(c, 0, u, 3, c.length);
        assertEquals("x", NatTable.comment(ByteBuffer.wrap(u), 0, u.length));
        assertNull(NatTable.comment(ByteBuffer.wrap(new byte[] {0, 9, 'a'}), 0, 3));
    }

    @Test
    void aCommentTooLongForTheLengthByteIsRefused() {
        assertEquals(256, NatTable.comment("a".repeat(253)).length, "type, length, 253 characters, NUL");
        assertThrows(IllegalArgumentException.class, () -> NatTable.comment("a".repeat(254)));
    }

    @Test
    void badRulesAreRefusedWhenMade() {
        java.net.InetAddress v4 = RenderingTest.ip("10.89.0.2");
        java.net.InetAddress v6 = RenderingTest.ip("fd00:89::2");
        assertThrows(IllegalArgumentException.class, () -> new NatTable.Dnat(NatTable.Hook.OUTPUT, Protocol.TCP, 80, v6,
                false, v4, 80, "netns:lab/sandbox/web"));
        assertThrows(IllegalArgumentException.class, () -> new NatTable.Dnat(NatTable.Hook.OUTPUT, Protocol.TCP, 0, null,
                false, v4, 80, "netns:lab/sandbox/web"));
        assertThrows(IllegalArgumentException.class, () -> new NatTable.Dnat(NatTable.Hook.OUTPUT, Protocol.TCP, 80, null,
                false, v4, 80, "no spaces allowed"));
    }
}
