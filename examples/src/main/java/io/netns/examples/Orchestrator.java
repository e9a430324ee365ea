package io.netns.examples;

import io.netns.Host;
import io.netns.NetworkMode;
import io.netns.Sandbox;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Embedding netns in an orchestrator: create a bridge sandbox, start a workload process inside, inspect
 * it (addresses, namespace, processes), close it. Runs on a lab host, so the machine's own network is
 * never touched; an orchestrator would use {@code Host.current()} instead.
 */
public final class Orchestrator {
    private Orchestrator() {
    }

    /** What the orchestrator saw of its workload. */
    public record Report(String sandbox, List<InetAddress> addresses, String namespacePath, long namespaceInode,
            List<Long> pids, String workloadSaw) {
    }

    /**
     * @param args optional lab name
     * @throws Exception if the machine cannot do this (not root, not Linux)
     */
    public static void main(String[] args) throws Exception {
        Report r = run(args.length > 0 ? args[0] : "orch-" + ProcessHandle.current().pid());
        System.out.println("sandbox     " + r.sandbox());
        System.out.println("addresses   " + r.addresses());
        System.out.println("namespace   " + r.namespacePath() + " (inode " + r.namespaceInode() + ")");
        System.out.println("processes   " + r.pids());
        System.out.println("workload saw:\n" + r.workloadSaw().strip());
    }

    /**
     * @param labName the lab host's namespace name; the sandbox is {@code <labName>-job}
     * @return what was seen while the workload ran; everything is removed when this returns
     * @throws Exception if a step fails (everything made is removed first)
     */
    public static Report run(String labName) throws Exception {
        try (Host host = Host.createLab(labName);
                Sandbox job = host.create(labName + "-job", NetworkMode.bridge())) {
            // The workload: a long-running process, and a one-shot look at its own network.
            Process worker = job.start(new ProcessBuilder("sleep", "300"));
            Process look = job.start(new ProcessBuilder("ip", "-o", "-4", "addr", "show").redirectErrorStream(true));
            String saw = new String(look.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            look.waitFor();
            List<Long> pids = new ArrayList<>();
            for (Process p : job.processes()) {
                pids.add(p.pid());
            }
            if (!worker.isAlive()) {
                throw new IOException("the workload exited early: " + worker.exitValue());
            }
            return new Report(job.name(), job.addresses(), job.namespace().path().toString(),
                    job.namespace().inode(), pids, saw);
        } // close(): the sandbox stops sleep (SIGTERM, then SIGKILL after a grace period), then the lab goes
    }
}
