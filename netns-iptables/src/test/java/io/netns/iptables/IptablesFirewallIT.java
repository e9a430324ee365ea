package io.netns.iptables;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netns.Exposure;
import io.netns.Firewall.Owner;
import io.netns.Firewall;
import io.netns.NetnsException;
import io.netns.Protocol;
import io.netns.PublishedPort;
import io.netns.testing.TestLab;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The firewall in a lab of namespaces; every check reads {@code iptables-save}, {@code nft} or sends real traffic. */
@Timeout(120)
class IptablesFirewallIT {
    @RegisterExtension
    final TestLab testLab = new TestLab("iptfw");
    private Lab lab;
    private Firewall fw;
    private Owner net;
    private Owner web;

    @BeforeEach
    void setUp() throws Exception {
        lab = new Lab(testLab);
        lab.start();
        fw = Firewall.load();
        net = Owner.network(lab.host.name(), Lab.BRIDGE);
        web = Owner.sandbox(lab.host.name(), "web");
    }

    @AfterEach
    void tearDown() throws Exception {
        if (lab != null) {
            lab.close();
            // the machine's own firewall never saw the lab (read only: iptables-save in the JVM's namespace)
            String real = Lab.realFirewall();
            assertFalse(real.contains(lab.prefix), real);
        }
    }

    /** The lines carrying the tag; a map element's line without nft's list punctuation (which depends on its neighbours). */
    private static List<String> lines(String save, String tag) {
        return Arrays.stream(save.split("\n")).filter(l -> l.contains("\"" + tag + "\""))
                .map(l -> l.contains(" comment \"") ? l.strip().replaceFirst("^elements = \\{ ", "").replaceFirst("( }|,)$", "") : l)
                .collect(Collectors.toList());
    }

    private String netns() {
        return lab.host.path().toString();
    }

    private static long count(String save, String line) {
        return Arrays.stream(save.split("\n")).filter(line::equals).count();
    }

    private static InetAddress ip(String s) throws Exception {
        return InetAddress.getByName(s);
    }

    @Test
    void loadsTheImplementation() throws Exception {
        assertTrue(fw instanceof IptablesFirewall, fw.getClass().getName());
        assertSame(fw, Firewall.load(), "looked up once");
    }

