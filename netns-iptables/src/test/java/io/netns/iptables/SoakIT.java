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
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Soak: {@value #CYCLES} create/close cycles of bridge sandboxes with a published port, {@value #ALIVE}
 * alive at a time, on a lab host; then nothing of them is left (namespaces, veths, tagged rules, leases,
 * owner records) and the JVM's descriptors and heap are back at their level.
 *
 * <p>The baseline is taken after {@value #WARMUP} warm-up cycles: the first use loads classes, opens the
 * host's rtnetlink socket and the firewall's lock file, and probes the iptables version, all of which
 * stay for the JVM's life by design. Heap tolerance: the used heap after {@code System.gc()} may exceed
 * the baseline's by at most {@value #HEAP_SLACK_MB} MB (JIT and class metadata churn, G1 region
 * granularity); a leak of one object graph per cycle would grow by far more over {@value #CYCLES} cycles.
 */
@Timeout(300)
class SoakIT {
    static final int CYCLES = Integer.getInteger("soak.cycles", 500);
    static final int ALIVE = 4;
    static final int WARMUP = 8;
    static final int HEAP_SLACK_MB = 8;
    static final int FD_SLACK = 10;

    @RegisterExtension
    final TestLab testLab = new TestLab("relsoak");
    private final String p = testLab.prefix();
    private NetNamespace labNs;
    private Host lab;

    @BeforeEach
    void setUp() throws Exception {
        lab = testLab.plainHost(); // not a lab host: close() removes the bridge itself
        labNs = lab.namespace();
    }

    @AfterEach
    void tearDown() throws Exception {
        // TestLab then closes the host, deletes the namespace and fails on anything of the prefix left
        String real = Lab.realFirewall();
        assertFalse(real.contains(p), "the machine's firewall never saw the lab");
    }

    private static long heapAfterGc() throws InterruptedException {
        MemoryMXBean mem = ManagementFactory.getMemoryMXBean();
        long used = Long.MAX_VALUE;
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(100);
            used = Math.min(used, mem.getHeapMemoryUsage().getUsed());
        }
        return used;
    }

    private void cycles(int count, int portBase, AtomicInteger done) throws Exception {
        ExecutorService workers = Executors.newFixedThreadPool(ALIVE);
        try {
            List<Future<?>> fs = new ArrayList<>();
            for (int w = 0; w < ALIVE; w++) {
                int worker = w;
                fs.add(workers.submit(() -> {
                    for (int i = worker; i < count; i += ALIVE) {
                        try (Sandbox s = lab.create(p + "w" + worker, NetworkMode.bridge().publish(portBase + worker, 80))) {
                            // the kernel's view from inside (fib_trie), not the library's: one address of the network
                            List<String> local = s.call(Kernel::localIpv4Here);
                            if (local.size() != 1 || !local.get(0).startsWith("10.89.0.")) {
                                throw new AssertionError("the kernel gives " + s.name() + " the addresses " + local);
                            }
                        }
                        done.incrementAndGet();
                    }
                    return null;
                }));
            }
            for (Future<?> f : fs) {
                f.get(280, TimeUnit.SECONDS);
            }
        } finally {
            workers.shutdownNow();
        }
    }

    @Test
    void fiveHundredCyclesLeaveNothingBehind() throws Exception {
        AtomicInteger done = new AtomicInteger();
        cycles(WARMUP, 30000, done);
        int fds0 = Leftovers.openFds();
        long heap0 = heapAfterGc();
        int threads0 = Thread.activeCount();

        long t0 = System.nanoTime();
        done.set(0);
        cycles(CYCLES, 30000, done);
        double secs = (System.nanoTime() - t0) / 1e9;
        assertEquals(CYCLES, done.get());

        List<String> veths = Leftovers.vethsSettled(labNs.name(), List.of());
        int fds1 = Leftovers.openFds();
        long heap1 = heapAfterGc();
        int threads1 = Thread.activeCount();
        List<String> rules = Leftovers.taggedRules(labNs.name(), "netns:" + lab.id() + "/sandbox/");
        List<String> networkRules = Leftovers.taggedRules(labNs.name(), "netns:" + lab.id() + "/network/");
        List<String> leases = Leftovers.leases(lab.id());
        System.out.printf("soak: %d cycles (%d alive at a time, 1 published port each) in %.1f s = %.1f ms/cycle; "
                        + "left: %d veths, %d namespaces, %d sandbox rules, %d leases, %d owner records; "
                        + "fds %d -> %d, heap %.1f -> %.1f MB, threads %d -> %d%n",
                CYCLES, ALIVE, secs, secs * 1000 / CYCLES, veths.size(), Leftovers.namespaces(p + "w").size(),
                rules.size(), leases.size(), Leftovers.ownerRecords(p).size(), fds0, fds1, heap0 / 1e6, heap1 / 1e6,
                threads0, threads1);

        assertEquals(List.of(), veths, "veths left");
        assertEquals(List.of(), Leftovers.namespaces(p + "w"), "sandbox namespaces left");
        assertEquals(List.of(), rules, "sandbox rules left");
        assertEquals(List.of(), leases, "leases left");
        assertEquals(List.of(), Leftovers.ownerRecords(p), "owner records left");
        assertTrue(Math.abs(fds1 - fds0) <= FD_SLACK, "fds " + fds0 + " -> " + fds1);
        assertTrue(heap1 - heap0 <= HEAP_SLACK_MB * 1_000_000L, "heap " + heap0 + " -> " + heap1);
        assertEquals(8, networkRules.size(), "the bridge network's own rules stay while it lives: " + networkRules);

        // Closing the host removes the bridge network and its rules; only the infrastructure stays by design.
        lab.close();
        lab = null;
        String save = Leftovers.save(labNs.name());
        List<String> tagged = save.lines().filter(l -> l.contains("netns:")).toList();
        assertTrue(tagged.stream().allMatch(l -> l.contains("\"netns:chain\"") || l.contains("\"netns:localnet-guard\"")),
                "only the jumps and the localnet guard stay: " + tagged);
        assertFalse(Lab.ip(labNs, "-o", "link").contains("netns0"), "the bridge is gone");
        assertEquals(List.of(), Leftovers.leases(labNs.name()));
        assertFalse(java.nio.file.Files.exists(Leftovers.IPAM_DIR.resolve(labNs.name())), "no lease directory left");
    }
}
