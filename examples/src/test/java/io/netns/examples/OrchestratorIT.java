package io.netns.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netns.junit.NetnsTest;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The orchestrator example, checked against /proc and /run/netns. */
@NetnsTest
class OrchestratorIT {
    @Test
    void theWorkloadRunsInsideAndEverythingIsRemovedAfterwards() throws Exception {
        String lab = "orchit" + ProcessHandle.current().pid();
        Orchestrator.Report r = Orchestrator.run(lab);
        assertEquals(lab + "-job", r.sandbox());
        assertEquals("/run/netns/" + lab + "-job", r.namespacePath());
        String ip = r.addresses().get(0).getHostAddress();
        assertTrue(ip.startsWith("10.89.0."), ip);
        assertTrue(r.workloadSaw().contains("eth0") && r.workloadSaw().contains(ip), r.workloadSaw());
        assertFalse(r.pids().isEmpty());
        for (long pid : r.pids()) {
            assertFalse(Files.exists(Path.of("/proc/" + pid + "/ns")) && ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false),
                    "workload " + pid + " still runs");
        }
        assertFalse(Files.exists(Path.of("/run/netns", lab)));
        assertFalse(Files.exists(Path.of("/run/netns", lab + "-job")));
        assertFalse(Files.exists(Path.of("/run/netns.d/sandboxes", lab + "-job")));
    }
}
