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

    /**
     * The NFT_MSG_NEWRULE bytes of three rules (IPv4 published port, IPv4 with a destination, IPv6), seq 42,
     * pinned as the encoder wrote them before it moved to internal.nl.NfTables (the bytes the kernel accepts
     * in IptablesFirewallIT and SoakIT, where nft -j list shows the rules). Little-endian hosts: the
     * fib address type is compared in host order.
     */
    @Test
    void newRuleBytesAreByteForByteTheGoldenOnes() throws Exception {
        io.netns.testing.Privileged.requireThat(java.nio.ByteOrder.nativeOrder() == java.nio.ByteOrder.LITTLE_ENDIAN,
                "a little-endian machine (the golden bytes hold host-order fields)");
        NatTable.Dnat[] rules = {
            new NatTable.Dnat(NatTable.Hook.PREROUTING, Protocol.TCP, 8080, null, true,
                    java.net.InetAddress.getByName("10.89.0.2"), 80, "netns:lab/sandbox/web"),
            new NatTable.Dnat(NatTable.Hook.OUTPUT, Protocol.UDP, 5353, java.net.InetAddress.getByName("192.0.2.7"), false,
                    java.net.InetAddress.getByName("10.89.0.3"), 53, "netns:lab/sandbox/dns"),
            new NatTable.Dnat(NatTable.Hook.PREROUTING, Protocol.TCP, 8443, null, true,
                    java.net.InetAddress.getByName("fd00::2"), 443, "netns:lab/sandbox/v6"),
        };
        java.util.List<String> golden;
        try (java.io.InputStream in = NatTableTest.class.getResourceAsStream("/golden/nft-newrule.hex")) {
            golden = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.US_ASCII).lines().toList();
        }
        for (int i = 0; i < rules.length; i++) {
            ByteBuffer b = ByteBuffer.allocate(4096).order(java.nio.ByteOrder.nativeOrder());
            NatTable.newRule(b, rules[i], 42);
            byte[] bytes = new byte[b.position()];
            b.get(0, bytes);
            assertEquals(golden.get(i), java.util.HexFormat.of().formatHex(bytes), rules[i].text());
        }
    }
}
