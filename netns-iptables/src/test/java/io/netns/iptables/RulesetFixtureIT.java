package io.netns.iptables;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.netns.Exposure;
import io.netns.Firewall;
import io.netns.Firewall.Owner;
import io.netns.Protocol;
import io.netns.PublishedPort;
import io.netns.testing.TestLab;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The netns part of {@code golden/docker-host.save} (the fixture {@link RulesetTest} parses) is what the
 * library writes today: the same owners are set up in a lab and its {@code iptables-save} must show
 * exactly the fixture's netns lines. When the library's rules change, this fails until the fixture is
 * regenerated (the test prints the lines to paste).
 */
@Timeout(120)
class RulesetFixtureIT {
    @RegisterExtension
    final TestLab testLab = new TestLab("rsfix");

    @Test
    void theFixturesNetnsRulesAreWhatTheLibraryWritesToday() throws Exception {
        Lab lab = new Lab(testLab).start();
        String host = lab.host.name();
        String other = testLab.name("other");
        Firewall fw = Firewall.load();
        try {
            fw.addNetwork(lab.host, Owner.network(host, Lab.BRIDGE), Lab.BRIDGE, Lab.SUBNET);
            fw.publish(lab.host, Owner.sandbox(host, "web"), Lab.BRIDGE, InetAddress.getByName(Lab.SBX_IP), List.of(
                    new PublishedPort(Protocol.TCP, null, 8080, 80),
                    new PublishedPort(Protocol.UDP, InetAddress.getByName(Lab.HOST_IP), 5353, 53)));
            fw.expose(lab.host, Owner.sandbox(host, "h1"),
                    List.of(new Exposure(Protocol.TCP, new InetSocketAddress(Lab.HOST_IP, 7000))));
            fw.expose(lab.host, Owner.sandbox(other, "dns"),
                    List.of(new Exposure(Protocol.UDP, new InetSocketAddress("0.0.0.0", 53))));
            String written = Lab.exec(lab.host, "iptables-save").replace(host + "/", "lab/").replace(other + "/", "other-host/");
            List<String> now = ours(written);
            System.out.println("the netns lines of iptables-save today:\n" + String.join("\n", now));
            assertEquals(now, ours(Golden.read("docker-host.save")),
                    "golden/docker-host.save is stale: put these netns lines in it (printed above)");
        } finally {
            for (Owner o : fw.owners(lab.host)) {
                fw.remove(lab.host, o);
            }
        }
    }

    /** The lines of a save that netns writes: its chains, its jumps and its tagged rules. */
    private static List<String> ours(String save) {
        return save.lines().filter(l -> l.startsWith(":NETNS-")
                || (l.startsWith("-A") && l.contains("\"netns:") && !l.contains("\"netns:not-a-tag\""))).toList();
    }
}
