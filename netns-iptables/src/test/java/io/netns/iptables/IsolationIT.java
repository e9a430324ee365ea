package io.netns.iptables;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netns.Host;
import io.netns.NetNamespace;
import io.netns.NetworkMode;
import io.netns.Sandbox;
import io.netns.testing.TestLab;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Issue 12 item 6: sandboxes on different bridge networks of a lab host cannot reach each other (proven
 * by a connection that times out and by the packet counter of the isolation's drop rule), published ports
 * and the host stay reachable, and {@code connectTo} opens two networks to each other.
 */
@Timeout(120)
class IsolationIT {
    @RegisterExtension
    final TestLab testLab = new TestLab("iptiso");
    private String p;
    private NetNamespace labNs;
    private Host lab;

    @BeforeEach
    void setUp() throws Exception {
        p = testLab.prefix();
        lab = testLab.host();
        labNs = lab.namespace();
    }

    /** @return the packet counter of the drop that isolates {@code bridge}, from {@code iptables-save -c} in the lab */
    private long dropped(String bridge) throws Exception {
        String save = Lab.exec(labNs, "iptables-save", "-c", "-t", "filter");
        Matcher m = Pattern.compile("(?m)^\\[(\\d+):\\d+\\] -A NETNS-ISOLATION -o " + bridge + " .*-j DROP$").matcher(save);
        assertTrue(m.find(), save);
        return Long.parseLong(m.group(1));
    }

    private void serve(Sandbox s, int port) throws Exception {
        testLab.closeLater(Lab.answer(s.namespace(), port));
    }

    private static boolean reaches(Sandbox from, String ip, int port) throws Exception {
        return (Lab.attempt(from.namespace(), ip, port, 1000) == Lab.Outcome.CONNECTED);
    }

    private void assertBlocked(Sandbox from, String ip, int port, String bridge) throws Exception {
        long before = dropped(bridge);
        assertEquals(Lab.Outcome.TIMED_OUT, Lab.attempt(from.namespace(), ip, port, 1000),
                from.name() + " -> " + ip + ":" + port + " dropped (not refused)");
        assertTrue(dropped(bridge) > before, "the isolation of " + bridge + " dropped it");
    }

    @Test
    void networksAreIsolatedUnlessConnected() throws Exception {
        Sandbox a = lab.create(p + "a", NetworkMode.bridge().name("isoa").subnet("10.89.20.0/24"));
        Sandbox b = lab.create(p + "b", NetworkMode.bridge().name("isob").subnet("10.89.21.0/24").publish(8080, 80));
        Sandbox c = lab.create(p + "c", NetworkMode.bridge().name("isoc").subnet("10.89.22.0/24").connectTo("isob"));
        serve(a, 81);
        serve(b, 80);
        serve(b, 81);
        serve(c, 81);
        String ipA = a.addresses().get(0).getHostAddress();
        String ipB = b.addresses().get(0).getHostAddress();
        String ipC = c.addresses().get(0).getHostAddress();

        // isolated by default, both ways
        assertBlocked(a, ipB, 81, "isob");
        assertBlocked(b, ipA, 81, "isoa");
        assertBlocked(a, ipC, 81, "isoc");
        // published ports (through a host address: here the gateway of a's network) and the host stay reachable
        assertTrue(reaches(a, "10.89.20.1", 8080), "b's published port from a");
        assertTrue((Lab.attempt(labNs, ipB, 81, 1000) == Lab.Outcome.CONNECTED), "the host reaches every network");
        java.net.ServerSocket onHost = labNs.call(() -> new java.net.ServerSocket(9000));
        try {
            assertTrue(reaches(a, "10.89.20.1", 9000), "a reaches the host");
            assertTrue(reaches(b, "10.89.20.1", 9000), "b reaches the host, on another network's gateway too");
        } finally {
            onHost.close();
        }
        // connected networks reach each other, both ways; the third stays out
        assertTrue(reaches(c, ipB, 81), "c -> b (connected)");
        assertTrue(reaches(b, ipC, 81), "b -> c (connected)");
        assertBlocked(c, ipA, 81, "isoa");

        // what the rules match: only the network's own bridge, and its subnet for the accepts
        String save = Lab.exec(labNs, "iptables-save", "-t", "filter");
        for (String l : save.lines().filter(l -> l.contains("netns:" + lab.id() + "/network/isob")).toList()) {
            assertTrue(l.contains(" isob "), l);
            if (l.endsWith("-j ACCEPT")) {
                assertTrue(l.contains("10.89.21.0/24"), l);
            }
        }
    }
}
