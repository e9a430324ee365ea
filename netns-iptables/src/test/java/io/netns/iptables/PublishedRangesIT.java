package io.netns.iptables;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netns.Firewall.Need;
import io.netns.Firewall.Owner;
import io.netns.NetnsException;
import io.netns.Protocol;
import io.netns.PublishedPort;
import io.netns.testing.TestLab;
import java.net.InetAddress;
import java.nio.file.Files;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Issue 18 items 1 and 3: published ranges are one interval element each (one claim each), choices take the
 * first free host port of their range, and real TCP and UDP traffic goes through single ports, ranges and
 * choices; nft shows the maps, their tagged elements and a constant number of rules.
 */
@Timeout(120)
class PublishedRangesIT {
    @RegisterExtension
    final TestLab testLab = new TestLab("iptrange");
    private Lab lab;
    private IptablesFirewall fw;
    private Owner web;
    private Owner other;

    @BeforeEach
    void setUp() throws Exception {
        lab = new Lab(testLab);
        lab.start();
        fw = new IptablesFirewall();
        fw.addNetwork(lab.host, Owner.network(lab.host.name(), Lab.BRIDGE), Lab.BRIDGE, Lab.SUBNET);
        web = Owner.sandbox(lab.host.name(), "web");
        other = Owner.sandbox(lab.host.name(), "other");
    }

    @AfterEach
    void tearDown() throws Exception {
        if (lab != null) {
            lab.close();
        }
    }

    private String netns() {
        return lab.host.path().toString();
    }

    private static InetAddress ip(String s) throws Exception {
        return InetAddress.getByName(s);
    }

