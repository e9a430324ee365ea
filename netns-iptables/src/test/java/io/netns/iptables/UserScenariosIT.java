package io.netns.iptables;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netns.Host;
import io.netns.NetNamespace;
import io.netns.NetworkMode;
import io.netns.PublishedPort;
import io.netns.Sandbox;
import io.netns.testing.Cmd;
import io.netns.testing.TestLab;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Issues 17 and 18 as a user meets them: {@code Host.create(name, NetworkMode.bridge()...)} on a lab host
 * with Docker's {@code -p} text and dual-stack networks, real TCP from a client namespace behind the host's
 * own address, and everything checked gone afterwards with the tools ({@code ip -n}, {@code nft list
 * ruleset}, {@code ip6tables-save}) and the files under {@code /run/netns.d}.
 *
 * <pre>
 *   client (192.0.2.2, fd00:1::2) --- veth --- lab host (192.0.2.1, fd00:1::1) --- bridge --- sandboxes
 * </pre>
 */
@Timeout(180)
class UserScenariosIT {
    static final String HOST4 = "192.0.2.1";
    static final String HOST6 = "fd00:1::1";
    static final String CLIENT4 = "192.0.2.2";
    static final String CLIENT6 = "fd00:1::2";

    @RegisterExtension
    final TestLab testLab = new TestLab("usr");
    private Host host;
    private NetNamespace client;
    private Lab servers;

    @BeforeEach
    void setUp() throws Exception {
        host = testLab.host();
        client = testLab.namespace("client");
        servers = new Lab(testLab); // only its servers, closed with the test
        Lab.wireClient(host, client); // HOST4/HOST6 on the host, CLIENT4/CLIENT6 in the client
    }

    private static InetAddress ip(String s) throws Exception {
        return InetAddress.getByName(s);
    }

    /** @return the files under {@code /run/netns.d/<dir>/<lab host>}, as paths relative to that directory */
    private List<String> stateFiles(String dir) throws Exception {
        Path root = Path.of("/run/netns.d", dir, host.id());
        if (!Files.exists(root)) {
            return List.of();
        }
        try (Stream<Path> s = Files.walk(root)) {
            return s.filter(Files::isRegularFile).map(p -> root.relativize(p).toString()).sorted().toList();
        }
    }

    /** @return the names of the lab host's veths, read with {@code ip -o link show type veth} */
    private List<String> veths() throws Exception {
        return Cmd.run("ip", "-n", host.id(), "-o", "link", "show", "type", "veth").lines()
                .map(l -> l.split(":\\s+")[1].split("@")[0]).sorted().toList();
    }

    /** @return the lab host's address lease files under {@code /run/netns.d/ipam} */
    private List<String> leases() throws Exception {
        return Cmd.run("sh", "-c", "find /run/netns.d/ipam/" + host.id() + " -type f 2>/dev/null | sort").lines().toList();
    }

    private String tag(String sandbox) {
        return "netns:" + host.id() + "/sandbox/" + sandbox;
    }

    private String ruleset() throws Exception {
        return Cmd.in(host.id(), "nft", "list", "ruleset") + Cmd.in(host.id(), "ip6tables-save")
                + Cmd.in(host.id(), "iptables-save");
    }

    @Test
    void aDockerRangeCarriesRealTrafficFromAClientToAPortInsideIt() throws Exception {
        String name = testLab.name("rng");
        try (Sandbox s = host.create(name, NetworkMode.bridge().publish("8000-8099:8000-8099"))) {
            servers.echoRemote(s.namespace(), "0.0.0.0", 8050);
            servers.echoRemote(s.namespace(), "0.0.0.0", 8000);
            servers.echoRemote(s.namespace(), "0.0.0.0", 8099);
            assertEquals(ip(CLIENT4), ip(Lab.connect(client, HOST4, 8050)), "port 8050 inside the range");
            assertEquals(ip(CLIENT4), ip(Lab.connect(client, HOST4, 8000)), "the range's first port");
            assertEquals(ip(CLIENT4), ip(Lab.connect(client, HOST4, 8099)), "the range's last port");
            assertEquals(Lab.Outcome.REFUSED, Lab.attempt(client, HOST4, 8100, 1000), "8100 is not published");
            assertEquals(List.of(PublishedPort.parse("8000-8099:8000-8099")), s.published());
            assertFalse(stateFiles("port-ranges").isEmpty(), "one range claim");
        }
        assertEquals(Lab.Outcome.REFUSED, Lab.attempt(client, HOST4, 8050, 1000), "closed: gone");
        assertFalse(ruleset().contains(tag(name)), "no element of the sandbox is left");
        assertEquals(List.of(), stateFiles("port-ranges"), "no range claim is left");
    }