    @Test
    void publishedPortIsReachableFromClientHostLoopbackAndOtherSandbox() throws Exception {
        Lab.exec(lab.host, "iptables", "-P", "FORWARD", "DROP"); // forwarding must work despite it
        lab.echoRemote(lab.sbx, "0.0.0.0", 80);
        fw.addNetwork(lab.host, net, Lab.BRIDGE, Lab.SUBNET);
        long t0 = System.nanoTime();
        fw.publish(lab.host, web, Lab.BRIDGE, ip(Lab.SBX_IP), List.of(new PublishedPort(Protocol.TCP, null, 8080, 80)));
        System.out.printf("publish of 1 port took %.1f ms%n", (System.nanoTime() - t0) / 1e6);

        String save = lab.save();
        System.out.println(save);
        // exactly these rules, as iptables-save and nft print them (written out here, not rendered by the
        // library under test)
        String n = " -m comment --comment \"" + net.tag() + "\"";
        assertEquals(List.of("ports: tcp . 8080 comment \"" + web.tag() + "\" : 10.89.0.2 . 80"),
                Nft.tagged(netns(), "ip", web.tag()), "one element of the map of ports on every host address");
        for (String rule : List.of(
                "\t\tip daddr != 127.0.0.0/8 fib daddr type local dnat ip to meta l4proto . th dport map @ports",
                "\t\tfib daddr type local dnat ip to meta l4proto . th dport map @ports",
                "\t\tip daddr != 127.0.0.0/8 dnat ip to ip daddr . meta l4proto . th dport map @addr_ports",
                "\t\tdnat ip to ip daddr . meta l4proto . th dport map @addr_ports",
                "-A NETNS-FORWARD -i nsbr0 ! -o nsbr0" + n + " -j NETNS-ISOLATION",
                "-A NETNS-FORWARD -s 10.89.0.0/24 -i nsbr0" + n + " -j ACCEPT",
                "-A NETNS-FORWARD -d 10.89.0.0/24 -o nsbr0 -m conntrack --ctstate RELATED,ESTABLISHED" + n + " -j ACCEPT",
                "-A NETNS-FORWARD -d 10.89.0.0/24 ! -i nsbr0 -o nsbr0 -m conntrack --ctstate DNAT" + n + " -j ACCEPT",
                "-A NETNS-ISOLATION -o nsbr0 -m conntrack ! --ctstate DNAT" + n + " -j DROP",
                "-A NETNS-POSTROUTING -s 10.89.0.0/24 ! -o nsbr0" + n + " -j MASQUERADE",
                "-A NETNS-POSTROUTING -s 10.89.0.0/24 -o nsbr0 -m conntrack --ctstate DNAT" + n + " -j MASQUERADE",
                "-A NETNS-POSTROUTING -s 127.0.0.0/8 -o nsbr0" + n + " -j MASQUERADE")) {
            assertEquals(1, count(save, rule), rule + "\nin\n" + save);
        }
        assertEquals(1, lines(save, web.tag()).size(), "no other rule of the owner: " + save);
        assertEquals(9, Nft.rules(netns(), "ip"), "4 lookups in each nat chain, and the localnet guard: " + save);
        assertTrue(save.contains(":FORWARD DROP"), "policy untouched");
        assertEquals(1, save.lines().filter(l -> l.startsWith("\t\tip saddr != 127.0.0.0/8 ip daddr 127.0.0.0/8 ct status ! dnat "
                + "ct state ! established,related counter packets ") && l.endsWith(" drop comment \"netns:localnet-guard\"")).count(),
                "the route_localnet guard, native, in the netns table: " + save);

        // from another host: DNAT keeps the client's address
        assertEquals(Lab.CLIENT_IP, Lab.connect(lab.client, Lab.HOST_IP, 8080));
        // from the host itself, on its address and on 127.0.0.1 (route_localnet + masquerade)
        assertEquals(Lab.HOST_IP, Lab.connect(lab.host, Lab.HOST_IP, 8080));
        assertEquals(Lab.GATEWAY, Lab.connect(lab.host, "127.0.0.1", 8080));
        assertEquals("1", Lab.exec(lab.host, "cat", "/proc/sys/net/ipv4/conf/all/route_localnet").trim());
        // hairpin: another sandbox of the bridge through the host address
        assertEquals(Lab.GATEWAY, Lab.connect(lab.sbx2, Lab.HOST_IP, 8080));
    }

    @Test
    void outboundTrafficIsMasqueraded() throws Exception {
        Lab.exec(lab.host, "iptables", "-P", "FORWARD", "DROP");
        lab.echoRemote(lab.client, Lab.CLIENT_IP, 9000);
        fw.addNetwork(lab.host, net, Lab.BRIDGE, Lab.SUBNET);
        assertEquals(Lab.HOST_IP, Lab.connect(lab.sbx, Lab.CLIENT_IP, 9000));
    }

    @Test
    void addNetworkIsIdempotentAndJumpsAreMadeOnce() throws Exception {
        fw.addNetwork(lab.host, net, Lab.BRIDGE, Lab.SUBNET);
        String first = lab.save();
        fw.addNetwork(lab.host, net, Lab.BRIDGE, Lab.SUBNET);
        fw.expose(lab.host, web, List.of(new Exposure(Protocol.TCP, new InetSocketAddress(Lab.HOST_IP, 7000))));
        fw.expose(lab.host, web, List.of(new Exposure(Protocol.TCP, new InetSocketAddress(Lab.HOST_IP, 7001))));
        String save = lab.save();
        assertEquals(lines(first, net.tag()), lines(save, net.tag()));
        assertEquals(2, lines(save, web.tag()).size(), save);
        for (Chain c : List.of(Chain.NETNS_INPUT, Chain.NETNS_FORWARD, Chain.NETNS_POSTROUTING)) {
            String jump = Rules.jump(c).appendLine();
            assertEquals(1, count(save, jump), jump + "\n" + save);
        }
    }

