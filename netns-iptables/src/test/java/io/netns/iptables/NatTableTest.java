package io.netns.iptables;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.netns.Protocol;
import java.nio.ByteBuffer;
import java.util.List;
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
    void badElementsAreRefusedWhenMade() {
        java.net.InetAddress v4 = RenderingTest.ip("10.89.0.2");
        java.net.InetAddress v6 = RenderingTest.ip("fd00:89::2");
        String tag = "netns:lab/sandbox/web";
        assertThrows(IllegalArgumentException.class, () -> NatTable.Mapping.port(Protocol.TCP, v6, 80, v4, 80, tag));
        assertThrows(IllegalArgumentException.class, () -> NatTable.Mapping.port(Protocol.TCP, null, 0, v4, 80, tag));
        assertThrows(IllegalArgumentException.class, () -> NatTable.Mapping.port(Protocol.TCP, null, 80, v4, 80, "no spaces allowed"));
        assertThrows(IllegalArgumentException.class, () -> new NatTable.Mapping(Protocol.TCP, null, 90, 80, v4, 0, tag));
        assertThrows(IllegalArgumentException.class, () -> new NatTable.Mapping(Protocol.TCP, null, 80, 90, v4, 80, tag),
                "a range keeps its ports");
        assertThrows(IllegalArgumentException.class, () -> NatTable.Mapping.port(Protocol.TCP, null, 80, v4, 0, tag));
    }

    @Test
    void eachKindOfPublicationGoesToItsMapWithPaddedFields() {
        java.net.InetAddress to = RenderingTest.ip("10.89.0.2");
        String tag = "netns:lab/sandbox/web";
        NatTable.Mapping any = NatTable.Mapping.port(Protocol.TCP, null, 8080, to, 80, tag);
        assertEquals(NatTable.PortMap.PORTS, any.map());
        assertEquals("06000000" + "1f900000", java.util.HexFormat.of().formatHex(any.key()), "proto, 3 zeros, port, 2 zeros");
        assertEquals("0a590002" + "00500000", java.util.HexFormat.of().formatHex(any.data()));
        NatTable.Mapping range = new NatTable.Mapping(Protocol.UDP, RenderingTest.ip("192.0.2.1"), 8000, 8099, to, 0, tag);
        assertEquals(NatTable.PortMap.ADDR_PORT_RANGES, range.map());
        assertEquals("c0000201" + "11000000" + "1f400000", java.util.HexFormat.of().formatHex(range.key()));
        assertEquals("c0000201" + "11000000" + "1fa30000", java.util.HexFormat.of().formatHex(range.keyEnd()));
        assertEquals("0a590002", java.util.HexFormat.of().formatHex(range.data()), "a range: the address only");
        assertEquals(24, NatTable.PortMap.ADDR_PORTS.keyLength(Family.IPV6));
        assertEquals(20, NatTable.PortMap.ADDR_PORTS.dataLength(Family.IPV6));
    }

    /**
     * The bytes of the table's base (maps and rules, both families) and of one NFT_MSG_NEWSETELEM per map,
     * seq 42, captured from this encoder (re-captured deliberately when the DNAT moved from one rule per port
     * to map elements), and accepted by the kernel in IptablesFirewallIT, where nft -j list shows the maps,
     * rules and elements. Little-endian hosts: the fib address type is compared in host order.
     */
    @Test
    void mapsRulesAndElementsAreByteForByteTheGoldenOnes() throws Exception {
        io.netns.testing.Privileged.requireThat(java.nio.ByteOrder.nativeOrder() == java.nio.ByteOrder.LITTLE_ENDIAN,
                "a little-endian machine (the golden bytes hold host-order fields)");
        java.net.InetAddress v4 = java.net.InetAddress.getByName("10.89.0.2");
        java.net.InetAddress v6 = java.net.InetAddress.getByName("fd00::2");
        StringBuilder out = new StringBuilder();
        for (Family f : Family.values()) {
            for (NatTable.PortMap m : NatTable.PortMap.values()) {
                out.append(hex(b -> NatTable.newSet(b, f, m, 42))).append('\n');
            }
            for (NatTable.Hook h : NatTable.Hook.values()) {
                for (NatTable.PortMap m : NatTable.PortMap.values()) {
                    out.append(hex(b -> NatTable.newRule(b, f, h, m, 42))).append('\n');
                }
            }
        }
        List<NatTable.Mapping> elements = List.of(
                NatTable.Mapping.port(Protocol.TCP, null, 8080, v4, 80, "netns:lab/sandbox/web"),
                new NatTable.Mapping(Protocol.TCP, null, 8000, 8099, v4, 0, "netns:lab/sandbox/web"),
                NatTable.Mapping.port(Protocol.UDP, java.net.InetAddress.getByName("192.0.2.7"), 5353,
                        java.net.InetAddress.getByName("10.89.0.3"), 53, "netns:lab/sandbox/dns"),
                new NatTable.Mapping(Protocol.UDP, java.net.InetAddress.getByName("192.0.2.7"), 7000, 7010, v4, 0,
                        "netns:lab/sandbox/web"),
                NatTable.Mapping.port(Protocol.TCP, null, 8443, v6, 443, "netns:lab/sandbox/v6"));
        for (NatTable.Mapping m : elements) {
            out.append(hex(b -> NatTable.newElements(b, m.family(), m.map(), List.of(m), 42))).append('\n');
        }
        Golden.assertGolden("nft-maps.hex", out.toString());
    }

    private static String hex(java.util.function.Consumer<ByteBuffer> write) {
        ByteBuffer b = ByteBuffer.allocate(4096).order(java.nio.ByteOrder.nativeOrder());
        write.accept(b);
        byte[] bytes = new byte[b.position()];
        b.get(0, bytes);
        return java.util.HexFormat.of().formatHex(bytes);
    }
}