    @Test
    void tcpAndUdpGoThroughAPortARangeAndAChoice() throws Exception {
        for (int port : new int[] {80, 8000, 8050, 8099, 8100, 81}) {
            lab.echoRemote(lab.sbx, "0.0.0.0", port);
        }
        for (int port : new int[] {53, 7000, 7005, 7009, 7010}) {
            lab.udpEchoRemote(lab.sbx, "0.0.0.0", port);
        }
        lab.echoRemote(lab.host, "0.0.0.0", 9100); // bound on the host: the choice skips it
        fw.publish(lab.host, other, Lab.BRIDGE, ip(Lab.SBX2_IP), List.of(new PublishedPort(Protocol.TCP, null, 9101, 80)));
        List<PublishedPort> asked = List.of(
                new PublishedPort(Protocol.TCP, null, 8180, 80),
                new PublishedPort(Protocol.UDP, null, 5353, 53),
                new PublishedPort(Protocol.TCP, null, 8000, 8099, 8000, 8099),
                new PublishedPort(Protocol.UDP, ip(Lab.HOST_IP), 7000, 7009, 7000, 7009),
                new PublishedPort(Protocol.TCP, null, 9100, 9110, 81, 81),
                new PublishedPort(Protocol.TCP, null, 9102, 80));
        List<PublishedPort> published = fw.publish(lab.host, web, Lab.BRIDGE, List.of(ip(Lab.SBX_IP)), asked);
        assertEquals(asked.subList(0, 4), published.subList(0, 4), "fixed ports are published as asked");
        assertEquals(asked.get(5), published.get(5));
        assertEquals(new PublishedPort(Protocol.TCP, null, 9103, 81), published.get(4), "the first port of the range "
                + "neither bound on the host (9100), nor published by another owner (9101), nor by this call (9102)");
        System.out.println(Leftovers.nat(netns(), "ip"));

        String t = web.tag();
        assertEquals(List.of(
                "ports: udp . 5353 comment \"" + t + "\" : 10.89.0.2 . 53",
                "ports: tcp . 8180 comment \"" + t + "\" : 10.89.0.2 . 80",
                "ports: tcp . 9102 comment \"" + t + "\" : 10.89.0.2 . 80",
                "ports: tcp . 9103 comment \"" + t + "\" : 10.89.0.2 . 81",
                "port_ranges: tcp . 8000-8099 comment \"" + t + "\" : 10.89.0.2",
                "addr_port_ranges: 192.0.2.1 . udp . 7000-7009 comment \"" + t + "\" : 10.89.0.2"),
                Nft.tagged(netns(), "ip", t).stream().sorted((a, b) -> order(a) - order(b)).toList(),
                "a range is one interval element, DNATing the address only");
        assertEquals(9, Nft.rules(netns(), "ip"), "8 lookups and the localnet guard");

        // TCP: the single port, the range's first, middle and last port; not the port after it
        assertEquals(Lab.CLIENT_IP, Lab.connect(lab.client, Lab.HOST_IP, 8180));
        for (int port : new int[] {8000, 8050, 8099}) {
            assertEquals(Lab.CLIENT_IP, Lab.connect(lab.client, Lab.HOST_IP, port), "port " + port + " of the range");
            assertEquals(Lab.GATEWAY, Lab.connect(lab.host, "127.0.0.1", port), "from the host's 127.0.0.1: " + port);
            assertEquals(Lab.GATEWAY, Lab.connect(lab.sbx2, Lab.HOST_IP, port), "hairpin: " + port);
        }
        assertEquals(Lab.Outcome.REFUSED, Lab.attempt(lab.client, Lab.HOST_IP, 8100, 2000), "8100 is not published");
        // UDP: the single port, the range on the host address
        assertEquals(Lab.CLIENT_IP, Lab.udp(lab.client, Lab.HOST_IP, 5353, 3000));
        for (int port : new int[] {7000, 7005, 7009}) {
            assertEquals(Lab.CLIENT_IP, Lab.udp(lab.client, Lab.HOST_IP, port, 3000), "udp port " + port + " of the range");
        }
        assertNull(Lab.udp(lab.client, Lab.HOST_IP, 7010, 500), "7010 is not published");
        // the choice
        assertEquals(Lab.CLIENT_IP, Lab.connect(lab.client, Lab.HOST_IP, 9103));
        assertEquals(Lab.CLIENT_IP, Lab.connect(lab.client, Lab.HOST_IP, 9102));

        // removing one owner removes exactly its elements and claims; the other's port keeps working
        lab.echoRemote(lab.sbx2, "0.0.0.0", 80);
        fw.remove(lab.host, web);
        assertEquals(List.of(), Nft.tagged(netns(), "ip", t));
        assertEquals(1, Nft.tagged(netns(), "ip", other.tag()).size());
        assertEquals(Lab.CLIENT_IP, Lab.connect(lab.client, Lab.HOST_IP, 9101));
        assertNotEquals(Lab.Outcome.CONNECTED, Lab.attempt(lab.client, Lab.HOST_IP, 8050, 1000));
        assertTrue(Files.notExists(PortClaims.RANGES.resolve(lab.host.name())), "range claims released");
        fw.remove(lab.host, other);
    }

    private static int order(String element) {
        int m = element.startsWith("ports:") ? 0 : element.startsWith("port_ranges:") ? 1 : 2;
        return m * 100000 + Integer.parseInt(element.replaceAll("^.*? (tcp|udp) \\. (\\d+).*$", "$2"));
    }

    @Test
    void aRangeMappedToOtherPortsGoesPortForPort() throws Exception {
        lab.echoRemote(lab.sbx, "0.0.0.0", 90);
        lab.echoRemote(lab.sbx, "0.0.0.0", 92); // nothing on 91
        fw.publish(lab.host, web, Lab.BRIDGE, List.of(ip(Lab.SBX_IP)),
                List.of(new PublishedPort(Protocol.TCP, null, 9000, 9002, 90, 92)));
        assertEquals(3, Nft.tagged(netns(), "ip", web.tag()).size(),
                "the kernel cannot shift a port range: one element per port (not one rule)");
        assertEquals(Lab.CLIENT_IP, Lab.connect(lab.client, Lab.HOST_IP, 9000), "9000 -> 90");
        assertEquals(Lab.Outcome.REFUSED, Lab.attempt(lab.client, Lab.HOST_IP, 9001, 2000), "9001 -> 91, where nothing listens");
        assertEquals(Lab.CLIENT_IP, Lab.connect(lab.client, Lab.HOST_IP, 9002), "9002 -> 92");
        fw.remove(lab.host, web);
        assertEquals(List.of(), Nft.tagged(netns(), "ip", web.tag()));
    }

