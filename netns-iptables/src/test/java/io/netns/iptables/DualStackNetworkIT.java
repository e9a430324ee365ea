package io.netns.iptables;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netns.BridgeMode;
import io.netns.Host;
import io.netns.NetNamespace;
import io.netns.NetworkMode;
import io.netns.Sandbox;
import io.netns.testing.TestLab;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Issue 17 items 1 and 5, with the firewall module present: a dual-stack bridge network gets its network
 * rules in both families (ip6tables for its IPv6 subnet), {@link Host#reconcile()} restores both families'
 * rules and IPv6 forwarding after someone flushed them, and closing the host removes both families' rules.
 * Checked with {@code iptables-save}, {@code ip6tables-save} and {@code /proc/sys}.
 */
@Timeout(120)
class DualStackNetworkIT {
    @RegisterExtension
    final TestLab testLab = new TestLab("ipdual");

    private static List<String> tagged(String save, String tag) {
        return save.lines().filter(l -> l.contains(tag)).sorted().toList();
    }

    @Test
    void bothFamiliesRulesAreMadeReconciledAndRemoved() throws Exception {
        Host lab = testLab.host();
        NetNamespace labNs = lab.namespace();
        String subnet6 = BridgeMode.defaultSubnet6("netns0");
        String tag = "netns:" + lab.id() + "/network/netns0";
        try (Sandbox s = lab.create(testLab.name("s"), NetworkMode.bridge().ipv6())) {
            String v4 = Lab.exec(labNs, "iptables-save");
            String v6 = Lab.exec(labNs, "ip6tables-save");
            assertTrue(tagged(v4, tag).stream().anyMatch(l -> l.contains("10.89.0.0/24")), v4);
            assertTrue(tagged(v6, tag).stream().anyMatch(l -> l.contains(subnet6)), "IPv6 network rules:\n" + v6);
            assertFalse(tagged(v4, tag).stream().anyMatch(l -> l.contains(subnet6)), v4);
            assertEquals(List.of(), lab.reconcile(), "nothing missing");
            List<String> before6 = tagged(v6, tag);
            List<String> before4 = tagged(v4, tag);

            // someone flushes both families' firewall and turns IPv6 forwarding off
            Lab.exec(labNs, "nft", "flush", "ruleset");
            Lab.exec(labNs, "sysctl", "-w", "net.ipv6.conf.all.forwarding=0");
            assertTrue(tagged(Lab.exec(labNs, "ip6tables-save"), tag).isEmpty());

            List<String> changed = lab.reconcile();
            assertTrue(changed.contains("sysctl net.ipv6.conf.all.forwarding=1"), changed.toString());
            assertEquals("1", Lab.exec(labNs, "cat", "/proc/sys/net/ipv6/conf/all/forwarding").trim());
            assertEquals(before6, tagged(Lab.exec(labNs, "ip6tables-save"), tag), "IPv6 rules back: " + changed);
            assertEquals(before4, tagged(Lab.exec(labNs, "iptables-save"), tag), "IPv4 rules back: " + changed);
            assertEquals(List.of(), lab.reconcile(), "nothing the second time");
        }
    }

    @Test
    void reconcileRepublishesBothAddressesOfADualStackSandbox() throws Exception {
        Host lab = testLab.host();
        NetNamespace labNs = lab.namespace();
        try (Sandbox s = lab.create(testLab.name("w"), NetworkMode.bridge().name("nsrp").subnet("10.89.72.0/24")
                .subnet6("fd89:0:0:72::/64").publish(8072, 80))) {
            String path = labNs.path().toString();
            assertTrue(Leftovers.nat(path, "ip6").contains("fd89:0:0:72::2"), Leftovers.nat(path, "ip6"));
            assertTrue(Leftovers.nat(path, "ip").contains("10.89.72.2"), Leftovers.nat(path, "ip"));
            Lab.exec(labNs, "nft", "flush", "ruleset");
            assertFalse(Leftovers.nat(path, "ip6").contains("fd89:0:0:72::2"));
            List<String> changed = lab.reconcile();
            assertTrue(Leftovers.nat(path, "ip6").contains("fd89:0:0:72::2"), "IPv6 DNAT back: " + changed);
            assertTrue(Leftovers.nat(path, "ip").contains("10.89.72.2"), "IPv4 DNAT back: " + changed);
            assertEquals(List.of(), lab.reconcile(), "nothing the second time");
        }
    }

    @Test
    void aPlainHostRemovesBothFamiliesNetworkRulesWhenItCloses() throws Exception {
        Host host = testLab.plainHost();
        NetNamespace ns = host.namespace();
        String tag = "netns:" + host.id() + "/network/nsdual";
        try (Sandbox s = host.create(testLab.name("p"), NetworkMode.bridge().name("nsdual").subnet("10.89.71.0/24")
                .subnet6("fd89:0:0:71::/64"))) {
            assertFalse(tagged(Lab.exec(ns, "ip6tables-save"), tag).isEmpty());
        }
        // the kernel destroys a closed sandbox's veth lazily; a network goes once no port of its bridge is left
        assertEquals(List.of(), Leftovers.vethsSettled(ns.name(), List.of()), "veths left");
        host.close();
        assertEquals(List.of(), tagged(Lab.exec(ns, "ip6tables-save"), tag));
        assertEquals(List.of(), tagged(Lab.exec(ns, "iptables-save"), tag));
        assertFalse(Lab.exec(ns, "ip", "-6", "addr").contains("fd89:0:0:71::1"), "the gateway went with the bridge");
    }
}