    @Test
    void exposedPortIsReachableWithInputPolicyDrop() throws Exception {
        Lab.exec(lab.host, "iptables", "-P", "INPUT", "DROP");
        lab.echoRemote(lab.host, Lab.HOST_IP, 7000);
        lab.echoRemote(lab.host, Lab.HOST_IP, 7001);
        lab.assertDroppedByInputPolicy(lab.client, Lab.HOST_IP, 7000);
        fw.expose(lab.host, web, List.of(new Exposure(Protocol.TCP, new InetSocketAddress(Lab.HOST_IP, 7000))));
        assertTrue(lab.save().contains("-A NETNS-INPUT -d 192.0.2.1/32 -p tcp -m tcp --dport 7000 -m comment --comment \""
                + web.tag() + "\" -j ACCEPT"));
        assertEquals(Lab.CLIENT_IP, Lab.connect(lab.client, Lab.HOST_IP, 7000));
        lab.assertDroppedByInputPolicy(lab.client, Lab.HOST_IP, 7001);
        fw.remove(lab.host, web);
        lab.assertDroppedByInputPolicy(lab.client, Lab.HOST_IP, 7000);
        assertTrue(lab.save().contains(":INPUT DROP"));
    }

    @Test
    void droppedRefusedAndUnreachableAreToldApart() throws Exception {
        // refused: nothing listens, nothing filters
        assertEquals(Lab.Outcome.REFUSED, Lab.attempt(lab.client, Lab.HOST_IP, 7002, 1000));
        // unreachable: the client has no route to 198.51.100.0/24
        assertEquals(Lab.Outcome.UNREACHABLE, Lab.attempt(lab.client, "198.51.100.7", 7002, 1000));
        // dropped: the INPUT policy eats the SYN, and counts it
        Lab.exec(lab.host, "iptables", "-P", "INPUT", "DROP");
        lab.assertDroppedByInputPolicy(lab.client, Lab.HOST_IP, 7002);
        // and a listener behind the drop is still not reachable: the drop, not a missing listener, blocks
        lab.echoRemote(lab.host, Lab.HOST_IP, 7002);
        lab.assertDroppedByInputPolicy(lab.client, Lab.HOST_IP, 7002);
        Lab.exec(lab.host, "iptables", "-P", "INPUT", "ACCEPT");
        assertEquals(Lab.Outcome.CONNECTED, Lab.attempt(lab.client, Lab.HOST_IP, 7002, 1000));
    }

    @Test
    void publishedUdpPortCarriesDatagrams() throws Exception {
        Lab.exec(lab.host, "iptables", "-P", "FORWARD", "DROP");
        lab.udpEchoRemote(lab.sbx, "0.0.0.0", 53);
        fw.addNetwork(lab.host, net, Lab.BRIDGE, Lab.SUBNET);
        assertEquals(null, Lab.udp(lab.client, Lab.HOST_IP, 5353, 500), "nothing answers before the publication");
        fw.publish(lab.host, web, Lab.BRIDGE, ip(Lab.SBX_IP), List.of(new PublishedPort(Protocol.UDP, null, 5353, 53)));
        String save = lab.save();
        assertEquals(List.of("ports: udp . 5353 comment \"" + web.tag() + "\" : 10.89.0.2 . 53"),
                Nft.tagged(netns(), "ip", web.tag()), save);
        // a datagram from another host reaches the sandbox with the client's address, and the answer comes back
        assertEquals(Lab.CLIENT_IP, Lab.udp(lab.client, Lab.HOST_IP, 5353, 3000));
        // from the host itself and from the other sandbox (hairpin)
        assertEquals(Lab.HOST_IP, Lab.udp(lab.host, Lab.HOST_IP, 5353, 3000));
        assertEquals(Lab.GATEWAY, Lab.udp(lab.sbx2, Lab.HOST_IP, 5353, 3000));
        // TCP on the same port was not published
        assertEquals(Lab.Outcome.REFUSED, Lab.attempt(lab.client, Lab.HOST_IP, 5353, 1000));
        fw.remove(lab.host, web);
        // (a new source port, so no conntrack entry of the published flow carries it)
        assertEquals(null, Lab.udp(lab.client, Lab.HOST_IP, 5353, 500), "nothing answers after the removal");
    }