    @Test
    void aChoiceShowsItsPortInPublishedAndAnOverlappingRangeLeavesNothingOfItself() throws Exception {
        String web = testLab.name("web");
        try (Sandbox s = host.create(web, NetworkMode.bridge().publish("9000-9010:80"))) {
            servers.echoRemote(s.namespace(), "0.0.0.0", 80);
            PublishedPort chosen = s.published().get(0);
            assertFalse(chosen.choosesHostPort(), chosen.toString());
            assertEquals(9000, chosen.hostPort(), "the first free port of the range, as Docker picks it");
            assertEquals(80, chosen.containerPort());
            assertEquals(ip(CLIENT4), ip(Lab.connect(client, HOST4, chosen.hostPort())));
            assertEquals(Lab.Outcome.REFUSED, Lab.attempt(client, HOST4, 9001, 1000), "only the chosen port");

            List<String> links = veths();
            List<String> claims = stateFiles("ports");
            List<String> ranges = stateFiles("port-ranges");
            List<String> leases = leases();
            String bad = testLab.name("bad");
            // a second sandbox whose range overlaps the first's chosen port fails, leaving nothing of itself
            Exception e = assertThrows(Exception.class,
                    () -> host.create(bad, NetworkMode.bridge().publish("8995-9005:8995-9005")));
            assertTrue(e.getMessage().contains("9000"), "names the port in conflict: " + e.getMessage());
            assertFalse(Files.exists(NetNamespace.NETNS_DIR.resolve(bad)), "no namespace of the failed sandbox");
            assertFalse(Files.exists(Path.of("/run/netns.d/sandboxes", bad)), "no owner record");
            assertEquals(links, veths(), "no veth left");
            assertEquals(claims, stateFiles("ports"), "no port claim left");
            assertEquals(ranges, stateFiles("port-ranges"), "no range claim left");
            assertEquals(leases, leases(),
                    "no address lease left");
            assertFalse(ruleset().contains(tag(bad)), "no element of the failed sandbox");
            assertEquals(ip(CLIENT4), ip(Lab.connect(client, HOST4, chosen.hostPort())), "the first still works");

            // the same name can be used at once
            try (Sandbox again = host.create(bad, NetworkMode.bridge().publish("9001-9005:9001-9005"))) {
                assertEquals(1, again.published().size());
            }
        }
        assertFalse(ruleset().contains(tag(web)));
        assertEquals(List.of(), stateFiles("ports"));
        assertEquals(List.of(), stateFiles("port-ranges"));
    }

