package io.netns.iptables;

import static io.netns.iptables.Golden.assertGolden;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.netns.Exposure;
import io.netns.Firewall.Owner;
import io.netns.Protocol;
import io.netns.PublishedPort;
import io.netns.internal.Inet;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What each Firewall call writes, pinned by golden restore inputs. */
class RenderingTest {
    static final Owner NET = Owner.network("lab", "nsbr0");
    static final Owner WEB = Owner.sandbox("lab", "web");
    static final Owner H1 = Owner.sandbox("lab", "h1");

    static InetAddress ip(String s) {
        return Inet.parse("ip", s);
    }

    static List<PublishedPort> ports() {
        return List.of(new PublishedPort(Protocol.TCP, null, 8080, 80),
                new PublishedPort(Protocol.UDP, ip("192.0.2.1"), 5353, 53),
                new PublishedPort(Protocol.TCP, ip("127.0.0.1"), 8443, 443));
    }

    private static String firstUse(List<Rule> rules) {
        return IptablesFirewall.transaction(Ruleset.empty(), Rules.chains(rules),
                new IptablesFirewall.Change(rules, List.of())).render();
    }

    @Test
    void addNetworkOnAFreshHost() {
        List<Rule> rules = Rules.network(NET.tag(), "nsbr0", Inet.Cidr.parse("s", "10.89.0.0/24"));
        assertGolden("network.restore", IptablesFirewall.transaction(Ruleset.empty(), Rules.chains(rules),
                new IptablesFirewall.Change(rules, List.of(), List.of(Rules.isolation(NET.tag(), "nsbr0")))).render());
    }

    @Test
    void connectOnAFreshHost() {
        assertGolden("connect.restore", IptablesFirewall.transaction(Ruleset.empty(), java.util.Set.of(Chain.NETNS_ISOLATION),
                new IptablesFirewall.Change(List.of(), List.of(), Rules.connect(NET.tag(), "nsbr0", "nsbr1"))).render());
    }

    private static String nft(List<NatTable.Mapping> elements) {
        StringBuilder b = new StringBuilder();
        for (NatTable.Mapping m : elements) {
            b.append(m.text()).append('\n');
        }
        return b.toString();
    }

    @Test
    void publishWritesMapElementsOnly() {
        assertGolden("publish.nft", nft(Rules.publish(WEB.tag(), ip("10.89.0.2"), ports())));
    }

    @Test
    void aRangeKeepingItsPortsIsOneIntervalElementAndAShiftedOneAnElementPerPort() {
        assertGolden("publish-ranges.nft", nft(Rules.publish(WEB.tag(), ip("10.89.0.2"), List.of(
                new PublishedPort(Protocol.TCP, null, 8000, 8099, 8000, 8099),
                new PublishedPort(Protocol.UDP, ip("192.0.2.1"), 7000, 7002, 7000, 7002),
                new PublishedPort(Protocol.TCP, null, 9000, 9002, 90, 92)))));
        assertThrows(IllegalArgumentException.class, () -> Rules.publish(WEB.tag(), ip("10.89.0.2"),
                List.of(new PublishedPort(Protocol.TCP, null, 9000, 9010, 80, 80))), "a choice is made before");
    }

    @Test
    void exposeOnAFreshHost() {
        assertGolden("expose.restore", firstUse(Rules.expose(H1.tag(), List.of(
                new Exposure(Protocol.TCP, new InetSocketAddress("192.0.2.1", 80)),
                new Exposure(Protocol.UDP, new InetSocketAddress("0.0.0.0", 53))))));
    }

    @Test
    void ipv6() {
        List<Rule> rules = new ArrayList<>(Rules.network(NET.tag(), "nsbr0", Inet.Cidr.parse("s", "fd00:89::/64")));
        rules.addAll(Rules.expose(H1.tag(), List.of(new Exposure(Protocol.TCP, new InetSocketAddress("2001:db8::10", 22)))));
        assertGolden("ipv6.restore", firstUse(rules));
        assertGolden("ipv6-publish.nft", nft(Rules.publish(WEB.tag(), ip("fd00:89::2"), List.of(
                new PublishedPort(Protocol.TCP, null, 8080, 80),
                new PublishedPort(Protocol.TCP, ip("2001:db8::10"), 8443, 443)))));
    }

    @Test
    void aRoutedNetworkLeavesOutOnlyTheOutboundMasquerade() {
        Inet.Cidr subnet = Inet.Cidr.parse("s", "fd00:89::/64");
        List<Rule> nat = Rules.network(NET.tag(), "nsbr0", subnet, true);
        List<Rule> routed = Rules.network(NET.tag(), "nsbr0", subnet, false);
        List<Rule> expected = new ArrayList<>(nat);
        expected.remove(0);
        assertEquals(expected, routed);
        assertEquals("-A NETNS-POSTROUTING -s fd00:89::/64 ! -o nsbr0 -m comment --comment \"netns:lab/network/nsbr0\" "
                + "-j MASQUERADE", nat.get(0).appendLine());
        assertEquals(1, routed.stream().filter(r -> "MASQUERADE".equals(r.targetName())).count(),
                "the hairpin masquerade stays: " + routed);
    }

    @Test
    void exposeWhereTheChainsExistDeclaresNothing() {
        Ruleset rs = Ruleset.parse(Golden.read("docker-host.save"));
        List<Rule> rules = Rules.expose(Owner.sandbox("lab", "api").tag(),
                List.of(new Exposure(Protocol.TCP, new InetSocketAddress("0.0.0.0", 9000))));
        assertGolden("expose-existing.restore", IptablesFirewall.transaction(rs, Rules.chains(rules),
                new IptablesFirewall.Change(rules, List.of())).render());
    }

    @Test
    void removeDeletesExactlyTheTaggedLines() {
        Ruleset rs = Ruleset.parse(Golden.read("docker-host.save"));
        IptablesRestoreWriter w = new IptablesRestoreWriter();
        rs.tagged(NET.tag()).forEach(w::delete);
        assertGolden("remove-network.restore", w.render());
    }

    @Test
    void everyRuleReadsBackEqual() {
        List<Rule> rules = new ArrayList<>(Rules.network(NET.tag(), "nsbr0", Inet.Cidr.parse("s", "10.89.0.0/24")));
        rules.addAll(Rules.network(NET.tag(), "nsbr0", Inet.Cidr.parse("s", "fd00:89::/64")));
        rules.addAll(Rules.expose(H1.tag(), List.of(new Exposure(Protocol.UDP, new InetSocketAddress("192.0.2.1", 53)))));
        for (Rule r : rules) {
            assertEquals(r, SavedRule.parse(r.chain().table().id(), r.appendLine()).toRule(), r.appendLine());
        }
    }

    @Test
    void ipv6LoopbackIsNeverDnated() {
        PublishedPort loopback = new PublishedPort(Protocol.TCP, ip("::1"), 8080, 80);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Rules.publish(WEB.tag(),
                ip("fd00:89::2"), List.of(loopback)));
        assertEquals("published port " + loopback + " cannot be on the IPv6 loopback address ::1: the kernel drops a "
                + "DNAT from ::1 to a sandbox (IPv6 has no route_localnet); publish on 127.0.0.1 or on an address of the "
                + "host", e.getMessage());
    }

    @Test
    void publishRejectsMixedFamilies() {
        assertThrows(IllegalArgumentException.class, () -> Rules.publish(WEB.tag(), ip("10.89.0.2"),
                List.of(new PublishedPort(Protocol.TCP, ip("2001:db8::1"), 80, 80))));
    }
}
