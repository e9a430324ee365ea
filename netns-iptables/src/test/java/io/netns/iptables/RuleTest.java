package io.netns.iptables;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netns.Firewall.Owner;
import io.netns.Protocol;
import io.netns.internal.Inet;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Validation: nothing unchecked reaches the restore input. */
class RuleTest {
    @ParameterizedTest
    @ValueSource(strings = {"", "a b", "a\"b", "a\\b", "a\nCOMMIT", "a\r", "a\tb", "x'y", "$(reboot)", "a;b", "é"})
    void rejectsBadComments(String comment) {
        assertThrows(IllegalArgumentException.class, () -> Rule.checkComment(comment));
        assertThrows(IllegalArgumentException.class, () -> Rule.in(Chain.NETNS_INPUT).comment(comment));
    }

    @Test
    void rejectsLongComments() {
        Rule.checkComment("a".repeat(255));
        assertThrows(IllegalArgumentException.class, () -> Rule.checkComment("a".repeat(256)));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "br 0", "-o", "br0\n", "averyveryverylongname", "br/0", "br\"0"})
    void rejectsBadInterfaceNames(String name) {
        assertThrows(IllegalArgumentException.class, () -> Rule.in(Chain.NETNS_FORWARD).inInterface(name));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "A B", "-j", "X\nY", "12345678901234567890123456789"})
    void rejectsBadChainNames(String name) {
        assertThrows(IllegalArgumentException.class, () -> Chain.of(Table.FILTER, name));
        assertThrows(IllegalArgumentException.class, () -> Rule.in(Chain.NETNS_INPUT).jump(name));
    }

    @Test
    void rejectsBadTokensInTheRecord() {
        assertThrows(IllegalArgumentException.class,
                () -> new Rule(Chain.NETNS_INPUT, List.of("-p", "tcp\n-A"), null, List.of("ACCEPT")));
        assertThrows(IllegalArgumentException.class,
                () -> new Rule(Chain.NETNS_INPUT, List.of("\"x\""), null, List.of("ACCEPT")));
        assertThrows(IllegalArgumentException.class, () -> new Rule(Chain.NETNS_INPUT, List.of(), null, List.of()));
        assertThrows(IllegalArgumentException.class, () -> Rule.in(Chain.NETNS_INPUT).ctstate("NEW\n"));
        assertThrows(IllegalArgumentException.class, () -> Rule.in(Chain.NETNS_INPUT).dport(Protocol.TCP, 0));
        assertThrows(IllegalArgumentException.class, () -> Rule.in(Chain.NETNS_INPUT).dport(Protocol.TCP, 65536));
    }

    @Test
    void builtinChainsAreNeverDeclared() {
        assertThrows(IllegalArgumentException.class, () -> new IptablesRestoreWriter().declare(Chain.of(Table.FILTER, "INPUT")));
    }

    @Test
    void ownerTagRoundTrips() {
        for (Owner o : List.of(Owner.sandbox("lab1", "web1"), Owner.network("ns4026532281", "nsbr0"),
                Owner.sandbox("a.b_c-d", "x"))) {
            String tag = IptablesFirewall.tag(o);
            assertEquals(o, Owner.parse(tag));
            Rule r = Rule.in(Chain.NETNS_INPUT).dport(Protocol.TCP, 80).comment(tag).jump("ACCEPT");
            SavedRule back = SavedRule.parse("filter", r.appendLine());
            assertEquals(o, back.owner());
            assertEquals(r, back.toRule());
        }
    }

    @Test
    void ownersWithUnsafePartsAreRefused() {
        for (Owner o : List.of(new Owner("lab", "sandbox", "a b"), new Owner("lab/x", "sandbox", "a"),
                new Owner("lab", "sandbox", "a\"\n-A INPUT -j DROP"), new Owner("", "sandbox", "a"))) {
            assertThrows(IllegalArgumentException.class, () -> IptablesFirewall.tag(o), o.toString());
        }
    }

    @Test
    void rendersInIptablesSaveOrder() {
        Rule r = Rule.in(Chain.NETNS_FORWARD).outInterface("br0").dport(Protocol.UDP, 53)
                .destination(RenderingTest.ip("10.0.0.2")).notInInterface("br0").comment("netns:h/sandbox/s").jump("ACCEPT");
        assertEquals("-A NETNS-FORWARD -d 10.0.0.2/32 ! -i br0 -o br0 -p udp -m udp --dport 53 -m comment --comment "
                + "\"netns:h/sandbox/s\" -j ACCEPT", r.appendLine());
        assertEquals("-D NETNS-FORWARD " + r.spec(), r.deleteLine());
        assertTrue(r.insertLine().startsWith("-I NETNS-FORWARD 1 -d"));
    }

    @Test
    void cidrTextBuildsTheSameRuleAsTheInternalBlock() {
        Rule fromText = Rule.in(Chain.NETNS_POSTROUTING).source("10.89.0.0/24").notDestination("127.0.0.0/8")
                .notOutInterface("nsbr0").comment("netns:lab/network/nsbr0").jump("MASQUERADE");
        Rule fromBlock = Rule.in(Chain.NETNS_POSTROUTING).source(Inet.Cidr.parse("s", "10.89.0.0/24"))
                .notDestination(Inet.Cidr.parse("d", "127.0.0.0/8")).notOutInterface("nsbr0")
                .comment("netns:lab/network/nsbr0").jump("MASQUERADE");
        assertEquals(fromBlock, fromText);
        assertEquals("-s 10.89.0.0/24 ! -d 127.0.0.0/8 ! -o nsbr0 -m comment --comment \"netns:lab/network/nsbr0\""
                + " -j MASQUERADE", fromText.spec());
        assertEquals("! -s fd00:89::/64 -d fd00:1::/64 -j ACCEPT", Rule.in(Chain.NETNS_FORWARD)
                .notSource("fd00:89::/64").destination("fd00:1::/64").jump("ACCEPT").spec());
    }

    @Test
    void badCidrTextIsRefusedWithTheValue() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Rule.in(Chain.NETNS_INPUT).source("10.89.0.1/24"));
        assertTrue(e.getMessage().contains("10.89.0.1/24"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Rule.in(Chain.NETNS_INPUT).destination("10.0.0.0"));
        assertTrue(e.getMessage().contains("destination"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Rule.in(Chain.NETNS_INPUT).source("10.0.0.0/33"));
    }

    @Test
    void compressesIpv6LikeIptables() {
        assertEquals("fd00:89::2", Addr.text(RenderingTest.ip("fd00:89:0:0:0:0:0:2")));
        assertEquals("::1", Addr.text(RenderingTest.ip("::1")));
        assertEquals("::", Addr.text(RenderingTest.ip("::")));
        assertEquals("2001:db8::1:0:0:1", Addr.text(RenderingTest.ip("2001:db8:0:0:1:0:0:1")));
        assertEquals("2001:db8:0:1:1:1:1:1", Addr.text(RenderingTest.ip("2001:db8:0:1:1:1:1:1")));
        assertEquals("fe80::", Addr.text(RenderingTest.ip("fe80::")));
    }
}