    @Test
    void aDefaultDualStackSandboxIsReachedInBothFamiliesAndLeavesNothing() throws Exception {
        String name = testLab.name("ds");
        List<String> vethsBefore = veths();
        Lab server = new Lab(testLab); // closed before the veth check: its socket would keep the namespace
        try (Sandbox s = host.create(name, NetworkMode.bridge().ipv6().publish(8080, 80))) {
            List<InetAddress> addrs = s.addresses();
            assertEquals(2, addrs.size(), addrs.toString());
            assertTrue(addrs.get(0) instanceof Inet4Address && addrs.get(1) instanceof Inet6Address, addrs.toString());
            // the sandbox's own view of its addresses agrees, read inside it
            String inside = Lab.exec(s.namespace(), "ip", "-o", "addr", "show", "dev", "eth0");
            String global = inside.lines().filter(l -> l.contains(io.netns.internal.Inet.toText(addrs.get(1)) + "/64"))
                    .findFirst().orElseThrow(() -> new AssertionError(inside));
            assertFalse(global.contains("tentative"), "usable at once: " + inside);
            assertTrue(Lab.exec(s.namespace(), "ip", "-6", "route", "show", "default").contains("via"),
                    "an IPv6 default route");
            server.echoRemote(s.namespace(), "::", 80);
            assertEquals(ip(CLIENT6), ip(Lab.connect(client, HOST6, 8080)), "over IPv6");
            assertEquals(ip(CLIENT4), ip(Lab.connect(client, HOST4, 8080)), "over IPv4");
            assertTrue(ruleset().contains(tag(name)));
        }
        assertEquals(Lab.Outcome.REFUSED, Lab.attempt(client, HOST6, 8080, 1000));
        assertEquals(Lab.Outcome.REFUSED, Lab.attempt(client, HOST4, 8080, 1000));
        String after = ruleset();
        assertFalse(after.contains(tag(name)), after);
        assertEquals(List.of(), stateFiles("ports"));
        server.close();
        // the veth dies with the sandbox's namespace, which the kernel destroys shortly after close (BridgeSetup)
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (!veths().equals(vethsBefore) && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertEquals(vethsBefore, veths(), "the sandbox's veth is gone (the network's bridge stays)");
    }

    @Test
    void dualStackRangesAndChoicesAnswerInBothFamiliesOnTheSamePorts() throws Exception {
        try (Sandbox s = host.create(testLab.name("dsr"), NetworkMode.bridge().ipv6()
                .publish("8000-8099:8000-8099").publish("9000-9010:80").publish("81"))) {
            for (int port : List.of(8000, 8050, 8099, 80, 81)) {
                servers.echoRemote(s.namespace(), "::", port);
            }
            List<PublishedPort> got = s.published();
            assertEquals(3, got.size(), got.toString());
            int choice = got.get(1).hostPort();
            int any = got.get(2).hostPort();
            assertTrue(choice >= 9000 && choice <= 9010 && any > 0 && !got.get(2).choosesHostPort(), got.toString());
            for (int port : List.of(8000, 8050, 8099, choice, any)) {
                assertEquals(ip(CLIENT6), ip(Lab.connect(client, HOST6, port)), "[" + HOST6 + "]:" + port);
                assertEquals(ip(CLIENT4), ip(Lab.connect(client, HOST4, port)), HOST4 + ":" + port);
            }
        }
        assertEquals(Lab.Outcome.REFUSED, Lab.attempt(client, HOST6, 8050, 1000));
        assertEquals(List.of(), stateFiles("ports"));
        assertEquals(List.of(), stateFiles("port-ranges"));
    }

    @Test
    void theSamePortInEachFamilyGoesToTwoSandboxesAsInDocker() throws Exception {
        // README: "a host address chooses the family, as in Docker": 0.0.0.0 every IPv4 address, :: every
        // IPv6 address; so, as with docker run -p 0.0.0.0:8090:80 and -p [::]:8090:80, both are published
        try (Sandbox four = host.create(testLab.name("four"), NetworkMode.bridge().ipv6().publish("0.0.0.0:8090:80"));
                Sandbox six = host.create(testLab.name("six"), NetworkMode.bridge().ipv6().publish("[::]:8090:80"))) {
            servers.echoRemote(four.namespace(), "::", 80);
            servers.echoRemote(six.namespace(), "::", 80);
            String four4 = io.netns.internal.Inet.toText(four.addresses().get(0));
            assertEquals(ip(CLIENT4), ip(Lab.connect(client, HOST4, 8090)), "IPv4 to the first");
            assertEquals(ip(CLIENT6), ip(Lab.connect(client, HOST6, 8090)), "IPv6 to the second");
            String v4 = Cmd.in(host.id(), "nft", "list", "table", "ip", "netns");
            String v6 = Cmd.in(host.id(), "nft", "list", "table", "ip6", "netns");
            assertTrue(v4.contains(tag(four.name())) && !v4.contains(tag(six.name())), v4);
            assertTrue(v6.contains(tag(six.name())) && !v6.contains(tag(four.name())), v6);
            assertTrue(v4.contains(four4), v4);
            // a third asking both families of that port overlaps each
            String both = testLab.name("both");
            Exception e = assertThrows(Exception.class,
                    () -> host.create(both, NetworkMode.bridge().ipv6().publish("8090:80")));
            assertTrue(e.getMessage().contains("8090"), e.getMessage());
            assertFalse(ruleset().contains(tag(both)));
        }
        assertEquals(List.of(), stateFiles("ports"));
    }

    @Test
    void udpTextPublishesInBothFamiliesAndOnOneIpv6Address() throws Exception {
        try (Sandbox dns = host.create(testLab.name("dns"), NetworkMode.bridge().ipv6()
                .publish("5353:53/udp").publish("[" + HOST6 + "]:5354:54/udp"))) {
            servers.udpEchoRemote(dns.namespace(), "::", 53);
            servers.udpEchoRemote(dns.namespace(), "::", 54);
            assertEquals("[udp *:5353->53, udp [" + HOST6 + "]:5354->54]", dns.published().toString());
            assertEquals(ip(CLIENT6), ip(Lab.udp(client, HOST6, 5353, 2000)), "udp over IPv6");
            assertEquals(ip(CLIENT4), ip(Lab.udp(client, HOST4, 5353, 2000)), "udp over IPv4");
            assertEquals(ip(CLIENT6), ip(Lab.udp(client, HOST6, 5354, 2000)), "udp on the one IPv6 address");
            assertEquals(null, Lab.udp(client, HOST4, 5354, 500), "not on IPv4");
        }
        assertEquals(null, Lab.udp(client, HOST6, 5353, 500), "closed: gone");
    }

    @Test
    void aDualStackPortWhoseIpv6HalfIsTakenLeavesNeitherFamily() throws Exception {
        // a host program holds [fd00:1::1]:8085, an IPv6 address of the host; the IPv4 side of 8085 is free
        java.net.ServerSocket held = testLab.closeLater(host.namespace().call(() -> {
            java.net.ServerSocket ss = new java.net.ServerSocket();
            ss.bind(new java.net.InetSocketAddress(InetAddress.getByName(HOST6), 8085));
            return ss;
        }));
        assertTrue(Cmd.in(host.id(), "ss", "-Hltn").contains("[" + HOST6 + "]:8085"), "held in IPv6");
        String name = testLab.name("half");
        List<String> vethsBefore = veths();
        Exception e = assertThrows(Exception.class,
                () -> host.create(name, NetworkMode.bridge().ipv6().publish(8085, 80)));
        assertTrue(e.getMessage().contains("8085"), e.getMessage());
        assertFalse(ruleset().contains(tag(name)), "neither family's element is left");
        assertEquals(List.of(), stateFiles("ports"), "no claim");
        assertEquals(List.of(), leases(), "no lease of either family");
        assertFalse(Files.exists(NetNamespace.NETNS_DIR.resolve(name)), "no namespace");
        assertEquals(vethsBefore, veths(), "no veth");
        assertEquals(Lab.Outcome.REFUSED, Lab.attempt(client, HOST4, 8085, 1000), "no IPv4 DNAT either");
    }

    @Test
    void loopbackIpv6TextIsRefusedAtCreateAsDocumentedLeavingNothing() throws Exception {
        // README: "::1 ... refused": the kernel drops a DNAT from ::1 (IPv6 has no route_localnet)
        List<String> vethsBefore = veths();
        for (NetworkMode mode : List.of(NetworkMode.bridge().ipv6().publish("[::1]:8080:80"),
                NetworkMode.bridge().ipv6().publish("::1:8080:80"),
                NetworkMode.bridge().name("v4only").subnet("10.89.7.0/24").publish("[fd00:1::1]:8080:80"))) {
            // the last: a family the network does not have
            String name = testLab.name("lo6");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> host.create(name, mode),
                    mode.toString());
            assertTrue(e.getMessage().contains("::1"), e.getMessage());
            assertFalse(Files.exists(NetNamespace.NETNS_DIR.resolve(name)), "no namespace: " + mode);
            assertFalse(Files.exists(Path.of("/run/netns.d/sandboxes", name)), "no owner record");
            assertFalse(ruleset().contains(tag(name)), "no rule");
            assertEquals(List.of(), stateFiles("ports"), "no claim");
            assertEquals(List.of(), leases(), "no lease");
            assertEquals(vethsBefore, veths(), "no veth: " + mode);
        }
    }