    @Test
    void ipv6PublishedPortAndExposureCarryRealConnections() throws Exception {
        lab.withIpv6();
        Lab.exec(lab.host, "ip6tables", "-P", "FORWARD", "DROP");
        lab.echoRemote(lab.sbx, "::", 80);
        fw.addNetwork(lab.host, net, Lab.BRIDGE, Lab.SUBNET6);
        assertEquals(Lab.Outcome.REFUSED, Lab.attempt(lab.client, Lab.HOST_IP6, 8080, 1000));
        fw.publish(lab.host, web, Lab.BRIDGE, ip(Lab.SBX_IP6), List.of(new PublishedPort(Protocol.TCP, null, 8080, 80)));
        // from another host over IPv6: DNAT to the sandbox keeps the client's address
        assertEquals(ip(Lab.CLIENT_IP6), ip(Lab.connect(lab.client, Lab.HOST_IP6, 8080)));
        // hairpin from the other sandbox through the host's address
        assertEquals(ip(Lab.GATEWAY6), ip(Lab.connect(lab.sbx2, Lab.HOST_IP6, 8080)));
        // the sandbox reaches out over IPv6, forwarded despite the DROP policy and masqueraded
        lab.echoRemote(lab.client, "::", 9000);
        assertEquals(ip(Lab.HOST_IP6), ip(Lab.connect(lab.sbx, Lab.CLIENT_IP6, 9000)));

        // an exposure through ip6tables with the INPUT policy DROP
        Lab.exec(lab.host, "ip6tables", "-P", "INPUT", "DROP");
        lab.echoRemote(lab.host, Lab.HOST_IP6, 7443);
        lab.assertDroppedByInputPolicy(lab.client, Lab.HOST_IP6, 7443);
        fw.expose(lab.host, web, List.of(new Exposure(Protocol.TCP, new InetSocketAddress(Lab.HOST_IP6, 7443))));
        assertEquals(ip(Lab.CLIENT_IP6), ip(Lab.connect(lab.client, Lab.HOST_IP6, 7443)));
        fw.remove(lab.host, web);
        lab.assertDroppedByInputPolicy(lab.client, Lab.HOST_IP6, 7443);
        // the DNAT went with the owner: 8080 now meets the host's own INPUT policy
        lab.assertDroppedByInputPolicy(lab.client, Lab.HOST_IP6, 8080);
    }

    @Test
    void removeDeletesOnlyTheOwnersRules() throws Exception {
        Lab.exec(lab.host, "iptables", "-P", "FORWARD", "DROP");
        // foreign rules, Docker-like, made with iptables itself
        Lab.exec(lab.host, "iptables", "-N", "DOCKER-USER");
        Lab.exec(lab.host, "iptables", "-A", "FORWARD", "-j", "DOCKER-USER");
        Lab.exec(lab.host, "iptables", "-A", "DOCKER-USER", "-s", "203.0.113.0/24", "-j", "DROP");
        Lab.exec(lab.host, "iptables", "-t", "nat", "-N", "DOCKER");
        Lab.exec(lab.host, "iptables", "-t", "nat", "-A", "DOCKER", "-p", "tcp", "--dport", "5000", "-m", "comment",
                "--comment", "not netns", "-j", "DNAT", "--to-destination", "172.17.0.2:5000");
        Owner other = Owner.sandbox(lab.host.name(), "other");
        fw.addNetwork(lab.host, net, Lab.BRIDGE, Lab.SUBNET);
        fw.publish(lab.host, web, Lab.BRIDGE, ip(Lab.SBX_IP), List.of(
                new PublishedPort(Protocol.TCP, null, 8080, 80),
                new PublishedPort(Protocol.UDP, ip(Lab.HOST_IP), 5353, 53)));
        fw.publish(lab.host, other, Lab.BRIDGE, ip(Lab.SBX2_IP), List.of(new PublishedPort(Protocol.TCP, null, 8081, 80)));
        fw.expose(lab.host, web, List.of(new Exposure(Protocol.TCP, new InetSocketAddress("0.0.0.0", 22))));
        assertEquals(Set.of(net, web, other), fw.owners(lab.host));
        String before = lab.save();

        long t0 = System.nanoTime();
        fw.remove(lab.host, web);
        System.out.printf("remove took %.1f ms%n", (System.nanoTime() - t0) / 1e6);

        String after = lab.save();
        assertEquals(List.of(), lines(after, web.tag()), after);
        assertEquals(lines(before, other.tag()), lines(after, other.tag()));
        assertEquals(lines(before, net.tag()), lines(after, net.tag()));
        List<String> foreign = Arrays.stream(before.split("\n"))
                .filter(l -> l.startsWith(":") || (l.startsWith("-A") && !l.contains("netns:")))
                .map(l -> l.replaceAll("\\[\\d+:\\d+\\]", "")).collect(Collectors.toList());
        for (String l : foreign) {
            assertTrue(after.replaceAll("\\[\\d+:\\d+\\]", "").contains(l), "kept: " + l);
        }
        assertEquals(Set.of(net, other), fw.owners(lab.host));
        fw.remove(lab.host, web); // nothing left: no-op
        fw.remove(lab.host, other);
        fw.remove(lab.host, net);
        String end = lab.save();
        assertFalse(end.contains("netns:" + lab.host.name()), end);
        assertTrue(end.contains("-A DOCKER-USER -s 203.0.113.0/24 -j DROP"));
        assertTrue(end.contains(":FORWARD DROP"));
    }

