package io.netns.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netns.Host;
import io.netns.NetNamespace;
import io.netns.NetnsException;
import io.netns.NetworkMode;
import io.netns.Sandbox;
import io.netns.rtnl.RtnlClient;
import io.netns.testing.TestLab;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * No descriptor of ours reaches a child started inside a sandbox, while the JVM holds everything netns
 * opens: namespace handles, netlink sockets of the host and of the sandboxes, executor threads living
 * inside, a listening socket inside. Checked from outside, in the child's {@code /proc/<pid>/fd}.
 */
@Timeout(120)
class ChildFdIT {
    @RegisterExtension
    final TestLab testLab = new TestLab("relfd");

    private final String p = testLab.prefix();
    private Host lab;

    @BeforeEach
    void makeLab() throws NetnsException {
        lab = testLab.host();
    }

    @Test
    void aChildOfABridgeSandboxHoldsOnlyItsStandardStreams() throws Exception {
        List<AutoCloseable> held = new ArrayList<>();
        try (Sandbox a = lab.create(p + "a", NetworkMode.bridge());
                Sandbox b = lab.create(p + "b", NetworkMode.bridge().subnet("10.89.0.0/24"))) {
            // everything the JVM can hold open at the moment a child starts
            held.add(RtnlClient.open(a.namespace()));
            held.add(RtnlClient.open(lab.namespace()));
            held.add(NetNamespace.open(p + "b"));
            held.add(a.call(() -> new ServerSocket(8080, 5, a.addresses().get(0))));
            assertEquals(a.namespace().inode(), (long) a.executor().submit(Proc::threadNetInode).get(10, TimeUnit.SECONDS));
            int ours = Proc.openFds();

            List<Process> children = new ArrayList<>();
            children.add(a.start(new ProcessBuilder("sleep", "30")));
            children.add(b.start(new ProcessBuilder("sleep", "30").redirectErrorStream(true)));
            // a child forked by a thread that lives inside (the sandbox's executor)
            children.add(a.executor().submit(() -> new ProcessBuilder("sleep", "30").start()).get(10, TimeUnit.SECONDS));
            // a child forked by the host's namespace
            children.add(lab.namespace().call(() -> new ProcessBuilder("sleep", "30").start()));
            try {
                for (Process c : children) {
                    awaitAsleep(c.pid());
                    List<String> fds = Proc.fds(c.pid());
                    System.out.printf("child %d (JVM holds %d fds): %s%n", c.pid(), ours, fds);
                    assertEquals(3, fds.size(), "only stdin, stdout and stderr: " + fds);
                    for (String fd : fds) {
                        assertTrue(fd.matches("[012] -> (pipe:\\[\\d+\\]|/dev/null)"), fd);
                    }
                }
                assertEquals("net:[" + a.namespace().inode() + "]",
                        Files.readSymbolicLink(Path.of("/proc/" + children.get(2).pid() + "/ns/net")).toString());
            } finally {
                for (Process c : children) {
                    c.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
                }
                for (AutoCloseable c : held) {
                    c.close();
                }
            }
            assertTrue(ours > 10, "the JVM did hold descriptors: " + ours);
        }
    }

    /**
     * Waits until the child is in sleep's own nanosleep: before that, the dynamic loader and glibc's start-up
     * briefly hold files of their own (ld.so.cache, gconv-modules.cache) that are not descriptors it inherited.
     */
    private static void awaitAsleep(long pid) throws Exception {
        Path syscall = Path.of("/proc/" + pid + "/syscall");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (true) {
            String s = Files.readString(syscall).trim();
            // x86_64: 35 nanosleep, 230 clock_nanosleep; aarch64: 101 nanosleep, 115 clock_nanosleep
            String nr = s.split(" ")[0];
            if (nr.equals("35") || nr.equals("230") || nr.equals("101") || nr.equals("115")) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("child " + pid + " never went to sleep: " + s);
            }
            Thread.sleep(5);
        }
    }
}
