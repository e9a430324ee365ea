package io.netns.iptables;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netns.Exposure;
import io.netns.Firewall;
import io.netns.Host;
import io.netns.NetNamespace;
import io.netns.NetworkMode;
import io.netns.Protocol;
import io.netns.Sandbox;
import io.netns.testing.TestLab;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Issue 12 item 4: after someone else flushes the lab host's firewall, publishing still works, and
 * {@link Host#reconcile()} brings back what the live sandboxes need, removes rules of owners that are
 * gone, says what it changed, and changes nothing the second time. Checked with real traffic (the lab
 * host's own 127.0.0.1 to a published port needs the DNAT, the guard's sysctl and the network's
 * masquerade) and with {@code iptables-save}.
 */
@Timeout(300)
class ReconcileIT {
    @RegisterExtension
    final TestLab testLab = new TestLab("iptrec");
    private Host lab;
    private NetNamespace labNs;
    private String p;

    @BeforeEach
    void setUp() throws Exception {
        p = testLab.prefix();
        lab = testLab.host();
        labNs = lab.namespace();
    }

    private Sandbox published(String name, int hostPort) throws Exception {
        Sandbox s = lab.create(p + name, NetworkMode.bridge().publish(hostPort, 80));
        testLab.closeLater(Lab.answer(s.namespace(), 80));
        return s;
    }

    private boolean fromLocalhost(int port) throws Exception {
        return (Lab.attempt(labNs, "127.0.0.1", port, 1000) == Lab.Outcome.CONNECTED);
    }

    /** Asserts the lab host's 127.0.0.1:port reaches the sandbox, allowing a new sandbox a moment to answer. */
    private void assertFromLocalhost(int port, String what) throws Exception {
        Lab.Outcome last = null;
        for (int i = 0; i < 5 && last != Lab.Outcome.CONNECTED; i++) {
            last = Lab.attempt(labNs, "127.0.0.1", port, 1000);
            if (last != Lab.Outcome.CONNECTED) {
                Thread.sleep(200);
            }
        }
        assertEquals(Lab.Outcome.CONNECTED, last, what + "; the lab's rules:\n" + save());
    }

    private String save() throws Exception {
        return Leftovers.save(labNs.name());
    }

    @Test
    void afterAFlushPublishingWorksAndReconcileRestoresTheRest() throws Exception {
        published("web", 8080);
        Sandbox h = lab.create(p + "h", NetworkMode.host().expose(new InetSocketAddress("127.0.0.1", 7000)));
        assertFromLocalhost(8080, "published"); // a new sandbox may need a moment to answer on a loaded machine
        assertEquals(List.of(), lab.reconcile(), "nothing missing");
        String before = save();

        Lab.exec(labNs, "nft", "flush", "ruleset");
        assertFalse(fromLocalhost(8080), "the flush took the DNAT");
        // publishing after the flush works without reconcile(): the network's masquerade comes back with it
        published("api", 8081);
        assertFromLocalhost(8081, "a publication after the flush");
        assertFalse(fromLocalhost(8080), "the others wait for reconcile()");

        List<String> changed = lab.reconcile();
        System.out.println("reconcile after nft flush ruleset changed " + changed.size() + ": " + changed);
        assertTrue(changed.stream().anyMatch(c -> c.contains("map element(s) of netns:" + lab.id() + "/sandbox/" + p + "web")),
                changed.toString());
        assertTrue(changed.stream().anyMatch(c -> c.contains("--dport 7000") && c.contains(p + "h")), changed.toString());
        assertFromLocalhost(8080, "back");
        assertFromLocalhost(8081, "still");
        assertEquals(List.of(), lab.reconcile(), "idempotent");
        assertEquals(tagged(before), tagged(save()).stream().filter(l -> !l.contains(p + "api")).toList(),
                "the same rules as before the flush");

        // iptables only: flushed and its chains deleted, in both tables
        for (String table : List.of("filter", "nat")) {
            Lab.exec(labNs, "iptables", "-t", table, "-F");
            Lab.exec(labNs, "iptables", "-t", table, "-X");
        }
        assertFalse(fromLocalhost(8080), "no masquerade of 127.0.0.1 out of the bridge");
        changed = lab.reconcile();
        assertTrue(changed.stream().anyMatch(c -> c.contains(":NETNS-POSTROUTING")), changed.toString());
        assertTrue(changed.stream().anyMatch(c -> c.contains("-j NETNS-ISOLATION")), changed.toString());
        assertFromLocalhost(8080, "back after iptables -F -X");
        assertEquals(List.of(), lab.reconcile());

        // rules of an owner of this host that is gone go; the live ones stay
        Firewall fw = Firewall.load();
        Firewall.Owner ghost = Firewall.Owner.sandbox(lab.id(), p + "ghost");
        fw.expose(labNs, ghost, List.of(new Exposure(Protocol.TCP, new InetSocketAddress("127.0.0.1", 7001))));
        changed = lab.reconcile();
        assertEquals(List.of("removed the rules of " + ghost.tag()), changed);
        assertFalse(save().contains(ghost.tag()));
        assertTrue(save().contains(p + "h"));
        h.close();
    }

    private static List<String> tagged(String save) {
        return Arrays.stream(save.split("\n")).filter(l -> l.contains("\"netns:")).map(l -> l.replaceAll("\\[\\d+:\\d+\\]", ""))
                .map(String::strip).map(l -> l.replaceFirst("^elements = \\{ ", "").replaceFirst("( }|,)$", ""))
                .sorted().toList(); // a map element's line without nft's list punctuation (which depends on its neighbours)
    }

    /** The cost of reconcile() on a lab host with 100 published sandboxes: when nothing is missing, and after a flush. */
    @Test
    void costWithAHundredPublishedSandboxes() throws Exception {
        List<Sandbox> all = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            all.add(lab.create(p + "s" + i, NetworkMode.bridge().subnet("10.89.0.0/24").publish(9000 + i, 80)));
        }
        lab.reconcile();
        long[] steady = new long[5];
        for (int i = 0; i < steady.length; i++) {
            long t0 = System.nanoTime();
            assertEquals(List.of(), lab.reconcile());
            steady[i] = System.nanoTime() - t0;
        }
        long[] flushed = new long[3];
        for (int i = 0; i < flushed.length; i++) {
            Lab.exec(labNs, "nft", "flush", "ruleset");
            long t0 = System.nanoTime();
            List<String> changed = lab.reconcile();
            flushed[i] = System.nanoTime() - t0;
            assertTrue(changed.size() >= 100, changed.size() + " changes");
        }
        Arrays.sort(steady);
        Arrays.sort(flushed);
        System.out.printf("reconcile() with 100 published sandboxes: nothing missing median %.1f ms (min %.1f), "
                + "after nft flush ruleset median %.1f ms (min %.1f)%n", steady[2] / 1e6, steady[0] / 1e6,
                flushed[1] / 1e6, flushed[0] / 1e6);
        assertEquals(100, Nft.elements(labNs.path().toString(), "ip").size(), "one element per published port");
        assertEquals(9, Nft.rules(labNs.path().toString(), "ip"), "the 8 lookups and the localnet guard");
        for (Sandbox s : all) {
            s.close();
        }
    }
}