    @Test
    void publishingAPublishedPortNamesTheHolder() throws Exception {
        fw.addNetwork(lab.host, net, Lab.BRIDGE, Lab.SUBNET);
        fw.publish(lab.host, web, Lab.BRIDGE, ip(Lab.SBX_IP), List.of(new PublishedPort(Protocol.TCP, null, 8080, 80)));
        // the same publication again is a no-op
        fw.publish(lab.host, web, Lab.BRIDGE, ip(Lab.SBX_IP), List.of(new PublishedPort(Protocol.TCP, null, 8080, 80)));
        String save = lab.save();
        Owner other = Owner.sandbox(lab.host.name(), "other");
        NetnsException e = assertThrows(NetnsException.class, () -> fw.publish(lab.host, other, Lab.BRIDGE,
                ip(Lab.SBX2_IP), List.of(new PublishedPort(Protocol.TCP, ip(Lab.HOST_IP), 8080, 80))));
        assertTrue(e.getMessage().contains(web.tag()), e.getMessage());
        assertEquals(save.replaceAll("(?m)^# .*$", ""), lab.save().replaceAll("(?m)^# .*$", ""), "nothing changed");
        // another protocol on the same port is fine
        fw.publish(lab.host, other, Lab.BRIDGE, ip(Lab.SBX2_IP), List.of(new PublishedPort(Protocol.UDP, null, 8080, 80)));
    }

    /** owners() of a lab counts the lab's own port claims, never those other hosts (other labs, other JVMs) hold. */
    @Test
    void ownersIgnoresPortClaimsOfOtherHosts() throws Exception {
        String otherHost = lab.prefix + "elsewhere";
        Owner foreign = Owner.sandbox(otherHost, "web");
        List<Path> claim = PortClaims.claim(otherHost, foreign.tag(), List.of(new PublishedPort(Protocol.TCP, null, 8090, 80)));
        try {
            assertEquals(1, claim.size());
            fw.addNetwork(lab.host, net, Lab.BRIDGE, Lab.SUBNET);
            fw.publish(lab.host, web, Lab.BRIDGE, ip(Lab.SBX_IP), List.of(new PublishedPort(Protocol.TCP, null, 8091, 80)));
            assertEquals(Set.of(net, web), fw.owners(lab.host));
            fw.remove(lab.host, web);
            fw.remove(lab.host, net);
        } finally {
            PortClaims.release(claim);
            PortClaims.releaseAll(otherHost, foreign.tag());
        }
    }

