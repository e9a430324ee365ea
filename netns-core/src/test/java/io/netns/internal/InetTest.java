package io.netns.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netns.internal.Inet.Cidr;
import org.junit.jupiter.api.Test;

class InetTest {
    @Test
    void parsesLiteralsWithoutLookingUpNames() {
        assertEquals("10.20.30.100", Inet.toText(Inet.parse("ip", "10.20.30.100")));
        assertEquals("fe80::1", Inet.toText(Inet.parse("ip", "[fe80::1]")));
        assertEquals("fd89:0:0:1::2", Inet.toText(Inet.parse("ip", "fd89:0000:0:1:0:0:0:2")), "RFC 5952, as ip prints it");
        assertThrows(IllegalArgumentException.class, () -> Inet.parse("ip", "localhost"));
        assertThrows(IllegalArgumentException.class, () -> Inet.parse("ip", "10.0.0.256"));
        assertThrows(IllegalArgumentException.class, () -> Inet.parse("ip", "1.2.3"));
    }

    @Test
    void cidrContainsAndEnumerates() {
        Cidr c = Cidr.parse("subnet", "10.89.9.0/28");
        assertTrue(c.contains(Inet.parse("ip", "10.89.9.15")));
        assertFalse(c.contains(Inet.parse("ip", "10.89.9.16")));
        assertFalse(c.contains(Inet.parse("ip", "::1")));
        assertEquals("10.89.9.1", Inet.toText(c.address(1)));
        assertEquals("10.89.9.4", Inet.toText(Cidr.parse("s", "10.89.8.0/22").address(260)));
        assertEquals(4, c.hostBits());
        assertEquals("fd00:89::/64", Cidr.parse("s", "fd00:89::/64").toString());
    }

    @Test
    void ipv6TextIsRfc5952() {
        assertEquals("::", Inet.ipv6Text(new int[8]));
        assertEquals("::1", Inet.ipv6Text(new int[] {0, 0, 0, 0, 0, 0, 0, 1}));
        assertEquals("fd00::", Inet.ipv6Text(new int[] {0xfd00, 0, 0, 0, 0, 0, 0, 0}));
        assertEquals("fd00:89::2", Inet.ipv6Text(new int[] {0xfd00, 0x89, 0, 0, 0, 0, 0, 2}));
        assertEquals("1:0:2:3:4:5:6:7", Inet.ipv6Text(new int[] {1, 0, 2, 3, 4, 5, 6, 7}), "one zero group stays");
        assertEquals("1:0:0:4::8", Inet.ipv6Text(new int[] {1, 0, 0, 4, 0, 0, 0, 8}), "the longest run");
        assertEquals("1::4:0:0:7:8", Inet.ipv6Text(new int[] {1, 0, 0, 4, 0, 0, 7, 8}), "the first of equal runs");
        assertThrows(IllegalArgumentException.class, () -> Inet.ipv6Text(new int[4]));
    }
}