    @Test
    void aRangeClaimIsRefusedWhenItOverlapsAClaimOrABoundSocketNamingBoth() throws Exception {
        fw.publish(lab.host, other, Lab.BRIDGE, ip(Lab.SBX2_IP), List.of(new PublishedPort(Protocol.TCP, null, 8050, 80)));
        NetnsException e = assertThrows(NetnsException.class, () -> fw.publish(lab.host, web, Lab.BRIDGE,
                List.of(ip(Lab.SBX_IP)), List.of(new PublishedPort(Protocol.TCP, null, 8000, 8099, 8000, 8099))));
        assertTrue(e.getMessage().contains("8000-8099") && e.getMessage().contains("tcp 8050")
                && e.getMessage().contains(other.tag()), e.getMessage());
        // another owner's range refuses a single port inside it, and an overlapping range
        fw.publish(lab.host, other, Lab.BRIDGE, ip(Lab.SBX2_IP), List.of(new PublishedPort(Protocol.UDP, null, 7000, 7099, 7000, 7099)));
        e = assertThrows(NetnsException.class, () -> fw.publish(lab.host, web, Lab.BRIDGE, List.of(ip(Lab.SBX_IP)),
                List.of(new PublishedPort(Protocol.UDP, ip(Lab.HOST_IP), 7042, 53))));
        assertTrue(e.getMessage().contains("7042") && e.getMessage().contains("udp 7000-7099")
                && e.getMessage().contains(other.tag()), e.getMessage());
        e = assertThrows(NetnsException.class, () -> fw.publish(lab.host, web, Lab.BRIDGE, List.of(ip(Lab.SBX_IP)),
                List.of(new PublishedPort(Protocol.UDP, null, 7090, 7110, 7090, 7110))));
        assertTrue(e.getMessage().contains("7090-7110") && e.getMessage().contains("udp 7000-7099"), e.getMessage());
        // a socket bound inside the range
        lab.echoRemote(lab.host, "0.0.0.0", 8260);
        e = assertThrows(NetnsException.class, () -> fw.publish(lab.host, web, Lab.BRIDGE, List.of(ip(Lab.SBX_IP)),
                List.of(new PublishedPort(Protocol.TCP, null, 8200, 8299, 8200, 8299))));
        assertTrue(e.getMessage().contains("8200-8299") && e.getMessage().contains("8260") && e.getMessage().contains("LISTEN"),
                e.getMessage());
        // nothing of the refused publications is left: no element, no claim
        assertEquals(List.of(), Nft.tagged(netns(), "ip", web.tag()));
        assertTrue(PortClaims.holders().stream().noneMatch(web.tag()::equals), "no claim of the refused owner");
        // the same range where nothing overlaps is fine
        fw.publish(lab.host, web, Lab.BRIDGE, List.of(ip(Lab.SBX_IP)),
                List.of(new PublishedPort(Protocol.TCP, null, 8100, 8199, 8100, 8199)));
        assertEquals(1, Nft.tagged(netns(), "ip", web.tag()).size());
        fw.remove(lab.host, web);
        fw.remove(lab.host, other);
    }

