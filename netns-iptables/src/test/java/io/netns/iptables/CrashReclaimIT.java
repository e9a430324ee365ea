package io.netns.iptables;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netns.Host;
import io.netns.NetNamespace;
import io.netns.NetworkMode;
import io.netns.Sandbox;
import io.netns.testing.Kernel;
import io.netns.testing.TestLab;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Crash recovery: a child JVM that made bridge sandboxes with published ports is killed with SIGKILL, and
 * {@code Host.reclaim()} in this JVM removes all it left and nothing else. And two JVMs making sandboxes
 * on one bridge network at once hand out no address twice and lose no rule.
 */
@Timeout(240)
class CrashReclaimIT {
    private static final int SANDBOXES = 40;

    @RegisterExtension
    final TestLab testLab = new TestLab("relcr");
    private final String p = testLab.prefix();
    private NetNamespace labNs;
    private final List<Process> children = new ArrayList<>();

    @BeforeEach
    void setUp() throws Exception {
        labNs = NetNamespace.create(p + "lab");
        Lab.ip(labNs, "link", "set", "lo", "up");
    }

    @AfterEach
    void tearDown() throws Exception {
        for (Process c : children) {
            c.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        try (Host h = Host.of(NetNamespace.open(labNs.name()))) {
            h.reclaim(); // whatever a failed test left
        }
        if (Leftovers.namespaces(p).contains(p + "foreign")) {
            Lab.run(List.of("ip", "netns", "delete", p + "foreign"));
        }
        labNs.close();
        labNs.delete();
        // the dead children's bridge network stays by design (see Host.reclaim); its empty lease directory
        // goes with the lab
        assertEquals(List.of(), Leftovers.leases(labNs.name()));
        java.nio.file.Path ipam = Leftovers.IPAM_DIR.resolve(labNs.name());
        if (java.nio.file.Files.isDirectory(ipam)) {
            try (var dirs = java.nio.file.Files.walk(ipam)) {
                for (java.nio.file.Path d : dirs.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    java.nio.file.Files.delete(d); // empty directories only: a lease file would fail here
                }
            }
        }
        assertEquals(List.of(), Leftovers.namespaces(p));
        assertEquals(List.of(), Leftovers.ownerRecords(p));
        assertFalse(Lab.realFirewall().contains(p), "the machine's firewall never saw the lab");
    }

    private Process child(String prefix, int count, int portBase) throws Exception {
        List<String> argv = List.of(ProcessHandle.current().info().command().orElseThrow(), "-Xmx64m",
                "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"), CrashChild.class.getName(),
                labNs.name(), prefix, Integer.toString(count), Integer.toString(portBase));
        Process c = new ProcessBuilder(argv).redirectErrorStream(true).start();
        children.add(c);
        return c;
    }

    /** Reads the child's lines until READY; @return sandbox name to address */
    private static CompletableFuture<Map<String, String>> ready(Process c) {
        return CompletableFuture.supplyAsync(() -> {
            Map<String, String> ips = new TreeMap<>();
            StringBuilder all = new StringBuilder();
            try {
                BufferedReader r = new BufferedReader(new InputStreamReader(c.getInputStream(), StandardCharsets.UTF_8));
                for (String line; (line = r.readLine()) != null; ) {
                    all.append(line).append('\n');
                    if (line.equals("READY")) {
                        return ips;
                    }
                    if (line.startsWith("ip ")) {
                        String[] f = line.split(" ");
                        ips.put(f[1], f[2]);
                    }
                }
            } catch (Exception e) {
                throw new AssertionError("reading the child: " + e + "\n" + all, e);
            }
            throw new AssertionError("the child ended before READY:\n" + all);
        }, r -> {
            Thread t = new Thread(r, "child-reader");
            t.setDaemon(true);
            t.start();
        });
    }

    private List<String> dnatPorts() throws Exception {
        return Nft.elements(labNs.path().toString(), "ip").stream().map(e -> e.key().replaceAll(".* (\\d+)$", "$1"))
                .sorted().toList();
    }

