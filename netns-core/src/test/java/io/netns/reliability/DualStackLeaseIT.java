package io.netns.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netns.BridgeMode;
import io.netns.Host;
import io.netns.Leftovers;
import io.netns.NetNamespace;
import io.netns.NetworkMode;
import io.netns.Reclaimed;
import io.netns.Sandbox;
import io.netns.internal.Inet;
import io.netns.internal.StateDir;
import io.netns.testing.ChildJvm;
import io.netns.testing.Kernel;
import io.netns.testing.TestLab;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Dual-stack leases between JVMs (issue 17, items 1 and 5): two JVMs making sandboxes on one dual-stack
 * network at the same time never get one address twice, in either family; and reclaim() after the other JVM
 * crashed removes its IPv6 state with its IPv4 state (leases, namespaces with their addresses and routes).
 */
@Timeout(180)
class DualStackLeaseIT {
    @RegisterExtension
    final TestLab testLab = new TestLab("dsl");
    private final String p = testLab.prefix();

    @AfterEach
    void reclaimWhatAFailedTestLeft() throws Exception {
        testLab.host().reclaim();
    }

    @Test
    void twoJvmsNeverLeaseOneAddressTwiceAndReclaimRemovesTheCrashedOnesIpv6State() throws Exception {
        Host lab = testLab.host();
        String net = "nsdsl";
        int n = 8;
        List<Sandbox> mine = new ArrayList<>();
        // This JVM makes the network (and its first sandbox); the child joins it as made by another process.
        mine.add(lab.create(p + "m0", NetworkMode.bridge().name(net).subnet("10.89.61.0/24").ipv6()));
        Process child = new ProcessBuilder(ChildJvm.argv(List.of(), System.getProperty("java.class.path"),
                DualStackChild.class, p + "lab", p + "c", Integer.toString(n), net)).redirectErrorStream(true).start();
        List<String> out = new ArrayList<>();
        try {
            BufferedReader r = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
            String line;
            while ((line = r.readLine()) != null && !line.equals("READY")) {
                out.add(line);
            }
            assertEquals("READY", line, "child output: " + out);
            OutputStream go = child.getOutputStream();
            go.write("go\n".getBytes(StandardCharsets.UTF_8));
            go.flush();
            for (int i = 1; i <= n; i++) { // at the same time as the child
                mine.add(lab.create(p + "m" + i, NetworkMode.bridge().name(net).ipv6()));
            }
            while ((line = r.readLine()) != null) {
                out.add(line);
            }
            assertTrue(child.waitFor(60, TimeUnit.SECONDS));
        } finally {
            child.destroyForcibly();
        }
        assertTrue(out.contains("MADE"), "child output: " + out);

        // Every address of either family once, and each sandbox one of each.
        Map<String, String> owners = new HashMap<>();
        String subnet6 = BridgeMode.defaultSubnet6(net);
        String prefix6 = subnet6.substring(0, subnet6.indexOf("::/64")) + ":";
        for (String line : out) {
            if (line.startsWith("ADDR ")) {
                String[] f = line.split(" ");
                assertEquals(4, f.length, "two addresses: " + line);
                for (int k = 2; k < 4; k++) {
                    String prev = owners.put(f[k], f[1]);
                    assertEquals(null, prev, f[k] + " given to " + prev + " and " + f[1]);
                }
                // the child's IPv6 address is in the network's subnet: it saw the network as dual-stack
                assertTrue(f[3].startsWith(prefix6), line);
            }
        }
        for (Sandbox s : mine) {
            List<InetAddress> a = s.addresses();
            assertEquals(2, a.size(), s + ": " + a);
            for (InetAddress x : a) {
                String prev = owners.put(Inet.toText(x), s.name());
                assertEquals(null, prev, x + " given to " + prev + " and " + s.name());
            }
            // witness: the kernel has the leased addresses
            assertEquals(List.of(Inet.toText(a.get(0)) + "/24", Inet.toText(a.get(1)) + "/64"),
                    Kernel.addresses(s.name(), "eth0"));
        }
        assertEquals(4 * n + 2, owners.size());
        Path leases = StateDir.path("ipam", lab.id(), net);
        for (Map.Entry<String, String> e : owners.entrySet()) {
            assertEquals(e.getValue(), Files.readString(leases.resolve(e.getKey())), "lease file of " + e.getKey());
        }

        // The child is dead: reclaim removes its namespaces and its leases of both families, nothing of ours.
        Reclaimed reclaimed = lab.reclaim();
        assertEquals(n, reclaimed.size(), reclaimed.toString());
        Set<String> left = new HashSet<>();
        try (Stream<Path> s = Files.list(leases)) {
            s.forEach(f -> left.add(f.getFileName().toString()));
        }
        Set<String> ours = new HashSet<>();
        for (Sandbox s : mine) {
            for (InetAddress x : s.addresses()) {
                ours.add(Inet.toText(x));
            }
        }
        assertEquals(ours, left, "only our leases are left, v4 and v6");
        for (int i = 0; i < n; i++) {
            assertFalse(Files.exists(NetNamespace.NETNS_DIR.resolve(p + "c" + i)), "child namespace " + i + " removed");
        }
        for (Sandbox s : mine) {
            s.close();
        }
        assertTrue(lab.leftovers().items(Leftovers.Kind.LEASE).isEmpty(), lab.leftovers().toString());
    }
}