    /**
     * owners() of one lab lists nothing of another lab (another process's, e.g. CrashReclaimIT's killed
     * child with its published ports): not its rules, and not its port claims, which live under
     * {@code /run/netns.d/ports/<its host id>} on the same machine. It once added every claim holder of the
     * machine, so a killed child's published ports showed in every other lab's owners and leak check.
     */
    @Test
    void ownersOfOneLabListNothingOfAnother() throws Exception {
        fw.addNetwork(lab.host, net, Lab.BRIDGE, Lab.SUBNET);
        fw.publish(lab.host, web, Lab.BRIDGE, ip(Lab.SBX_IP), List.of(new PublishedPort(Protocol.TCP, null, 8085, 80)));
        // the other lab: lab.client as the host of another id, a network and a published sandbox there
        String otherId = lab.client.name();
        Owner otherNet = Owner.network(otherId, Lab.BRIDGE);
        Owner stranger = Owner.sandbox(otherId, "stranger");
        try {
            fw.addNetwork(lab.client, otherNet, Lab.BRIDGE, Lab.SUBNET);
            fw.publish(lab.client, stranger, Lab.BRIDGE, ip(Lab.SBX2_IP),
                    List.of(new PublishedPort(Protocol.TCP, null, 8087, 80)));
            assertTrue(Files.exists(PortClaims.DIR.resolve(otherId).resolve("tcp-8087")), "claimed");
            assertFalse(lab.save().contains(otherId), "the witness: nothing of the other lab in this one's rules");
            assertEquals(Set.of(net, web), fw.owners(lab.host));
            assertEquals(Set.of(otherNet, stranger), fw.owners(lab.client));
        } finally {
            fw.remove(lab.client, stranger);
            fw.remove(lab.client, otherNet);
        }
        assertFalse(Files.exists(PortClaims.DIR.resolve(otherId)), "claim released");
        fw.remove(lab.host, web);
        fw.remove(lab.host, net);
        assertEquals(Set.of(), fw.owners(lab.host));
    }

    /**
     * remove() of rules this JVM wrote deletes exactly them without a read; when one was deleted underneath it
     * falls back to reading, still removes the rest, and releases the port claim either way (the port can be
     * published by another owner afterwards).
     */
    @Test
    void removeFallsBackWhenRulesChangedUnderneathAndReleasesTheClaim() throws Exception {
        fw.addNetwork(lab.host, net, Lab.BRIDGE, Lab.SUBNET);
        PublishedPort port = new PublishedPort(Protocol.TCP, null, 8084, 80);
        fw.publish(lab.host, web, Lab.BRIDGE, ip(Lab.SBX_IP), List.of(port));
        List<String> mine = lines(lab.save(), web.tag());
        assertEquals(1, mine.size(), mine.toString());
        Lab.exec(lab.host, "nft", "delete", "element", "ip", NatTable.TABLE, "ports", "{ tcp . 8084 }"); // someone deleted it
        assertEquals(List.of(), Nft.tagged(netns(), "ip", web.tag()), "the element was deleted underneath");
        fw.remove(lab.host, web);
        assertEquals(List.of(), lines(lab.save(), web.tag()));
        assertFalse(Files.exists(PortClaims.DIR.resolve(lab.host.name()).resolve("tcp-8084")), "claim released");
        Owner other = Owner.sandbox(lab.host.name(), "other");
        fw.publish(lab.host, other, Lab.BRIDGE, ip(Lab.SBX2_IP), List.of(port));
        assertEquals(mine.size(), lines(lab.save(), other.tag()).size());
        fw.remove(lab.host, other); // the fast way: exactly what was written
        assertEquals(List.of(), lines(lab.save(), other.tag()));
        assertFalse(Files.exists(PortClaims.DIR.resolve(lab.host.name()).resolve("tcp-8084")), "claim released");
    }

    /** A refused transaction ends its restore session; the next change starts another and works. */
    @Test
    void aRefusedTransactionDoesNotBreakTheNextOne() throws Exception {
        fw.addNetwork(lab.host, net, Lab.BRIDGE, Lab.SUBNET);
        Iptables tools = Iptables.SYSTEM;
        NetnsException e = assertThrows(NetnsException.class, () -> tools.restore(lab.host, Family.IPV4,
                "*filter\n-D NETNS-INPUT -p tcp --dport 9 -j ACCEPT\nCOMMIT\n"));
        assertTrue(e.getMessage().contains("line 2"), e.getMessage()); // counted from the transaction
        fw.expose(lab.host, web, List.of(new io.netns.Exposure(Protocol.TCP, new java.net.InetSocketAddress(Lab.HOST_IP, 8085))));
        assertEquals(1, lines(lab.save(), web.tag()).size());
        fw.remove(lab.host, web);
        assertEquals(List.of(), lines(lab.save(), web.tag()));
    }