    @Test
    void reclaimRemovesAllAKilledJvmLeftAndNothingElse() throws Exception {
        // foreign things in the lab, made without netns
        io.netns.testing.Ip.netnsAdd(p + "foreign");
        Lab.ip(labNs, "link", "add", "fveth0", "type", "veth", "peer", "name", "fveth1");
        Lab.exec(labNs, "iptables", "-A", "INPUT", "-p", "tcp", "--dport", "9999", "-j", "ACCEPT");
        Lab.exec(labNs, "iptables", "-t", "nat", "-A", "PREROUTING", "-p", "tcp", "--dport", "9998", "-m", "comment",
                "--comment", "not-netns", "-j", "DNAT", "--to-destination", "10.89.0.99:80");

        long t0 = System.nanoTime();
        Process c = child(p + "s", SANDBOXES, 31000);
        Map<String, String> ips = ready(c).get(180, TimeUnit.SECONDS);
        double made = (System.nanoTime() - t0) / 1e9;
        assertEquals(SANDBOXES, ips.size());
        // what it made, seen independently
        assertEquals(SANDBOXES, Leftovers.namespaces(p + "s").size());
        assertEquals(SANDBOXES + 2, Leftovers.veths(labNs.name()).size(), "the children's and fveth0/fveth1: " + Lab.ip(labNs, "-o", "link"));
        assertEquals(SANDBOXES, Leftovers.ownerRecords(p + "s").size());
        assertEquals(SANDBOXES, Leftovers.leases(labNs.name()).size());
        assertEquals(SANDBOXES, dnatPorts().size());

        c.destroyForcibly(); // SIGKILL
        assertTrue(c.waitFor(10, TimeUnit.SECONDS));
        assertEquals(137, c.exitValue());

        long t1 = System.nanoTime();
        List<String> reclaimed;
        try (Host h = Host.of(NetNamespace.open(labNs.name()))) {
            reclaimed = h.reclaim();
        }
        double took = (System.nanoTime() - t1) / 1e9;
        List<String> veths = Leftovers.vethsSettled(labNs.name(), List.of("fveth0", "fveth1"));
        List<String> rules = Leftovers.taggedRules(labNs.name(), "netns:" + labNs.name() + "/sandbox/");
        System.out.printf("crash: child made %d sandboxes in %.1f s; reclaim of %d took %.2f s; left: %d namespaces, "
                        + "%d veths, %d rules, %d leases, %d records%n", SANDBOXES, made, reclaimed.size(), took,
                Leftovers.namespaces(p + "s").size(), veths.size() - 2, rules.size(),
                Leftovers.leases(labNs.name()).size(), Leftovers.ownerRecords(p + "s").size());
        assertEquals(ips.keySet(), new HashSet<>(reclaimed));
        assertEquals(List.of(), Leftovers.namespaces(p + "s"));
        assertEquals(List.of("fveth0"), veths.stream().filter(v -> !v.equals("fveth1")).toList());
        assertEquals(List.of(), rules);
        assertEquals(8, Leftovers.taggedRules(labNs.name(), "netns:" + labNs.name() + "/network/").size(),
                "the shared bridge network's rules stay");
        assertEquals(List.of(), Leftovers.leases(labNs.name()));
        assertEquals(List.of(), Leftovers.ownerRecords(p + "s"));
        // the foreign things stay
        assertTrue(Leftovers.namespaces(p).contains(p + "foreign"));
        String save = Leftovers.save(labNs.name());
        assertTrue(save.contains("-A INPUT -p tcp -m tcp --dport 9999 -j ACCEPT"), save);
        assertTrue(save.contains("--comment not-netns -j DNAT --to-destination 10.89.0.99:80"), save);
        // reclaim again: nothing more to do
        try (Host h = Host.of(NetNamespace.open(labNs.name()))) {
            assertEquals(List.of(), h.reclaim());
        }

        // 40 new sandboxes, same names and ports, succeed
        try (Host h = Host.of(NetNamespace.open(labNs.name()))) {
            List<Sandbox> again = new ArrayList<>();
            for (int i = 0; i < SANDBOXES; i++) {
                again.add(h.create(p + "s" + i, NetworkMode.bridge().publish(31000 + i, 80)));
            }
            assertEquals(SANDBOXES, dnatPorts().size());
            // the kernel's view (ip -j): 40 distinct addresses, each sandbox on the network's bridge
            assertEquals(SANDBOXES, again.stream().map(s -> Kernel.ipv4(s.name(), "eth0")).distinct().count());
            for (Sandbox s : again) {
                Kernel.assertOnBridge(s.name(), "eth0", labNs.name(), "netns0");
            }
        }
        assertEquals(List.of(), Leftovers.namespaces(p + "s"));
    }

    @Test
    void twoJvmsOnOneBridgeNetworkHandOutNoAddressTwiceAndLoseNoRule() throws Exception {
        int each = 20;
        Process a = child(p + "a", each, 32000);
        Process b = child(p + "b", each, 32100);
        CompletableFuture<Map<String, String>> ra = ready(a);
        CompletableFuture<Map<String, String>> rb = ready(b);
        Map<String, String> all = new TreeMap<>(ra.get(180, TimeUnit.SECONDS));
        all.putAll(rb.get(180, TimeUnit.SECONDS));
        assertEquals(2 * each, all.size());
        // the kernel's view: each sandbox's eth0 address, by ip -n <sandbox> addr
        Map<String, String> seen = new TreeMap<>();
        for (String name : all.keySet()) {
            String out = Lab.run(List.of("ip", "-n", name, "-o", "-4", "addr", "show", "dev", "eth0"));
            seen.put(name, out.replaceAll("(?s).*inet (\\S+)/.*", "$1").strip());
        }
        assertEquals(all, seen, "each child reported the address its sandbox has");
        Map<String, List<String>> byAddress = seen.entrySet().stream().collect(Collectors.groupingBy(Map.Entry::getValue,
                Collectors.mapping(Map.Entry::getKey, Collectors.toList())));
        Set<String> twice = byAddress.entrySet().stream().filter(e -> e.getValue().size() > 1).map(Map.Entry::getKey)
                .collect(Collectors.toSet());
        List<String> ports = dnatPorts();
        List<String> want = new ArrayList<>();
        for (int i = 0; i < each; i++) {
            want.add(Integer.toString(32000 + i));
            want.add(Integer.toString(32100 + i));
        }
        System.out.printf("two JVMs: %d sandboxes, %d distinct addresses, %d given twice, %d of %d DNAT rules%n",
                seen.size(), byAddress.size(), twice.size(), ports.size(), want.size());
        assertEquals(Set.of(), twice, "addresses handed out twice: " + byAddress);
        assertEquals(want.stream().sorted().toList(), ports);
        for (Process c : List.of(a, b)) {
            c.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        try (Host h = Host.of(NetNamespace.open(labNs.name()))) {
            assertEquals(2 * each, h.reclaim().size());
        }
        assertEquals(List.of(), Leftovers.vethsSettled(labNs.name(), List.of()));
        assertEquals(List.of(), Leftovers.taggedRules(labNs.name(), "netns:" + labNs.name() + "/sandbox/"));
    }
}
