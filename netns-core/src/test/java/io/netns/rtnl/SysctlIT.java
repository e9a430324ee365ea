package io.netns.rtnl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netns.NetNamespace;
import io.netns.NetnsException;
import io.netns.testing.Cmd;
import io.netns.testing.TestLab;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Sysctls written in a lab namespace stay there; the initial namespace's value is only read. */
class SysctlIT {
    @RegisterExtension
    final TestLab testLab = new TestLab("sysit");

    private static String initialForward() throws Exception {
        return Files.readString(Path.of("/proc/sys/net/ipv4/ip_forward")).strip();
    }

    private static String catInside(String ns, String file) {
        return Cmd.in(ns, "cat", file).strip();
    }

    @Test
    void writeInsideALabLeavesTheInitialNamespaceAlone() throws Exception {
        String before = initialForward();
        String flipped = before.equals("1") ? "0" : "1";
        String name = testLab.name("sysctl");
        try (NetNamespace lab = NetNamespace.create(name)) {
            try {
                Sysctl.write(lab, "net.ipv4.ip_forward", flipped);
                assertEquals(flipped, Sysctl.read(lab, "net.ipv4.ip_forward"));
                assertEquals(flipped, catInside(name, "/proc/sys/net/ipv4/ip_forward"), "seen by ip netns exec");
                assertEquals(before, initialForward(), "the initial namespace is untouched");

                Sysctl.write(lab, "net.ipv4.ip_unprivileged_port_start", "80");
                assertEquals("80", Sysctl.read(lab, "net.ipv4.ip_unprivileged_port_start"));

                NetnsException e = assertThrows(NetnsException.class, () -> Sysctl.read(lab, "net.ipv4.no_such_key"));
                assertTrue(e.getMessage().contains("no sysctl net.ipv4.no_such_key"), e.getMessage());
                assertThrows(NetnsException.class, () -> Sysctl.write(lab, "net.ipv4.ip_forward", "banana"));
            } finally {
                lab.delete();
            }
        }
        assertEquals(before, initialForward());
    }
}