    @Test
    void publishingABoundPortNamesTheSocket() throws Exception {
        lab.echoRemote(lab.host, "0.0.0.0", 8082);
        fw.addNetwork(lab.host, net, Lab.BRIDGE, Lab.SUBNET);
        NetnsException e = assertThrows(NetnsException.class, () -> fw.publish(lab.host, web, Lab.BRIDGE,
                ip(Lab.SBX_IP), List.of(new PublishedPort(Protocol.TCP, null, 8082, 80))));
        assertTrue(e.getMessage().matches(".*tcp6? (0\\.0\\.0\\.0|\\[::\\]):8082 LISTEN.*"), e.getMessage());
        assertEquals(List.of(), lines(lab.save(), web.tag()));
    }

    @Test
    void ipv6GoesThroughIp6tables() throws Exception {
        fw.addNetwork(lab.host, net, Lab.BRIDGE, "fd00:89::/64");
        fw.publish(lab.host, web, Lab.BRIDGE, ip("fd00:89::2"), List.of(new PublishedPort(Protocol.TCP, null, 8080, 80)));
        fw.expose(lab.host, web, List.of(new Exposure(Protocol.TCP, new InetSocketAddress("fd00:1::1", 443)),
                new Exposure(Protocol.TCP, new InetSocketAddress(Lab.HOST_IP, 443))));
        String save6 = lab.save6();
        assertEquals(List.of("ports: tcp . 8080 comment \"" + web.tag() + "\" : fd00:89::2 . 80"),
                Nft.tagged(netns(), "ip6", web.tag()), save6);
        // in prerouting and in output, both leaving ::1 alone (the kernel would drop its DNAT to a sandbox)
        assertEquals(2, save6.split("\t\tip6 daddr != ::1 fib daddr type local dnat ip6 to meta l4proto . th dport map "
                + "@ports\n", -1).length - 1, save6);
        assertEquals(8, Nft.rules(netns(), "ip6"), save6);
        assertTrue(save6.contains("-A NETNS-INPUT -d fd00:1::1/128 -p tcp -m tcp --dport 443"), save6);
        assertEquals(1, lines(lab.save(), web.tag()).size());
        assertEquals(Set.of(net, web), fw.owners(lab.host));
        fw.remove(lab.host, web);
        fw.remove(lab.host, net);
        assertFalse(lab.save6().contains("netns:" + lab.host.name()));
        assertFalse(lab.save().contains("netns:" + lab.host.name()));
    }

    @Test
    void aFlushedFirewallIsNoticedAndRebuilt() throws Exception {
        fw.expose(lab.host, web, List.of(new Exposure(Protocol.TCP, new InetSocketAddress(Lab.HOST_IP, 7000))));
        // someone else wipes everything, chains included
        Lab.exec(lab.host, "iptables", "-F");
        Lab.exec(lab.host, "iptables", "-X");
        fw.expose(lab.host, web, List.of(new Exposure(Protocol.TCP, new InetSocketAddress(Lab.HOST_IP, 7001))));
        String save = lab.save();
        assertTrue(save.contains("--dport 7001"), save);
        assertEquals(1, count(save, Rules.jump(Chain.NETNS_INPUT).appendLine()), save);
    }

