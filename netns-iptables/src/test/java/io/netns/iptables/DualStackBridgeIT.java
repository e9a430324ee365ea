package io.netns.iptables;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netns.Host;
import io.netns.NetNamespace;
import io.netns.NetworkMode;
import io.netns.Sandbox;
import io.netns.testing.Cmd;
import io.netns.testing.TestLab;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Dual-stack bridge sandboxes end to end, through {@code Host.create(..., NetworkMode.bridge().ipv6()...)}
 * on a lab host: published ports in both families and on one IPv6 address, NAT66 on and off as an
 * upstream sees it, every rule gone after close. Real TCP from a client namespace that also plays the
 * upstream router; the host's FORWARD policies are DROP.
 *
 * <pre>
 *   client (192.0.2.2, fd00:1::2) --- veth --- lab host (192.0.2.1, fd00:1::1) --- bridges --- sandboxes
 * </pre>
 */
@Timeout(120)
class DualStackBridgeIT {
    static final String HOST4 = "192.0.2.1";
    static final String HOST6 = "fd00:1::1";
    static final String CLIENT4 = "192.0.2.2";
    static final String CLIENT6 = "fd00:1::2";

    @RegisterExtension
    final TestLab testLab = new TestLab("dsbr");
    private Host host;
    private NetNamespace client;
    private Lab servers;

    @BeforeEach
    void setUp() throws Exception {
        host = testLab.host();
        client = testLab.namespace("client");
        servers = new Lab(testLab); // only its servers, closed with the test
        Lab.wireClient(host, client); // HOST4/HOST6 on the host, CLIENT4/CLIENT6 in the client
        Cmd.in(host.id(), "iptables", "-P", "FORWARD", "DROP");
        Cmd.in(host.id(), "ip6tables", "-P", "FORWARD", "DROP");
    }

    private static InetAddress ip(String s) throws Exception {
        return InetAddress.getByName(s);
    }

    private static InetAddress v6(Sandbox s) throws Exception {
        return s.addresses().stream().filter(a -> a instanceof Inet6Address).findFirst().orElseThrow();
    }

    @Test
    void aPublishedPortAnswersInBothFamiliesAndGoesWithTheSandbox() throws Exception {
        String net = "dsb0"; // a bridge of the lab host: no other run sees it
        String tag = "netns:" + host.id() + "/sandbox/" + testLab.name("web");
        try (Sandbox web = host.create(testLab.name("web"), NetworkMode.bridge().name(net).subnet("10.89.51.0/24")
                .subnet6("fd00:89:51::/64").publish(8080, 80))) {
            assertEquals(List.of(ip("10.89.51.2"), ip("fd00:89:51::2")), web.addresses());
            // usable at once: no address of the bridge tentative (else the host cannot solicit the sandbox)
            assertEquals("", Cmd.run("ip", "-n", host.id(), "-6", "addr", "show", "dev", net, "tentative").strip());
            servers.echoRemote(web.namespace(), "::", 80);
            assertEquals(ip(CLIENT4), ip(Lab.connect(client, HOST4, 8080)));
            assertEquals(ip(CLIENT6), ip(Lab.connect(client, HOST6, 8080)));
            assertEquals(ip(HOST6), ip(Lab.connect(host.namespace(), HOST6, 8080)), "from the host itself");
            assertEquals(ip("10.89.51.1"), ip(Lab.connect(host.namespace(), "127.0.0.1", 8080)));
            assertEquals(Lab.Outcome.REFUSED, Lab.attempt(host.namespace(), "::1", 8080, 1000));
            // NAT66 by default: the upstream sees the host's address
            servers.echoRemote(client, "::", 9000);
            assertEquals(ip(HOST6), ip(Lab.connect(web.namespace(), CLIENT6, 9000)));
            assertEquals(ip(HOST4), ip(Lab.connect(web.namespace(), CLIENT4, 9000)));

            // a second sandbox of the network publishes on the host's IPv6 address only
            try (Sandbox one = host.create(testLab.name("one"), NetworkMode.bridge().name(net).publish("[" + HOST6 + "]",
                    8081, 80))) {
                servers.echoRemote(one.namespace(), "::", 80);
                assertEquals(ip(CLIENT6), ip(Lab.connect(client, HOST6, 8081)));
                assertEquals(Lab.Outcome.REFUSED, Lab.attempt(client, HOST4, 8081, 1000));
                // hairpin: a sandbox of the bridge to the other's published port, in both families
                assertEquals(ip("fd00:89:51::1"), ip(Lab.connect(one.namespace(), HOST6, 8080)));
                assertEquals(ip("10.89.51.1"), ip(Lab.connect(one.namespace(), HOST4, 8080)));
            }
            assertTrue(Cmd.in(host.id(), "nft", "list", "table", "ip6", "netns").contains(tag));
        }
        assertFalse(Cmd.in(host.id(), "nft", "list", "table", "ip6", "netns").contains(tag), "the DNAT went with close");
        assertFalse(Cmd.in(host.id(), "nft", "list", "table", "ip", "netns").contains(tag));
        assertEquals(Lab.Outcome.REFUSED, Lab.attempt(client, HOST6, 8080, 1000));
    }