    @Test
    void reconcileAfterAFlushRestoresRangesAndPorts() throws Exception {
        lab.echoRemote(lab.sbx, "0.0.0.0", 8000);
        lab.echoRemote(lab.sbx, "0.0.0.0", 80);
        lab.echoRemote(lab.host, "0.0.0.0", 9100);
        List<PublishedPort> ports = List.of(new PublishedPort(Protocol.TCP, null, 8000, 8099, 8000, 8099),
                new PublishedPort(Protocol.TCP, null, 8180, 80));
        List<PublishedPort> published = fw.publish(lab.host, web, Lab.BRIDGE, List.of(ip(Lab.SBX_IP)), ports);
        Owner chooser = Owner.sandbox(lab.host.name(), "chooser");
        PublishedPort choice = new PublishedPort(Protocol.TCP, null, 9100, 9110, 80, 80);
        assertEquals(List.of(new PublishedPort(Protocol.TCP, null, 9101, 80)),
                fw.publish(lab.host, chooser, Lab.BRIDGE, List.of(ip(Lab.SBX_IP)), List.of(choice)));
        Lab.exec(lab.host, "nft", "flush", "ruleset");
        assertEquals(Lab.Outcome.REFUSED, Lab.attempt(lab.client, Lab.HOST_IP, 8000, 2000), "the flush took the DNAT");
        List<String> changed = fw.reconcile(lab.host, List.of(
                new Need.Network(Owner.network(lab.host.name(), Lab.BRIDGE), Lab.BRIDGE, Lab.SUBNET),
                new Need.Publication(web, Lab.BRIDGE, List.of(ip(Lab.SBX_IP)), published)));
        assertTrue(changed.stream().anyMatch(c -> c.contains("2 map element(s) of " + web.tag())), changed.toString());
        assertEquals(2, Nft.tagged(netns(), "ip", web.tag()).size());
        assertEquals(9, Nft.rules(netns(), "ip"));
        assertEquals(Lab.CLIENT_IP, Lab.connect(lab.client, Lab.HOST_IP, 8000));
        assertEquals(Lab.CLIENT_IP, Lab.connect(lab.client, Lab.HOST_IP, 8180));
        // a need that still names the choice, not the port chosen: the port the owner holds is made again
        fw.reconcile(lab.host, List.of(new Need.Publication(chooser, Lab.BRIDGE, List.of(ip(Lab.SBX_IP)), List.of(choice))));
        assertEquals(List.of("ports: tcp . 9101 comment \"" + chooser.tag() + "\" : 10.89.0.2 . 80"),
                Nft.tagged(netns(), "ip", chooser.tag()));
        assertEquals(Lab.CLIENT_IP, Lab.connect(lab.client, Lab.HOST_IP, 9101));
        fw.remove(lab.host, chooser);
        assertEquals(List.of(), fw.reconcile(lab.host, List.of(
                new Need.Publication(web, Lab.BRIDGE, List.of(ip(Lab.SBX_IP)), published))), "idempotent");
        // someone flushes a chain of the table: the elements are there, the lookups are not
        Lab.exec(lab.host, "nft", "flush", "chain", "ip", NatTable.TABLE, "prerouting");
        assertEquals(Lab.Outcome.REFUSED, Lab.attempt(lab.client, Lab.HOST_IP, 8000, 2000), "no lookup, no DNAT");
        changed = fw.reconcile(lab.host, List.of(new Need.Publication(web, Lab.BRIDGE, List.of(ip(Lab.SBX_IP)), published)));
        assertEquals(List.of("nft: table ip netns: its maps and lookup rules"), changed);
        assertEquals(9, Nft.rules(netns(), "ip"));
        assertEquals(2, Nft.tagged(netns(), "ip", web.tag()).size(), "the elements were kept");
        assertEquals(Lab.CLIENT_IP, Lab.connect(lab.client, Lab.HOST_IP, 8000));
        fw.remove(lab.host, web);
    }

