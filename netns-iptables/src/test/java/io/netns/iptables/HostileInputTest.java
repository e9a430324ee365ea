package io.netns.iptables;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netns.Exposure;
import io.netns.Firewall;
import io.netns.Firewall.Owner;
import io.netns.Protocol;
import io.netns.PublishedPort;
import io.netns.internal.Inet;
import io.netns.internal.Names;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * Hostile names, comments, bridges and subnets fed to the rule model and to the Firewall SPI: each is
 * refused with an IllegalArgumentException naming the value before anything runs, so the
 * {@code iptables-restore} input is made only of checked values. No privileges needed: the checks come
 * before any use of the namespace.
 */
class HostileInputTest {
    private static final List<String> HOSTILE = List.of(
            "", " ", "a b", "a\"b", "a\\b", "a'b", "x\nCOMMIT", "x\n-A INPUT -j ACCEPT", "x\r", "x\tb", "x\u0000y",
            "$(reboot)", "`id`", "a;b", "a|b", "a&b", "a>b", "--dport", "-j", "é", "\u202e", "a/b/c", "a\"\n*filter",
            "x".repeat(300));
    private static final Pattern LINE = Pattern.compile(
            "\\*(filter|nat)|COMMIT|:NETNS-[A-Z]+ - \\[0:0\\]|-[AID] [A-Z-]+( 1)? [A-Za-z0-9_.:/,\\[\\]!+\" -]+");

    private static InetAddress ip(String s) {
        return Inet.parse("ip", s);
    }