    @Test
    void anIpv6SubnetOverlappingTheHostIsRefusedNamingBothAndMakesNothing() throws Exception {
        List<String> linksBefore = Cmd.run("ip", "-n", host.id(), "-o", "link", "show").lines()
                .map(l -> l.split(":\\s+")[1].split("@")[0]).toList();
        for (String subnet : List.of("fd00:1::/64", "fd00:1::/48")) { // the host's fd00:1::1/64, inside and around
            String name = testLab.name("ov");
            // as for an IPv4 subnet: a NetnsException (the host's state, not the text, is in the way)
            io.netns.NetnsException e = assertThrows(io.netns.NetnsException.class, () -> host.create(name,
                    NetworkMode.bridge().name("ov6").subnet6(subnet)), subnet);
            assertTrue(e.getMessage().contains(subnet) && e.getMessage().contains("fd00:1::"), e.getMessage());
            assertFalse(Files.exists(NetNamespace.NETNS_DIR.resolve(name)), "no namespace");
            assertEquals(linksBefore, Cmd.run("ip", "-n", host.id(), "-o", "link", "show").lines()
                    .map(l -> l.split(":\\s+")[1].split("@")[0]).toList(), "no bridge, no veth");
            assertEquals(List.of(), leases(), "no lease");
        }
    }

    @Test
    void badTextIsRefusedNamingTheValueAndTheRuleAndCreatesNothing() throws Exception {
        assertRefused("9000-9010:80-85", "range");
        assertRefused("70000:80", "70000");
        assertRefused("8080:80/sctp", "sctp");
        assertRefused("8080:0", "0");
        assertRefused("", "");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> NetworkMode.bridge().subnet6("fe80::/64"));
        assertTrue(e.getMessage().contains("fe80::/64"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> NetworkMode.bridge().subnet6("10.0.0.0/24"));
        assertTrue(e.getMessage().contains("10.0.0.0/24"), e.getMessage());
    }

    private void assertRefused(String text, String named) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> NetworkMode.bridge().publish(text), text);
        assertTrue(e.getMessage().contains(text) && e.getMessage().contains(named),
                "names the text '" + text + "' and '" + named + "': " + e.getMessage());
    }
}
