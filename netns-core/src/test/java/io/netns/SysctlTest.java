package io.netns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class SysctlTest {
    @Test
    void keysMapUnderProcSysNet() {
        assertEquals(Path.of("/proc/sys/net/ipv4/ip_forward"), Sysctl.path("net.ipv4.ip_forward"));
        assertEquals(Path.of("/proc/sys/net/ipv4/conf/veth-web1/forwarding"),
                Sysctl.path("net.ipv4.conf.veth-web1.forwarding"));
    }

    @Test
    void traversalAndForeignKeysAreRefused() {
        for (String bad : new String[] {"kernel.hostname", "net", "net.", "net..ipv4", "net.ipv4/../../kernel",
                "net.ipv4.ip_forward/", "../net.ipv4", "net.IPV4.ip_forward", "net.ipv4.ip forward", "",
                ".net.ipv4", "net.ipv4.conf.*.x", "net.ipv4.\u0000"}) {
            assertThrows(IllegalArgumentException.class, () -> Sysctl.path(bad), bad);
        }
    }
}
