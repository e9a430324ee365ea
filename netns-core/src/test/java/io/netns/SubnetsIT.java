package io.netns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netns.testing.Cmd;
import io.netns.testing.TestLab;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Bridge subnets against the host (issue 13, items 4 and 5): overlaps refused before anything is made,
 * only a bridge adopted as a bridge, no address a host interface holds ever leased. Checked with ip.
 */
class SubnetsIT {
    @RegisterExtension
    final TestLab testLab = new TestLab("subit");
    private final String p = testLab.prefix();
    private Host lab;

    @BeforeEach
    void makeLab() throws NetnsException {
        lab = testLab.host();
    }

    private void ip(String... args) {
        List<String> argv = new ArrayList<>(List.of("ip", "-n", p + "lab"));
        argv.addAll(List.of(args));
        Cmd.run(argv.toArray(String[]::new));
    }

    private List<String> labLinks() {
        return Cmd.run("ip", "-n", p + "lab", "-o", "link", "show").lines().filter(l -> l.matches("^\\d+: .*"))
                .map(l -> l.split(":")[1].trim().split("@")[0]).sorted().toList();
    }

    private void refused(String sandbox, BridgeMode mode, String... named) {
        List<String> before = labLinks();
        NetnsException e = assertThrows(NetnsException.class, () -> lab.create(p + sandbox, mode));
        for (String n : named) {
            assertTrue(e.getMessage().contains(n), "the message names " + n + ": " + e.getMessage());
        }
        assertEquals(before, labLinks(), "nothing made in the lab");
        assertFalse(Files.exists(NetNamespace.NETNS_DIR.resolve(p + sandbox)), "no namespace made");
    }

    @Test
    void aSubnetOverlappingAHostAddressRouteOrBridgeNetworkIsRefusedBeforeAnythingIsMade() throws Exception {
        ip("link", "add", "d0", "type", "veth", "peer", "name", "d0p");
        ip("addr", "add", "192.168.50.1/24", "dev", "d0");
        ip("link", "set", "d0p", "up");
        ip("link", "set", "d0", "up");
        ip("route", "add", "172.30.0.0/16", "dev", "d0");
        refused("a", NetworkMode.bridge().name("nsov").subnet("192.168.50.0/28"), "192.168.50.1/24", "d0", "192.168.50.0/28");
        refused("b", NetworkMode.bridge().name("nsov").subnet("192.168.0.0/16"), "192.168.50.1/24");
        refused("c", NetworkMode.bridge().name("nsov").subnet("172.30.5.0/24"), "route 172.30.0.0/16", "d0");
        try (Sandbox a = lab.create(p + "ok", NetworkMode.bridge().name("nsa").subnet("10.77.0.0/24"))) {
            refused("d", NetworkMode.bridge().name("nsb").subnet("10.77.0.0/25"), "bridge nsa", "10.77.0.1/24");
            // the network itself is used again, whoever made it
            try (Sandbox again = lab.create(p + "again", NetworkMode.bridge().name("nsa").subnet("10.77.0.0/24"))) {
                assertEquals("10.77.0.3", again.addresses().get(0).getHostAddress());
            }
        }
    }

    @Test
    void aLinkOfAnotherKindIsNotAdoptedAsTheBridge() throws Exception {
        ip("link", "add", "nsveth", "type", "veth", "peer", "name", "nsvethp");
        ip("addr", "add", "10.78.0.1/24", "dev", "nsveth");
        refused("v", NetworkMode.bridge().name("nsveth"), "'nsveth'", "veth", "not a bridge");
        refused("w", NetworkMode.bridge().name("nsvethp"), "'nsvethp'", "veth", "not a bridge");
    }

    @Test
    void noAddressAHostInterfaceHoldsIsLeased() throws Exception {
        // A bridge netns did not make, whose gateway is .6 of a /29: .0 network, .1 reserved, .7 broadcast.
        ip("link", "add", "nsgw", "type", "bridge");
        ip("addr", "add", "10.79.0.6/29", "dev", "nsgw");
        ip("link", "set", "nsgw", "up");
        BridgeMode mode = NetworkMode.bridge().name("nsgw");
        NetnsException wanted = assertThrows(NetnsException.class, () -> lab.create(p + "x", mode.ip("10.79.0.6")));
        assertTrue(wanted.getMessage().contains("10.79.0.6") && wanted.getMessage().contains("held by an interface"),
                wanted.getMessage());
        List<Sandbox> made = new ArrayList<>();
        try {
            for (int i = 0; i < 4; i++) {
                made.add(lab.create(p + "s" + i, mode));
            }
            List<String> ips = new ArrayList<>();
            for (Sandbox s : made) {
                ips.add(s.addresses().get(0).getHostAddress());
            }
            assertEquals(List.of("10.79.0.2", "10.79.0.3", "10.79.0.4", "10.79.0.5"), ips);
            NetnsException full = assertThrows(NetnsException.class, () -> made.add(lab.create(p + "s4", mode)));
            assertTrue(full.getMessage().contains("exhausted"), full.getMessage());
            String route = Cmd.run("ip", "-n", p + "s0", "route", "show", "default");
            assertTrue(route.contains("via 10.79.0.6"), route);
        } finally {
            for (Sandbox s : made) {
                s.close();
            }
        }
    }
}