    /**
     * Host port 0 (Docker's {@code -p 80}): a free port of the host's own {@code ip_local_port_range}, read inside
     * the lab host, free of claims and bound sockets. Through {@code choosePort}, the path {@code publish} takes
     * for a port with host port 0.
     */
    @Test
    void hostPortZeroTakesAFreePortOfTheHostsEphemeralRange() throws Exception {
        Lab.exec(lab.host, "sysctl", "-q", "-w", "net.ipv4.ip_local_port_range=40000 40002");
        lab.echoRemote(lab.host, "0.0.0.0", 40000);
        fw.publish(lab.host, other, Lab.BRIDGE, ip(Lab.SBX2_IP), List.of(new PublishedPort(Protocol.TCP, null, 40001, 80)));
        List<java.nio.file.Path> claims = new java.util.ArrayList<>();
        for (int i = 0; i < 3; i++) { // whatever port of the range it starts at
            assertEquals(40002, IptablesFirewall.choosePort(lab.host, lab.host.name(), web.tag(), Family.IPV4, Protocol.TCP,
                    null, 0, 0, new java.util.EnumMap<>(Protocol.class), claims, "tcp *:0->80", java.util.Set.of()));
        }
        assertEquals(1, claims.size(), "claimed once, then held");
        NetnsException e = assertThrows(NetnsException.class, () -> IptablesFirewall.choosePort(lab.host, lab.host.name(),
                Owner.sandbox(lab.host.name(), "third").tag(), Family.IPV4, Protocol.TCP, null, 0, 0,
                new java.util.EnumMap<>(Protocol.class), new java.util.ArrayList<>(), "tcp *:0->80", java.util.Set.of()));
        assertTrue(e.getMessage().contains("40000-40002") && e.getMessage().contains("ip_local_port_range"), e.getMessage());
        PortClaims.release(claims);
        // through publish: host port 0 takes the one port of the range left
        lab.echoRemote(lab.sbx, "0.0.0.0", 80);
        List<PublishedPort> published = fw.publish(lab.host, web, Lab.BRIDGE, List.of(ip(Lab.SBX_IP)),
                List.of(new PublishedPort(Protocol.TCP, null, 0, 0, 80, 80)));
        assertEquals(List.of(new PublishedPort(Protocol.TCP, null, 40002, 80)), published);
        assertEquals(Lab.CLIENT_IP, Lab.connect(lab.client, Lab.HOST_IP, 40002));
        fw.remove(lab.host, web);
        fw.remove(lab.host, other);
    }

    /**
     * The fast removal does not read the maps to tell whether route_localnet is still needed: another owner
     * this JVM published on every address keeps it (and the guard); the last one takes both.
     */
    @Test
    void theLocalnetGuardStaysWhileAnotherOwnersRangeNeedsItAndGoesWithTheLast() throws Exception {
        String before = Lab.exec(lab.host, "cat", "/proc/sys/net/ipv4/conf/all/route_localnet").trim();
        lab.echoRemote(lab.sbx2, "0.0.0.0", 8000);
        fw.publish(lab.host, web, Lab.BRIDGE, List.of(ip(Lab.SBX_IP)), List.of(new PublishedPort(Protocol.TCP, null, 8180, 80)));
        fw.publish(lab.host, other, Lab.BRIDGE, List.of(ip(Lab.SBX2_IP)),
                List.of(new PublishedPort(Protocol.TCP, null, 8000, 8099, 8000, 8099)));
        fw.remove(lab.host, web);
        assertEquals("1", Lab.exec(lab.host, "cat", "/proc/sys/net/ipv4/conf/all/route_localnet").trim());
        assertEquals(9, Nft.rules(netns(), "ip"), "the guard stays");
        assertEquals(Lab.GATEWAY, Lab.connect(lab.host, "127.0.0.1", 8000), "the other's range from the host's 127.0.0.1");
        fw.remove(lab.host, other);
        assertEquals(before, Lab.exec(lab.host, "cat", "/proc/sys/net/ipv4/conf/all/route_localnet").trim());
        assertEquals(8, Nft.rules(netns(), "ip"), "the guard went with the last element that needed it");
    }

