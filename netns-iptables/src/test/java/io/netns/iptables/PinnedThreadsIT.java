package io.netns.iptables;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netns.testing.TestLab;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * No thread pins a closed sandbox (issue 13, item 9): the threads netns starts on a caller's behalf (the
 * firewall's idle timer and session reader, the namespace creators) and the JDK's process reaper of
 * {@code Sandbox.start} are not left in a sandbox's namespace after it closed, even when netns was first
 * used from a thread inside another sandbox. Checked in a fresh JVM through /proc/self/task/*&#47;ns/net.
 */
@Timeout(120)
class PinnedThreadsIT {
    @RegisterExtension
    final TestLab testLab = new TestLab("thr");

    @Test
    void noThreadOfTheJvmStaysInAClosedSandbox() throws Exception {
        Process c = new ProcessBuilder(List.of(ProcessHandle.current().info().command().orElseThrow(), "-Xmx64m",
                "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"), PinnedThreadsChild.class.getName(),
                testLab.prefix(), "33211")).redirectErrorStream(true).start();
        String out = new String(c.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(c.waitFor(60, TimeUnit.SECONDS), out);
        assertEquals(0, c.exitValue(), out);
        assertTrue(out.contains("DONE"), out);
        assertEquals(List.of(), out.lines().filter(l -> l.startsWith("IN ") || l.contains("survived")).toList(), out);
    }
}