    @Test
    void concurrentFirstUseLosesNothing() throws Exception {
        int n = 6;
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(n);
        try {
            List<java.util.concurrent.Future<?>> fs = new java.util.ArrayList<>();
            for (int i = 0; i < n; i++) {
                int k = i;
                fs.add(pool.submit(() -> {
                    Owner o = Owner.sandbox(lab.host.name(), "s" + k);
                    Firewall f = Firewall.load();
                    f.publish(lab.host, o, Lab.BRIDGE, ip("10.89.0." + (10 + k)),
                            List.of(new PublishedPort(Protocol.TCP, null, 9000 + k, 80)));
                    f.expose(lab.host, o, List.of(new Exposure(Protocol.TCP, new InetSocketAddress(Lab.HOST_IP, 7100 + k))));
                    return null;
                }));
            }
            for (java.util.concurrent.Future<?> f : fs) {
                f.get(60, java.util.concurrent.TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        String save = lab.save();
        for (int i = 0; i < n; i++) {
            assertEquals(2, lines(save, Owner.sandbox(lab.host.name(), "s" + i).tag()).size(), save);
        }
        assertEquals(1, count(save, Rules.jump(Chain.NETNS_INPUT).appendLine()), save);
        assertEquals(1, count(save, "table ip netns {"), save);
    }

    @Test
    void timing() throws Exception {
        fw.addNetwork(lab.host, net, Lab.BRIDGE, Lab.SUBNET);
        long[] pub = new long[7];
        long[] rem = new long[7];
        long[] exp = new long[7];
        for (int i = 0; i < pub.length; i++) {
            long t0 = System.nanoTime();
            fw.publish(lab.host, web, Lab.BRIDGE, ip(Lab.SBX_IP), List.of(new PublishedPort(Protocol.TCP, null, 8080, 80),
                    new PublishedPort(Protocol.TCP, null, 8443, 443)));
            long t1 = System.nanoTime();
            fw.expose(lab.host, web, List.of(new Exposure(Protocol.TCP, new InetSocketAddress(Lab.HOST_IP, 7000))));
            long t2 = System.nanoTime();
            fw.remove(lab.host, web);
            long t3 = System.nanoTime();
            pub[i] = t1 - t0;
            exp[i] = t2 - t1;
            rem[i] = t3 - t2;
        }
        Arrays.sort(pub);
        Arrays.sort(exp);
        Arrays.sort(rem);
        System.out.printf("median of 7: publish(2 ports) %.1f ms, expose %.1f ms, remove %.1f ms%n", pub[3] / 1e6,
                exp[3] / 1e6, rem[3] / 1e6);
        assertEquals(List.of(), lines(lab.save(), web.tag()));
    }

    @Test
    void aChangeThatFailsHalfWayIsRolledBack(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        fw.expose(lab.host, web, List.of(new Exposure(Protocol.TCP, new InetSocketAddress(Lab.HOST_IP, 7000))));
        String before = lab.save();
        // commits the filter table for real, then fails as if the nat table had been refused
        Iptables halfWay = new Iptables(List.of(Path.of("/usr/sbin"), Path.of("/sbin"))) {
            private boolean failed;

            @Override
            void restore(io.netns.NetNamespace ns, Family family, String input) throws NetnsException {
                int nat = input.indexOf("*nat\n");
                if (!failed && input.startsWith("*filter\n") && nat > 0) {
                    failed = true;
                    super.restore(ns, family, input.substring(0, nat));
                    throw NetnsException.failure("iptables-restore", "simulated failure of the nat table");
                }
                super.restore(ns, family, input);
            }
        };
        IptablesFirewall f = new IptablesFirewall(halfWay, dir.resolve("lock"));
        NetnsException e = assertThrows(NetnsException.class, () -> f.addNetwork(lab.host, net, Lab.BRIDGE, Lab.SUBNET));
        assertTrue(e.getMessage().contains("simulated"), e.getMessage());
        String after = lab.save();
        assertEquals(List.of(), lines(after, net.tag()), after);
        assertEquals(lines(before, web.tag()), lines(after, web.tag()));
    }

    @Test
    void missingToolNamesTheDebianPackage(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        IptablesFirewall f = new IptablesFirewall(new Iptables(List.of(dir)), dir.resolve("lock"));
        NetnsException e = assertThrows(NetnsException.class, () -> f.owners(lab.host));
        assertTrue(e.getMessage().contains("apt-get install iptables"), e.getMessage());
        assertTrue(e.getMessage().contains("looked in [" + dir + "]"), "names where it looked: " + e.getMessage());
    }
}