    /** The ip6 table has the same maps: a range on every address, a range and a port on one address, over IPv6. */
    @Test
    void ipv6RangesAndPortsGoThroughTheIp6Maps() throws Exception {
        lab.withIpv6();
        fw.addNetwork(lab.host, Owner.network(lab.host.name(), Lab.BRIDGE), Lab.BRIDGE, Lab.SUBNET6);
        for (int port : new int[] {80, 8000, 8099, 7000, 7009}) {
            lab.echoRemote(lab.sbx, "::", port);
        }
        List<PublishedPort> published = fw.publish(lab.host, web, Lab.BRIDGE, List.of(ip(Lab.SBX_IP6)), List.of(
                new PublishedPort(Protocol.TCP, null, 8000, 8099, 8000, 8099),
                new PublishedPort(Protocol.TCP, ip(Lab.HOST_IP6), 7000, 7009, 7000, 7009),
                new PublishedPort(Protocol.TCP, ip(Lab.HOST_IP6), 8180, 80)));
        assertEquals(3, published.size());
        String t = web.tag();
        assertEquals(List.of(
                "port_ranges: tcp . 8000-8099 comment \"" + t + "\" : fd00:89::2",
                "addr_ports: fd00:1::1 . tcp . 8180 comment \"" + t + "\" : fd00:89::2 . 80",
                "addr_port_ranges: fd00:1::1 . tcp . 7000-7009 comment \"" + t + "\" : fd00:89::2"),
                Nft.tagged(netns(), "ip6", t));
        assertEquals(8, Nft.rules(netns(), "ip6"));
        for (int port : new int[] {8000, 8099, 7000, 7009, 8180}) {
            assertEquals(ip(Lab.CLIENT_IP6), ip(Lab.connect(lab.client, Lab.HOST_IP6, port)), "port " + port);
        }
        assertEquals(ip(Lab.GATEWAY6), ip(Lab.connect(lab.sbx2, Lab.HOST_IP6, 8099)), "hairpin");
        assertEquals(Lab.Outcome.REFUSED, Lab.attempt(lab.client, Lab.HOST_IP6, 7010, 2000));
        fw.remove(lab.host, web);
        assertEquals(List.of(), Nft.elements(netns(), "ip6"));
    }

    /** A dead owner's range claim and map elements are leftovers of that owner, and reclaim() removes them. */
    @Test
    void aDeadOwnersRangeClaimAndElementsAreItsLeftoversAndReclaimRemovesThem() throws Exception {
        Owner ghost = Owner.sandbox(lab.host.name(), "ghost");
        fw.publish(lab.host, ghost, Lab.BRIDGE, List.of(ip(Lab.SBX_IP)), List.of(
                new PublishedPort(Protocol.TCP, null, 8000, 8099, 8000, 8099), new PublishedPort(Protocol.UDP, null, 8180, 80)));
        try (io.netns.Host h = io.netns.Host.of(io.netns.NetNamespace.open(lab.host.name()))) {
            io.netns.Leftovers left = h.leftovers();
            assertEquals(List.of(new io.netns.Leftovers.Item(io.netns.Leftovers.Kind.CLAIM, "udp-8180/any", "ghost"),
                    new io.netns.Leftovers.Item(io.netns.Leftovers.Kind.CLAIM, "tcp-8000-8099/any", "ghost")),
                    left.items(io.netns.Leftovers.Kind.CLAIM), left.toString());
            assertEquals(List.of(new io.netns.Leftovers.Item(io.netns.Leftovers.Kind.RULE, ghost.tag(), "ghost")),
                    left.items(io.netns.Leftovers.Kind.RULE), "its tagged elements: " + left);
            h.reclaim();
        }
        assertEquals(List.of(), Nft.tagged(netns(), "ip", ghost.tag()));
        assertTrue(Files.notExists(PortClaims.RANGES.resolve(lab.host.name())), "the range claim went");
        assertTrue(Files.notExists(PortClaims.DIR.resolve(lab.host.name())), "the port claim went");
    }
}