    /**
     * README's "the sandbox itself, to the host's address": a sandbox reaches its own published port through
     * the host's addresses in both families, because its bridge port is in hairpin mode. Where
     * {@code br_netfilter} makes the bridge call iptables (this lab's default where the module is loaded),
     * the DNAT happens at the bridge and the SYN must leave by the port it came in on. Hairpin mode reflects
     * the sandbox's own multicast to it as well: its link-local address must still pass duplicate address
     * detection, and neighbour discovery between two sandboxes must still work.
     */
    @Test
    void theSandboxReachesItsOwnPublishedPortThroughTheHostsAddress() throws Exception {
        String net = "dsh0";
        try (Sandbox web = host.create(testLab.name("web"), NetworkMode.bridge().name(net).ipv6().subnet("10.89.53.0/24")
                .subnet6("fd00:89:53::/64").publish(8080, 80));
                Sandbox other = host.create(testLab.name("o"), NetworkMode.bridge().name(net))) {
            // every port of the network's bridge is in hairpin mode, read by iproute2 from the host
            String ports = Cmd.run("ip", "-n", host.id(), "-d", "-j", "link", "show", "master", net);
            assertEquals(2, ports.split("\"hairpin\":true", -1).length - 1, ports);
            assertFalse(ports.contains("\"hairpin\":false"), ports);

            servers.echoRemote(web.namespace(), "::", 80);
            assertEquals(ip("10.89.53.1"), ip(Lab.connect(web.namespace(), HOST4, 8080)), "hairpin to itself, IPv4");
            assertEquals(ip("fd00:89:53::1"), ip(Lab.connect(web.namespace(), HOST6, 8080)), "hairpin to itself, IPv6");

            // the link-local address of eth0 inside passed DAD (≈1–2 s after create): its own looped-back
            // solicitation did not fail it (enhanced DAD's nonce); neither tentative nor dadfailed
            for (Sandbox s : List.of(web, other)) {
                long deadline = System.nanoTime() + 10_000_000_000L;
                String addrs;
                do {
                    Thread.sleep(250);
                    addrs = Cmd.run("nsenter", "--net=" + s.namespace().path(), "ip", "-j", "-6", "addr", "show",
                            "dev", "eth0");
                } while (addrs.contains("tentative") && !addrs.contains("dadfailed") && System.nanoTime() < deadline);
                assertTrue(addrs.contains("\"local\":\"fe80::"), addrs);
                assertFalse(addrs.contains("dadfailed"), addrs);
                assertFalse(addrs.contains("tentative"), addrs);
            }
            // neighbour discovery between the two sandboxes, on their own addresses (no NAT on the bridge)
            servers.echoRemote(other.namespace(), "::", 81);
            assertEquals(v6(web), ip(Lab.connect(web.namespace(), v6(other).getHostAddress(), 81)));
            assertEquals(v6(other), ip(Lab.connect(other.namespace(), v6(web).getHostAddress(), 80)));
        }
    }

