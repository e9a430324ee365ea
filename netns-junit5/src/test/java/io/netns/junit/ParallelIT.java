package io.netns.junit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import io.netns.Host;
import io.netns.NetNamespace;
import io.netns.Sandbox;
import io.netns.testing.Privileged;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.platform.testkit.engine.EngineExecutionResults;
import org.junit.platform.testkit.engine.EngineTestKit;

/**
 * {@code @NetnsTest} under JUnit's parallel execution ({@code junit.jupiter.execution.parallel.enabled=true},
 * methods and classes concurrent, 4 threads): every test gets a lab of its own, made and removed while
 * others run, and they all pass. Runs rootless too (CI's rootless pass).
 */
class ParallelIT {
    static final String GATE = "netns.parallel";
    static final List<String> LABS = new CopyOnWriteArrayList<>();
    static final AtomicInteger RUNNING = new AtomicInteger();
    static final AtomicInteger MOST = new AtomicInteger();

    @BeforeEach
    void gate() {
        Privileged.require();
        LABS.clear();
        MOST.set(0);
    }

    /** One test's work: a lab, a bridge sandbox and TCP through it, while the others do the same. */
    static void work(Host lab, Sandbox web, NetNamespace ns) throws Exception {
        MOST.accumulateAndGet(RUNNING.incrementAndGet(), Math::max);
        try {
            LABS.add(lab.id());
            assertTrue(Files.exists(NetNamespace.directory().resolve(lab.id())), lab.id());
            assertTrue(Files.exists(NetNamespace.directory().resolve(ns.name())), ns.name());
            try (ServerSocket server = web.call(() -> new ServerSocket(80))) {
                CountDownLatch served = new CountDownLatch(1);
                Thread t = new Thread(() -> {
                    try (Socket s = server.accept(); OutputStream o = s.getOutputStream()) {
                        o.write(lab.id().length());
                        served.countDown();
                    } catch (Exception e) {
                        // the assertion below fails
                    }
                });
                t.start();
                int got = lab.namespace().call(() -> {
                    try (Socket s = new Socket()) {
                        s.connect(new InetSocketAddress(web.addresses().get(0), 80), 5000);
                        try (InputStream in = s.getInputStream()) {
                            return in.read();
                        }
                    }
                });
                assertEquals(lab.id().length(), got);
                assertTrue(served.await(10, TimeUnit.SECONDS));
            }
            Thread.sleep(100); // overlap with the other tests
        } finally {
            RUNNING.decrementAndGet();
        }
    }

    @NetnsTest
    @EnabledIfSystemProperty(named = GATE, matches = "on")
    static class First {
        @RepeatedTest(4)
        void labs(Host lab, @Mode(Mode.Kind.BRIDGE) Sandbox web, NetNamespace ns) throws Exception {
            work(lab, web, ns);
        }
    }

    @NetnsTest
    @EnabledIfSystemProperty(named = GATE, matches = "on")
    static class Second {
        @Test
        void one(Host lab, @Mode(Mode.Kind.BRIDGE) Sandbox web, NetNamespace ns) throws Exception {
            work(lab, web, ns);
        }

        @RepeatedTest(3)
        void more(Host lab, @Mode(Mode.Kind.BRIDGE) Sandbox web, NetNamespace ns) throws Exception {
            work(lab, web, ns);
        }
    }

    @Test
    void fourThreadsGetDistinctLabsAndAllPass() throws Exception {
        System.setProperty(GATE, "on");
        EngineExecutionResults r;
        try {
            r = EngineTestKit.engine("junit-jupiter")
                    .configurationParameter("junit.jupiter.execution.parallel.enabled", "true")
                    .configurationParameter("junit.jupiter.execution.parallel.mode.default", "concurrent")
                    .configurationParameter("junit.jupiter.execution.parallel.mode.classes.default", "concurrent")
                    .configurationParameter("junit.jupiter.execution.parallel.config.strategy", "fixed")
                    .configurationParameter("junit.jupiter.execution.parallel.config.fixed.parallelism", "4")
                    .selectors(selectClass(First.class), selectClass(Second.class)).execute();
        } finally {
            System.clearProperty(GATE);
        }
        assertEquals(8, r.testEvents().succeeded().count(), LifecycleIT.failures(r));
        assertEquals(0, r.testEvents().failed().count(), LifecycleIT.failures(r));
        assertEquals(8, LABS.size(), LABS.toString());
        Set<String> distinct = new HashSet<>(LABS);
        assertEquals(8, distinct.size(), "a lab per test: " + LABS);
        assertTrue(MOST.get() > 1, "the tests ran at the same time (at most " + MOST.get() + " at once)");
        for (String lab : distinct) {
            assertTrue(!Files.exists(Path.of(NetNamespace.directory().toString(), lab)), lab + " removed");
        }
    }
}
