package io.netns.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netns.Netns;
import io.netns.internal.PrivilegeGate;
import io.netns.internal.StateDir;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The published-port benchmarks measure what they say, on a lab host, and leave nothing: the background
 * ports are in the lab's {@code netns} table (read with {@code nft} inside the lab, not through the library),
 * the measured port is gone again after each invocation, a first-packet invocation is a connection the
 * server in the sandbox accepts, and after the tear-down the lab namespace and every port claim of it are gone.
 */
class PublishedPortBenchmarksIT {
    @BeforeAll
    static void privileged() {
        String skip = PrivilegeGate.decide(PrivilegeGate.namespacesUnavailable(Netns.unavailabilityCause()), null);
        Assumptions.assumeTrue(skip == null, skip);
    }

    @Test
    void onePortPublishesAndRemovesAmongTheBackground() throws Exception {
        PublishBenchmark.Flat s = new PublishBenchmark.Flat();
        s.published = 10;
        s.open();
        Path ns = s.lab.host.path();
        String id = s.lab.lab.host().id();
        try {
            String before = nft(ns);
            for (int port = PortLab.BACKGROUND_BASE; port < PortLab.BACKGROUND_BASE + 10; port++) {
                assertTrue(before.contains(Integer.toString(port)), port + " not in\n" + before);
            }
            assertFalse(before.contains(Integer.toString(PublishBenchmark.PORT)), before);
            assertTrue(Files.isDirectory(claims(id).resolve("tcp-" + PortLab.BACKGROUND_BASE)));

            PublishBenchmark b = new PublishBenchmark();
            b.onePort(s);
            b.onePort(s);
            String after = nft(ns);
            assertFalse(after.contains(Integer.toString(PublishBenchmark.PORT)), after);
            assertFalse(Files.exists(claims(id).resolve("tcp-" + PublishBenchmark.PORT)));
        } finally {
            s.close();
        }
        assertFalse(Files.exists(ns), ns + " left");
        assertEquals(List.of(), leftIn(claims(id)));
    }

    @Test
    void rangeIsPublishedAndRemovedWhole() throws Exception {
        PublishBenchmark.RangeState s = new PublishBenchmark.RangeState();
        s.open(); // publishes and removes the range once, or fails with the firewall's reason
        Path ns = s.lab.host.path();
        String id = s.lab.lab.host().id();
        try {
            s.lab.firewall.publish(s.lab.host, s.owner, s.lab.bridge, s.ips, List.of(PublishBenchmark.RANGE));
            String during = nft(ns);
            assertTrue(during.contains("20000-20999"), "the range as one interval:\n" + during);
            s.lab.firewall.remove(s.lab.host, s.owner);
            assertFalse(nft(ns).contains("20000-20999"));
            new PublishBenchmark().range(s);
            assertFalse(nft(ns).contains("20000-20999"));
        } finally {
            s.close();
        }
        assertFalse(Files.exists(ns), ns + " left");
        assertEquals(List.of(), leftIn(claims(id)));
    }

    @Test
    void firstPacketIsAConnectionTheSandboxAccepts() throws Exception {
        FirstPacketBenchmark.Path p = new FirstPacketBenchmark.Path();
        p.background = 10;
        p.open();
        Path client = p.client.path();
        try {
            long expected = 3; // the set-up's check of the path, then two invocations
            FirstPacketBenchmark b = new FirstPacketBenchmark();
            int first = b.connect(p);
            int second = b.connect(p);
            assertNotEquals(first, second, "a fresh source port, so a fresh flow, per invocation");
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (p.accepted.get() < expected && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertEquals(expected, p.accepted.get(), "connections the server in the sandbox accepted");
        } finally {
            p.close();
        }
        assertFalse(Files.exists(client), client + " left");
    }

    /** What {@code nft list table ip netns} prints inside the namespace at {@code ns}. */
    private static String nft(Path ns) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("nsenter", "--net=" + ns, "nft", "list", "table", "ip", "netns")
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), out);
        return out;
    }

    private static Path claims(String host) {
        return StateDir.path("ports", host);
    }

    private static List<Path> leftIn(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(Files::isRegularFile).toList();
        }
    }
}
