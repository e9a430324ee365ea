package io.netns.junit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import io.netns.Host;
import io.netns.NetNamespace;
import io.netns.NetworkMode;
import io.netns.Sandbox;
import io.netns.internal.StateDir;
import io.netns.testing.Privileged;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.platform.testkit.engine.EngineExecutionResults;
import org.junit.platform.testkit.engine.EngineTestKit;
import org.junit.platform.testkit.engine.Event;

/**
 * Lifetimes, keep-on-failure and the leak check, seen from outside: inner test classes run with the
 * JUnit Platform's EngineTestKit, and this class checks what they leave with {@code /run/netns}.
 * The inner classes run only inside this test (they need the system property it sets).
 */
class LifecycleIT {
    static final String GATE = "netns.testkit";
    static final List<String> SEEN = new CopyOnWriteArrayList<>();

    @BeforeEach
    void gate() {
        Privileged.require();
        SEEN.clear();
    }

    static EngineExecutionResults run(Class<?> inner) {
        System.setProperty(GATE, "on");
        try {
            return EngineTestKit.engine("junit-jupiter").selectors(selectClass(inner)).execute();
        } finally {
            System.clearProperty(GATE);
        }
    }

    static boolean exists(String ns) {
        return Files.exists(Path.of("/run/netns", ns));
    }

    static List<String> namespacesStartingWith(String prefix) throws IOException {
        try (Stream<Path> all = Files.list(Path.of("/run/netns"))) {
            return all.map(p -> p.getFileName().toString()).filter(n -> n.startsWith(prefix)).collect(Collectors.toList());
        }
    }

    static String failures(EngineExecutionResults r) {
        return r.testEvents().failed().stream().map(Event::toString).collect(Collectors.joining("\n"));
    }

    // ---- per test

    @NetnsTest
    @EnabledIfSystemProperty(named = GATE, matches = "on")
    static class PerMethodLabs {
        @Test
        void first(Host lab, Sandbox s) {
            SEEN.add(lab.id());
            assertTrue(exists(lab.id()) && exists(s.name()));
        }

        @Test
        void second(Host lab, Sandbox s) {
            SEEN.add(lab.id());
            assertTrue(exists(lab.id()) && exists(s.name()));
        }
    }

    @Test
    void eachTestGetsItsOwnLabRemovedAfterIt() {
        EngineExecutionResults r = run(PerMethodLabs.class);
        r.testEvents().assertStatistics(s -> s.started(2).succeeded(2));
        assertEquals(2, SEEN.size(), SEEN.toString());
        assertNotEquals(SEEN.get(0), SEEN.get(1));
        for (String id : SEEN) {
            assertFalse(exists(id), id + " left");
        }
    }

    // ---- per class

    @NetnsTest
    @EnabledIfSystemProperty(named = GATE, matches = "on")
    @TestInstance(TestInstance.Lifecycle.PER_CLASS)
    static class PerClassLab {
        Host lab;
        Sandbox web;

        @BeforeAll
        void setUp(Host lab, @Mode(Mode.Kind.BRIDGE) Sandbox web) {
            this.lab = lab;
            this.web = web;
        }

        @Test
        void first(Host own) {
            SEEN.add(lab.id() + " " + web.name() + " " + own.id());
            assertTrue(exists(lab.id()) && exists(web.name()));
        }

        @Test
        void second() {
            SEEN.add(lab.id() + " " + web.name());
            assertTrue(exists(lab.id()) && exists(web.name()));
        }
    }

    @Test
    void constructorAndBeforeAllParametersLiveForTheClass() {
        EngineExecutionResults r = run(PerClassLab.class);
        r.testEvents().assertStatistics(s -> s.started(2).succeeded(2));
        assertEquals(2, SEEN.size(), SEEN.toString());
        // first() records three names, second() two; their order is JUnit's
        String[] first = (SEEN.get(0).split(" ").length == 3 ? SEEN.get(0) : SEEN.get(1)).split(" ");
        String[] second = (SEEN.get(0).split(" ").length == 3 ? SEEN.get(1) : SEEN.get(0)).split(" ");
        assertEquals(2, second.length, SEEN.toString());
        assertEquals(first[0], second[0], "one lab for the class");
        assertEquals(first[1], second[1], "one sandbox for the class");
        assertNotEquals(first[0], first[2], "a test method's own Host is a fresh lab");
        for (String n : new String[] {first[0], first[1], first[2]}) {
            assertFalse(exists(n), n + " left");
        }
    }

    // ---- keep on failure

