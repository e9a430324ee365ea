package io.netns.iptables;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netns.Exposure;
import io.netns.Firewall.Owner;
import io.netns.Protocol;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** Parsing a real iptables-save dump of a host with Docker, ufw-like and libvirt-like rules next to ours. */
class RulesetTest {
    private final Ruleset rs = Ruleset.parse(Golden.read("docker-host.save"));

    @Test
    void readsEveryTableChainAndPolicy() {
        assertEquals(List.of("mangle", "raw", "filter", "nat"), List.copyOf(rs.tables().keySet()));
        assertEquals("DROP", rs.policy(Chain.of(Table.FILTER, "INPUT")));
        assertEquals("DROP", rs.policy(Chain.of(Table.FILTER, "FORWARD")));
        assertEquals("-", rs.policy(Chain.of(Table.FILTER, "DOCKER-USER")));
        assertTrue(rs.hasChain(Chain.NETNS_INPUT));
        assertTrue(rs.hasChain(Chain.of(Table.FILTER, "ufw-before-input")));
        assertFalse(rs.hasChain(Chain.of(Table.NAT, "NETNS-INPUT")));
        assertEquals(1, rs.rules(Table.RAW).size());
        assertEquals(1, rs.rules(Table.MANGLE).size());
        assertEquals(List.of(), rs.rules(Table.SECURITY));
    }

    @Test
    void findsOwnersAndIgnoresForeignComments() {
        // published ports live in the nf_tables table, so a publishing sandbox has no iptables rule
        assertEquals(Set.of(Owner.network("lab", "nsbr0"), Owner.sandbox("lab", "h1"), Owner.sandbox("other-host", "dns")),
                rs.owners());
        assertEquals(8, rs.tagged(Owner.network("lab", "nsbr0").tag()).size());
        assertEquals(1, rs.tagged(Owner.sandbox("lab", "h1").tag()).size());
        assertEquals(List.of(), rs.tagged("ssh from anywhere").stream().filter(r -> r.owner() != null).collect(Collectors.toList()));
    }

    @Test
    void findsTheJumps() {
        for (Chain c : List.of(Chain.NETNS_INPUT, Chain.NETNS_FORWARD, Chain.NETNS_POSTROUTING)) {
            assertTrue(rs.hasJump(c), c.toString());
        }
        assertFalse(Ruleset.empty().hasJump(Chain.NETNS_INPUT));
    }

    @Test
    void keepsForeignRulesOpaque() {
        SavedRule log = rs.rules(Table.FILTER).stream().filter(r -> "LOG".equals(r.targetName())).findFirst().orElseThrow();
        assertEquals("-A INPUT -m limit --limit 3/min -j LOG --log-prefix \"[UFW BLOCK] \"", log.line());
        assertEquals("[UFW BLOCK] ", log.args().get(log.args().size() - 1));
        assertNull(log.toRule(), "a value with a space is not something this library writes");
        SavedRule quoted = rs.rules(Table.FILTER).stream().filter(r -> r.chain().equals("DOCKER-USER")).findFirst().orElseThrow();
        assertEquals("block \"bad\" net", quoted.comment());
        assertNull(quoted.owner());
        assertNull(quoted.toRule());
    }

    /**
     * Every rule the library writes for the fixture's owners is found exactly once, in every table, and
     * nothing tagged is there that the library would not write (RulesetFixtureIT keeps the fixture equal
     * to what the library writes today).
     */
    @Test
    void readsBackEveryRuleItWrote() throws Exception {
        List<Rule> mine = new java.util.ArrayList<>();
        for (Chain c : List.of(Chain.NETNS_INPUT, Chain.NETNS_FORWARD, Chain.NETNS_POSTROUTING)) {
            mine.add(Rules.jump(c));
        }
        mine.addAll(Rules.network(Owner.network("lab", "nsbr0").tag(), "nsbr0",
                io.netns.internal.Inet.Cidr.parse("s", "10.89.0.0/24")));
        mine.add(Rules.isolation(Owner.network("lab", "nsbr0").tag(), "nsbr0"));
        mine.addAll(Rules.expose(Owner.sandbox("lab", "h1").tag(),
                List.of(new Exposure(Protocol.TCP, new InetSocketAddress("192.0.2.1", 7000)))));
        mine.addAll(Rules.expose(Owner.sandbox("other-host", "dns").tag(),
                List.of(new Exposure(Protocol.UDP, new InetSocketAddress("0.0.0.0", 53)))));
        for (Rule r : mine) {
            assertEquals(1, rs.count(r), r.toString());
        }
        long tagged = rs.rules().stream().filter(r -> r.line().contains("\"netns:") && !r.line().contains("\"netns:not-a-tag\"")).count();
        assertEquals(mine.size(), tagged, "every netns line of the fixture is one the library writes");
    }

    @Test
    void rejectsRulesOutsideATable() {
        assertThrows(IllegalArgumentException.class, () -> Ruleset.parse("-A INPUT -j ACCEPT\n"));
        assertEquals(0, Ruleset.parse("").tables().size());
        assertEquals(0, Ruleset.parse("# Warning: iptables-legacy tables present\n").tables().size());
    }

    @Test
    void tokenizesLikeIptables() {
        assertEquals(List.of("-A", "X", "--comment", "a \"b\" \\c", "-j", "ACCEPT"),
                SavedRule.tokenize("-A X --comment \"a \\\"b\\\" \\\\c\" -j ACCEPT"));
        assertEquals(List.of("-A", "X", "--comment", ""), SavedRule.tokenize("-A X  --comment \"\""));
    }
}
