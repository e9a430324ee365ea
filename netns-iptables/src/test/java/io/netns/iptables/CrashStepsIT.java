package io.netns.iptables;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netns.Host;
import io.netns.NetNamespace;
import io.netns.NetworkMode;
import io.netns.Reclaimed;
import io.netns.Sandbox;
import io.netns.internal.CrashPoint;
import io.netns.testing.TestLab;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A crash between any two steps of create or close leaves nothing that {@code Host.reclaim()} does not
 * remove (issue 13, item 3): a child JVM makes and closes a published bridge sandbox and halts right after
 * step N, for every N until it runs to the end; after each, reclaim() in this JVM, and then nothing of the
 * sandbox is left, checked with ip, iptables-save, nft and the state directory.
 */
@Timeout(600)
class CrashStepsIT {
    private static final int PORT = 33123;

    @RegisterExtension
    final TestLab testLab = new TestLab("relks");
    private final String p = testLab.prefix();
    private NetNamespace labNs;
    private Host lab;

    @BeforeEach
    void setUp() throws Exception {
        // not a lab host: the children open it with Host.of, and the test's host makes the bridge network
        labNs = testLab.namespace("lab");
        Lab.ip(labNs, "link", "set", "lo", "up");
        lab = testLab.closeLater(Host.of(NetNamespace.open(labNs.name())));
        lab.create(p + "warm", NetworkMode.bridge().publish(PORT, 80)).close();
    }

    @AfterEach
    void tearDown() throws Exception {
        lab.reclaim(); // what a failed test left
        // The bridge network goes with the host once no port is left on it; veths go with their namespaces,
        // lazily. Then TestLab closes the host (network and lease directories) and the namespace, and checks
        // that nothing of the prefix is left.
        Leftovers.vethsSettled(labNs.name(), List.of());
    }

    @Test
    void aCrashAfterAnyStepOfCreateOrCloseLeavesNothingReclaimDoesNotRemove() throws Exception {
        List<String> steps = new ArrayList<>();
        for (int n = 1; n < 100; n++) {
            String name = p + "k" + n;
            Process c = new ProcessBuilder(ProcessHandle.current().info().command().orElseThrow(), "-Xmx64m",
                    "-XX:TieredStopAtLevel=1", "-Dio.netns.test.haltAfterStep=" + n, "-cp",
                    System.getProperty("java.class.path"), CrashStepsChild.class.getName(), labNs.name(), name,
                    Integer.toString(PORT)).redirectErrorStream(true).start();
            String out = new String(c.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(c.waitFor(60, TimeUnit.SECONDS), out);
            Reclaimed r = lab.reclaim();
            String left = leftOf(name);
            if (c.exitValue() == 0) {
                assertTrue(out.contains("DONE"), out);
                assertEquals("", left, "a clean run leaves nothing either");
                assertEquals(List.of(), r, "and nothing to reclaim");
                break;
            }
            assertEquals(CrashPoint.STATUS, c.exitValue(), out);
            String step = out.lines().filter(l -> l.startsWith("halt after step")).findFirst().orElse(out);
            steps.add(step);
            assertEquals("", left, "after " + step + ", reclaim " + r + " (removed " + r.removed() + ", spared "
                    + r.spared() + ") left");
            assertTrue(lab.leftovers().isEmpty(), "the leftovers API agrees: " + lab.leftovers());
        }
        System.out.println("crash steps checked: " + steps.size());
        steps.forEach(s -> System.out.println("  " + s));
        assertTrue(steps.size() >= 10, "the hook saw the steps of create and close: " + steps);
        // the port and the name are free again
        try (Sandbox s = lab.create(p + "k1", NetworkMode.bridge().publish(PORT, 80))) {
            assertEquals(1, s.addresses().size());
        }
    }

    /** What is left of the sandbox, seen without the library: namespace, record, lease, claim, rules, veths. */
    private String leftOf(String name) throws Exception {
        StringBuilder b = new StringBuilder();
        if (!Leftovers.namespaces(name).stream().filter(name::equals).toList().isEmpty()) {
            b.append("namespace ");
        }
        if (Files.exists(Path.of("/run/netns.d/sandboxes", name))) {
            b.append("record ");
        }
        List<String> leases = Leftovers.leases(labNs.name());
        if (!leases.isEmpty()) {
            b.append("leases ").append(leases).append(' ');
        }
        Path ports = Path.of("/run/netns.d/ports", labNs.name());
        if (Files.isDirectory(ports)) {
            try (Stream<Path> s = Files.walk(ports)) {
                List<Path> claims = s.filter(Files::isRegularFile).toList();
                if (!claims.isEmpty()) {
                    b.append("claims ").append(claims).append(' ');
                }
            }
        }
        List<String> rules = Leftovers.taggedRules(labNs.name(), "netns:" + labNs.name() + "/sandbox/");
        if (!rules.isEmpty()) {
            b.append("rules ").append(rules).append(' ');
        }
        List<String> veths = Leftovers.vethsSettled(labNs.name(), List.of());
        if (!veths.isEmpty()) {
            b.append("veths ").append(veths);
        }
        return b.toString().strip();
    }
}