    @NetnsTest(keepOnFailure = true)
    @EnabledIfSystemProperty(named = GATE, matches = "on")
    static class KeptOnFailure {
        @Test
        void fails(Host lab, @Mode(Mode.Kind.BRIDGE) Sandbox web) {
            SEEN.add(lab.id());
            SEEN.add(web.name());
            throw new AssertionError("deliberate failure");
        }
    }

    @Test
    void aFailedTestsLabIsKeptWhenAskedAndTheWayToInspectItPrinted() throws Exception {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream old = System.err;
        EngineExecutionResults r;
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            r = run(KeptOnFailure.class);
        } finally {
            System.setErr(old);
        }
        String lab = SEEN.get(0);
        String web = SEEN.get(1);
        try {
            r.testEvents().assertStatistics(s -> s.started(1).failed(1));
            assertTrue(failures(r).contains("deliberate failure"), failures(r));
            assertTrue(exists(lab) && exists(web), "kept: " + lab + ", " + web);
            String printed = err.toString(StandardCharsets.UTF_8);
            assertTrue(printed.contains("kept the lab of failed test 'fails(Host, Sandbox)'"), printed);
            assertTrue(printed.contains("ip netns list | grep '^" + lab + "'"), printed);
            assertTrue(printed.contains("ip -n " + web + " addr"), printed);
            assertTrue(printed.contains("ip netns delete " + lab + ";") && printed.contains("ip netns delete " + web + ";"),
                    printed);
            String link = NetnsExtensionIT.ip("-n", web, "-o", "addr");
            assertTrue(link.contains("10.89.0."), "the kept sandbox still has its address: " + link);
        } finally {
            // the kept lab belongs to this live JVM: reclaim() spares it, so remove what core lists by hand
            try (Host kept = Host.of(NetNamespace.open(lab))) {
                assertEquals(List.of(), kept.reclaim(), "nothing: the owner (this JVM) is alive");
                kept.leftovers().remove();
            }
            for (String n : List.of(web, lab)) {
                if (exists(n)) {
                    try (NetNamespace ns = NetNamespace.open(n)) {
                        ns.delete();
                    }
                }
            }
        }
        assertFalse(exists(lab) || exists(web));
    }

    // ---- leak check

    static Host secondHandle;

    @NetnsTest
    @EnabledIfSystemProperty(named = GATE, matches = "on")
    static class Leaking {
        @Test
        void leaksANamespace(Host lab) throws Exception {
            SEEN.add(lab.id());
            NetNamespace.create(lab.id() + "-leak").close(); // closed, but never deleted
        }

        @Test
        void leaksABridgeSandboxThroughItsOwnHostHandle(Host lab) throws Exception {
            SEEN.add(lab.id());
            secondHandle = Host.of(NetNamespace.open(lab.id()));
            secondHandle.create(lab.id() + "-forgotten", NetworkMode.bridge().ipv6()); // never closed; dual-stack
        }

        @Test
        void cleanTest(Host lab, @Mode(Mode.Kind.BRIDGE) Sandbox web) {
            SEEN.add(lab.id());
        }
    }

    @Test
    void aTestThatLeavesSomethingFailsAndTheLeakIsRemoved() throws Exception {
        EngineExecutionResults r;
        try {
            r = run(Leaking.class);
        } finally {
            if (secondHandle != null) {
                for (Sandbox s : secondHandle.sandboxes()) {
                    try {
                        s.close();
                    } catch (Exception ignored) {
                        // already removed by the leak check
                    }
                }
                secondHandle.namespace().close();
                secondHandle = null;
            }
        }
        r.testEvents().assertStatistics(s -> s.started(3).succeeded(1).failed(2));
        String failed = failures(r);
        assertTrue(failed.contains("netns leak check") && failed.contains("-leak]"), failed);
        assertTrue(failed.contains("-forgotten"), failed);
        assertTrue(failed.contains("sandbox veths [nv"), "the forgotten sandbox's veth was seen in the lab: " + failed);
        assertTrue(failed.contains("owner records") && failed.contains("address leases"), failed);
        // both of the dual-stack sandbox's leases are seen (and then removed)
        String v6 = io.netns.BridgeMode.defaultSubnet6("netns0").replace("::/64", "::2");
        assertTrue(failed.contains("netns0/10.89.0.2") && failed.contains("netns0/" + v6), failed);
        assertEquals(3, SEEN.size(), SEEN.toString());
        for (String id : SEEN) {
            assertEquals(List.of(), namespacesStartingWith(id), "left after the leak check removed them");
            assertFalse(Files.exists(StateDir.path("sandboxes", id + "-forgotten")));
            assertFalse(Files.exists(StateDir.path("ipam", id)), id + " leases");
        }
    }
}
