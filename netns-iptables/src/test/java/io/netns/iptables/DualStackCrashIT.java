package io.netns.iptables;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netns.Host;
import io.netns.NetNamespace;
import io.netns.testing.Cmd;
import io.netns.testing.TestLab;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Issue 17 item 5 and issue 18 item 3 after a crash: a JVM that made a dual-stack bridge sandbox publishing
 * a range, a choice and a single port is killed; {@code Host.reclaim()} in another JVM removes its state in
 * both families (map elements of {@code ip} and {@code ip6 netns}, the ip6tables/iptables rules, the port and
 * range claims, the leases, the namespace), read back with {@code nft}, {@code ip6tables-save} and the files
 * under {@code /run/netns.d}; then the same ports publish again.
 */
@Timeout(180)
class DualStackCrashIT {
    @RegisterExtension
    final TestLab testLab = new TestLab("dscr");

    private static List<String> files(Path root) throws Exception {
        if (!Files.exists(root)) {
            return List.of();
        }
        try (Stream<Path> s = Files.walk(root)) {
            return s.filter(Files::isRegularFile).map(Path::toString).sorted().toList();
        }
    }

    @Test
    void reclaimAfterAKilledJvmRemovesBothFamiliesOfItsPublications() throws Exception {
        NetNamespace lab = testLab.namespace("lab");
        Cmd.run("ip", "-n", lab.name(), "link", "set", "lo", "up");
        String name = testLab.name("web");
        String tag = "netns:" + lab.name() + "/sandbox/" + name;
        List<String> argv = List.of(ProcessHandle.current().info().command().orElseThrow(), "-Xmx64m",
                "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"), SpecChild.class.getName(),
                lab.name(), name, "dscr0", "8000-8009:8000-8009", "9000-9010:80", "[::]:7070:70/udp");
        Process child = new ProcessBuilder(argv).redirectErrorStream(true).start();
        try {
            StringBuilder out = new StringBuilder();
            BufferedReader r = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
            for (String line; (line = r.readLine()) != null && !line.equals("READY"); ) {
                out.append(line).append('\n');
            }
            assertTrue(out.toString().contains("published [tcp *:8000-8009->8000-8009, tcp *:9000->80, udp [::]:7070->70]"),
                    out.toString());
            String v6 = Cmd.in(lab.name(), "nft", "list", "table", "ip6", "netns");
            assertTrue(v6.contains(tag) && v6.contains("8000-8009") && v6.contains("7070"), v6);
            assertTrue(Cmd.in(lab.name(), "nft", "list", "table", "ip", "netns").contains(tag));
            assertFalse(files(Path.of("/run/netns.d/port-ranges", lab.name())).isEmpty());
            assertFalse(files(Path.of("/run/netns.d/ipam", lab.name())).isEmpty());
        } finally {
            child.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }

        try (Host host = Host.of(NetNamespace.open(lab.name()))) {
            assertEquals(List.of(name), host.reclaim());
            String all = Cmd.in(lab.name(), "nft", "list", "ruleset") + Cmd.in(lab.name(), "ip6tables-save")
                    + Cmd.in(lab.name(), "iptables-save");
            assertFalse(all.contains(name), all);
            assertEquals(List.of(), files(Path.of("/run/netns.d/ports", lab.name())), "no port claim");
            assertEquals(List.of(), files(Path.of("/run/netns.d/port-ranges", lab.name())), "no range claim");
            assertEquals(List.of(), files(Path.of("/run/netns.d/ipam", lab.name())), "no lease of either family");
            assertFalse(Files.exists(NetNamespace.NETNS_DIR.resolve(name)), "no namespace");
            long deadline = System.nanoTime() + 5_000_000_000L; // a veth dies with its namespace, shortly after
            while (!Cmd.run("ip", "-n", lab.name(), "-o", "link", "show", "type", "veth").isBlank()
                    && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            assertEquals("", Cmd.run("ip", "-n", lab.name(), "-o", "link", "show", "type", "veth").strip(), "no veth");

            // the ports are free again: the same publications succeed in this JVM
            try (var again = host.create(name, io.netns.NetworkMode.bridge().name("dscr0").ipv6()
                    .publish("8000-8009:8000-8009").publish("9000-9010:80").publish("[::]:7070:70/udp"))) {
                assertEquals("[tcp *:8000-8009->8000-8009, tcp *:9000->80, udp [::]:7070->70]",
                        again.published().toString());
            }
            assertEquals(List.of(), host.reclaim());
        }
        // a real host keeps its network's bridge; the lab namespace goes with the test, and its leases' directories
        Path ipam = Path.of("/run/netns.d/ipam", lab.name());
        if (Files.isDirectory(ipam)) {
            try (Stream<Path> dirs = Files.walk(ipam)) {
                for (Path d : dirs.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.delete(d); // empty directories only: a lease file would fail here
                }
            }
        }
    }
}