    @Test
    void nat66OffShowsTheSandboxsOwnAddressUpstream() throws Exception {
        String net = "dsr0";
        Cmd.run("ip", "-n", client.name(), "-6", "route", "add", "fd00:89:52::/64", "via", HOST6); // routed back
        servers.echoRemote(client, "::", 9000);
        try (Sandbox s = host.create(testLab.name("r"), NetworkMode.bridge().name(net).subnet("10.89.52.0/24")
                .subnet6("fd00:89:52::/64").nat66(false))) {
            assertEquals(v6(s), ip(Lab.connect(s.namespace(), CLIENT6, 9000)), "routed: the sandbox's own address");
            assertEquals(ip(HOST4), ip(Lab.connect(s.namespace(), CLIENT4, 9000)), "IPv4 is masqueraded all the same");
            String save6 = Cmd.in(host.id(), "ip6tables-save");
            assertFalse(save6.contains("-s fd00:89:52::/64 ! -o " + net), save6);
            // a new connection from outside to the sandbox's own address meets the FORWARD policy
            servers.echoRemote(s.namespace(), "::", 80);
            assertEquals(Lab.Outcome.TIMED_OUT, Lab.attempt(client, v6(s).getHostAddress(), 80, 1000));
            // the network keeps its choice: another mode asking NAT66 of it is refused, one not asking joins
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> host.create(testLab.name("x"), NetworkMode.bridge().name(net).nat66(true)));
            assertTrue(e.getMessage().contains("NAT66 off"), e.getMessage());
            try (Sandbox joined = host.create(testLab.name("j"), NetworkMode.bridge().name(net))) {
                assertEquals(v6(joined), ip(Lab.connect(joined.namespace(), CLIENT6, 9000)));
            }
            // reconcile after a flush keeps the network routed
            Cmd.in(host.id(), "nft", "flush", "ruleset");
            host.reconcile();
            assertFalse(Cmd.in(host.id(), "ip6tables-save").contains("-s fd00:89:52::/64 ! -o " + net));
            assertEquals(v6(s), ip(Lab.connect(s.namespace(), CLIENT6, 9000)));
        }
    }

    /**
     * Isolation between dual-stack networks holds in IPv6 as in IPv4, and {@code connectTo} opens both
     * families.
     */
    @Test
    void networksAreIsolatedInIpv6TooUntilConnected() throws Exception {
        try (Sandbox a = host.create(testLab.name("a"), NetworkMode.bridge().name("dsa0").subnet("10.89.61.0/24")
                .subnet6("fd00:89:61::/64"));
                Sandbox b = host.create(testLab.name("b"), NetworkMode.bridge().name("dsb1").subnet("10.89.62.0/24")
                        .subnet6("fd00:89:62::/64"))) {
            servers.echoRemote(a.namespace(), "::", 80);
            assertEquals(Lab.Outcome.TIMED_OUT, Lab.attempt(b.namespace(), v6(a).getHostAddress(), 80, 1000));
            assertEquals(Lab.Outcome.TIMED_OUT, Lab.attempt(b.namespace(), "10.89.61.2", 80, 1000));
            try (Sandbox c = host.create(testLab.name("c"), NetworkMode.bridge().name("dsc0").subnet("10.89.63.0/24")
                    .subnet6("fd00:89:63::/64").connectTo("dsa0"))) {
                // (masqueraded like all traffic leaving a network's bridge, in both families)
                assertEquals(ip("fd00:89:61::1"), ip(Lab.connect(c.namespace(), v6(a).getHostAddress(), 80)), "connected");
                assertEquals(ip("10.89.61.1"), ip(Lab.connect(c.namespace(), "10.89.61.2", 80)), "and IPv4");
                assertTrue(Cmd.in(host.id(), "ip6tables-save").contains("-A NETNS-ISOLATION -i dsc0 -o dsa0"));
            }
            assertEquals(Lab.Outcome.TIMED_OUT, Lab.attempt(b.namespace(), v6(a).getHostAddress(), 80, 1000));
        }
    }
}
