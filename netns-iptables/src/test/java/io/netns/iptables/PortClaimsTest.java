package io.netns.iptables;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import org.junit.jupiter.api.Test;

/** Which claims of one port overlap: by address and, for the wildcards, by family (Docker's rules). */
class PortClaimsTest {
    private static String name(String ip) throws Exception {
        return PortClaims.name(ip == null ? null : InetAddress.getByName(ip));
    }

    @Test
    void namesTellTheWildcardOfEachFamily() throws Exception {
        assertEquals("any", name(null));
        assertEquals("any4", name("0.0.0.0"));
        assertEquals("any6", name("::"));
        assertEquals("192.0.2.1", name("192.0.2.1"));
        assertEquals("fd00:1::1", name("fd00:1::1"));
    }

    @Test
    void theWildcardsOfTwoFamiliesDoNotOverlapEachOtherOrTheOtherFamilysAddresses() throws Exception {
        assertFalse(PortClaims.overlap(name("0.0.0.0"), name("::")));
        assertFalse(PortClaims.overlap(name("::"), name("192.0.2.1")));
        assertFalse(PortClaims.overlap(name("0.0.0.0"), name("fd00:1::1")));
        assertFalse(PortClaims.overlap(name("192.0.2.1"), name("192.0.2.2")));
        assertTrue(PortClaims.overlap(name("0.0.0.0"), name("192.0.2.1")));
        assertTrue(PortClaims.overlap(name("fd00:1::1"), name("::")));
        assertTrue(PortClaims.overlap(name(null), name("::")));
        assertTrue(PortClaims.overlap(name("0.0.0.0"), name(null)));
        assertTrue(PortClaims.overlap(name("fd00:1::1"), name("fd00:1::1")));
        assertTrue(PortClaims.overlap(name(null), name("fd00:1::1")));
    }
}