    private static void refused(String value, Executable call) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call, Names.printable(value));
        String shown = value.length() > 64 ? Names.printable(value.substring(0, 20)) : Names.printable(value);
        assertTrue(e.getMessage().contains(shown), "names " + shown + ": " + e.getMessage());
        assertTrue(!e.getMessage().contains("\n") && !e.getMessage().contains("\r"), "escaped: " + e.getMessage());
    }

    @Test
    void hostileOwnerPartsAreRefusedByTheRuleModelAndTheFirewall() {
        Firewall fw = new IptablesFirewall();
        List<PublishedPort> ports = List.of(new PublishedPort(Protocol.TCP, null, 8080, 80));
        List<Exposure> openings = List.of(new Exposure(Protocol.TCP, new InetSocketAddress("192.0.2.1", 80)));
        int checked = 0;
        for (String h : HOSTILE) {
            for (Owner o : List.of(Owner.sandbox(h, "web"), Owner.sandbox("lab", h), Owner.network("lab", h),
                    new Owner("lab", h, "web"))) {
                refused(h, () -> IptablesFirewall.tag(o));
                // the SPI checks before it touches the namespace (null here)
                refused(h, () -> fw.addNetwork(null, o, "nsbr0", "10.89.0.0/24"));
                refused(h, () -> fw.publish(null, o, "nsbr0", ip("10.89.0.2"), ports));
                refused(h, () -> fw.expose(null, o, openings));
                refused(h, () -> fw.remove(null, o));
                checked += 5;
            }
            if (h.matches("[A-Za-z0-9_.:/@=+,-]{1,255}")) {
                continue; // harmless inside the quoted comment ("--dport", "a/b/c"): only owner names refuse it
            }
            if (!h.isEmpty()) {
                refused(h, () -> Rules.network("netns:" + h, "nsbr0", Inet.Cidr.parse("s", "10.89.0.0/24")));
                refused(h, () -> Rules.publish("netns:lab/sandbox/" + h, ip("10.89.0.2"), ports));
                refused(h, () -> Rules.expose("netns:lab/sandbox/" + h, openings));
                checked += 3;
            }
            refused(h, () -> Rule.checkComment(h));
            refused(h, () -> Rule.in(Chain.NETNS_INPUT).comment(h));
            if (!h.matches("[A-Za-z0-9_.:/,\\[\\]!+-]+")) { // a token may be an option; it can never be two
                refused(h, () -> new Rule(Chain.NETNS_INPUT, List.of("-p", h), null, List.of("ACCEPT")));
                refused(h, () -> new Rule(Chain.NETNS_INPUT, List.of(), null, List.of(h)));
                checked += 2;
            }
            checked += 2;
        }
        System.out.println("hostile input: " + checked + " refusals checked");
    }

    @Test
    void hostileBridgesAndSubnetsAreRefused() {
        Firewall fw = new IptablesFirewall();
        Owner o = Owner.network("lab", "nsbr0");
        for (String h : HOSTILE) {
            if (h.isEmpty() || h.length() <= 15 && Rule.isName(h) && h.charAt(0) != '-') {
                continue; // a valid interface name
            }
            refused(h, () -> fw.addNetwork(null, o, h, "10.89.0.0/24"));
            refused(h, () -> fw.publish(null, Owner.sandbox("lab", "web"), h, ip("10.89.0.2"),
                    List.of(new PublishedPort(Protocol.TCP, null, 8080, 80))));
            refused(h, () -> Rules.network("netns:lab/network/x", h, Inet.Cidr.parse("s", "10.89.0.0/24")));
        }
        for (String bad : List.of("10.89.0.0/24\n-A INPUT -j ACCEPT", "10.89.0.0/24 -j ACCEPT", "10.89.0.0/33",
                "\"10.89.0.0/24\"", "$(x)/24")) {
            refused(bad, () -> fw.addNetwork(null, o, "nsbr0", bad));
        }
    }

    @Test
    void everyRenderedLineOfValidValuesIsOneWellFormedRestoreLine() {
        Random r = new Random(8);
        String alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-";
        for (int i = 0; i < 500; i++) {
            String host = name(r, alphabet, 1 + r.nextInt(64));
            String sandbox = name(r, alphabet, 1 + r.nextInt(64));
            String bridge = name(r, alphabet, 1 + r.nextInt(15));
            String tag = IptablesFirewall.tag(Owner.sandbox(host, sandbox));
            List<Rule> rules = new ArrayList<>();
            rules.addAll(Rules.network(tag, bridge, Inet.Cidr.parse("s", "10.89.0.0/24")));
            for (NatTable.Mapping d : Rules.publish(tag, ip("10.89.0." + (2 + r.nextInt(250))),
                    List.of(new PublishedPort(Protocol.TCP, null, 1 + r.nextInt(65535), 1 + r.nextInt(65535)),
                            new PublishedPort(Protocol.UDP, ip("192.0.2.1"), 1 + r.nextInt(65535), 53)))) {
                assertTrue(d.text().matches("[a-z_]+: [a-z0-9 .:-]+ comment \"" + java.util.regex.Pattern.quote(tag) + "\" : [0-9.]+ \\. [0-9]+"),
                        d.text());
            }
            rules.addAll(Rules.expose(tag, List.of(new Exposure(Protocol.TCP, new InetSocketAddress("0.0.0.0", 22)))));
            IptablesRestoreWriter w = new IptablesRestoreWriter();
            w.declare(Chain.NETNS_INPUT);
            rules.forEach(w::append);
            rules.forEach(w::delete);
            w.insert(Rules.jump(Chain.NETNS_INPUT));
            String input = w.render();
            for (String line : input.split("\n")) {
                assertTrue(LINE.matcher(line).matches(), "a well-formed line: " + line);
                if (line.contains("--comment")) {
                    assertEquals(2, line.chars().filter(c -> c == '"').count(), "one quoted comment: " + line);
                }
            }
            for (Rule rule : rules) {
                assertEquals(rule, SavedRule.parse(rule.chain().table().id(),
                        rule.appendLine()).toRule(), "reads back as written");
            }
        }
    }

    private static String name(Random r, String alphabet, int len) {
        StringBuilder b = new StringBuilder();
        b.append(alphabet.charAt(r.nextInt(62))); // a letter or digit first
        while (b.length() < len) {
            b.append(alphabet.charAt(r.nextInt(alphabet.length())));
        }
        return b.toString();
    }
}
