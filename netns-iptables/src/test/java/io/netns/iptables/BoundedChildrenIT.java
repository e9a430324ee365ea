package io.netns.iptables;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netns.Exposure;
import io.netns.Firewall.Owner;
import io.netns.NetnsException;
import io.netns.Protocol;
import io.netns.testing.TestLab;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 12 item 7: every {@code iptables-restore} run and session has a time limit; a child that hangs is
 * killed (with what it started), the change fails quoting what it printed, and nothing of it stays. The
 * hanging tools are fakes put first on the tool path; the real tools check the lab afterwards.
 */
@Timeout(120)
class BoundedChildrenIT {
    @RegisterExtension
    final TestLab testLab = new TestLab("iptbound");
    private static final Duration LIMIT = Duration.ofSeconds(2);

    @TempDir
    Path dir;
    private Lab lab;
    private Owner web;
    private Owner net;

    @BeforeEach
    void setUp() throws Exception {
        lab = new Lab(testLab);
        lab.start();
        web = Owner.sandbox(lab.host.name(), "web");
        net = Owner.network(lab.host.name(), Lab.BRIDGE);
    }

    @AfterEach
    void tearDown() throws Exception {
        if (lab != null) {
            lab.close();
        }
    }

    /** A fake iptables-restore: answers --version like the real one, else runs {@code body}. */
    private Path fake(String body) throws Exception {
        Path bin = Files.createDirectories(dir.resolve("bin"));
        Path tool = bin.resolve("iptables-restore");
        String real = Iptables.system().tool("iptables-restore").toString();
        Files.writeString(tool, "#!/bin/sh\n"
                + "case \"$*\" in *--version*) exec " + real + " --version;; esac\n"
                + "echo $$ > " + dir.resolve("pid") + "\n"
                + body + "\n");
        Files.setPosixFilePermissions(tool, PosixFilePermissions.fromString("rwxr-xr-x"));
        return bin;
    }

    private IptablesFirewall firewall(Path bin, boolean sessions) {
        Iptables tools = new Iptables(List.of(bin, Path.of("/usr/sbin"), Path.of("/sbin")), LIMIT, sessions);
        return new IptablesFirewall(tools, dir.resolve("lock"));
    }

    private void assertKilled() throws Exception {
        for (String f : List.of("pid", "sleeper")) {
            Path p = dir.resolve(f);
            if (!Files.exists(p)) {
                continue;
            }
            long pid = Long.parseLong(Files.readString(p).strip());
            long deadline = System.nanoTime() + 3_000_000_000L;
            while (running(pid) && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertFalse(running(pid), f + " " + pid + " still runs");
        }
    }

    /** @return whether the process exists and is not a zombie waiting for its new parent to reap it */
    private static boolean running(long pid) throws Exception {
        Optional<ProcessHandle> h = ProcessHandle.of(pid);
        if (h.isEmpty() || !h.get().isAlive()) {
            return false;
        }
        try {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            return stat.charAt(stat.lastIndexOf(')') + 2) != 'Z';
        } catch (java.io.IOException gone) {
            return false;
        }
    }

    private void assertExposeFailsInTime(IptablesFirewall f) throws Exception {
        long t0 = System.nanoTime();
        NetnsException e = assertThrows(NetnsException.class, () -> f.expose(lab.host, web,
                List.of(new Exposure(Protocol.TCP, new InetSocketAddress(Lab.HOST_IP, 7000)))));
        double s = (System.nanoTime() - t0) / 1e9;
        System.out.printf("hanging restore reported after %.1f s: %s%n", s, e.getMessage());
        assertTrue(s < LIMIT.toSeconds() + 5, "bounded: " + s + " s");
        assertTrue(e.getMessage().contains("within 2 s"), e.getMessage());
        assertTrue(e.getMessage().contains("fake: stuck"), "quotes what the child printed: " + e.getMessage());
        assertKilled();
        assertEquals(List.of(), Leftovers.taggedRules(lab.host.name(), web.tag()));
    }

    @Test
    void aHangingRestoreIsKilledWithWhatItStarted() throws Exception {
        Path bin = fake("echo 'fake: stuck'\nsleep 600 &\necho $! > " + dir.resolve("sleeper") + "\nwait");
        assertExposeFailsInTime(firewall(bin, false));
    }

    @Test
    void aHangingSessionIsKilled() throws Exception {
        // the session protocol: the fake never echoes the mark and never reads its input
        Path bin = fake("echo 'fake: stuck'\nexec sleep 600");
        assertExposeFailsInTime(firewall(bin, true));
    }

    /**
     * The fake commits the filter table for real, then hangs on the nat table: the change spanning both
     * fails within the limit and the committed half is taken back.
     */
    @Test
    void aRestoreKilledHalfWayLeavesNothing() throws Exception {
        String real = Iptables.system().tool("iptables-restore").toString();
        Path bin = fake("in=$(cat)\n"
                + "printf '%s\\n' \"$in\" | sed '/^\\*nat/,$d' | " + real + " \"$@\" || exit 1\n"
                + "case \"$in\" in *'*nat'*) echo 'fake: stuck'; exec sleep 600;; esac");
        IptablesFirewall f = firewall(bin, false);
        long t0 = System.nanoTime();
        NetnsException e = assertThrows(NetnsException.class, () -> f.addNetwork(lab.host, net, Lab.BRIDGE, Lab.SUBNET));
        assertTrue((System.nanoTime() - t0) / 1e9 < LIMIT.toSeconds() * 2 + 5);
        assertTrue(e.getMessage().contains("fake: stuck"), e.getMessage());
        assertKilled();
        String save = Lab.exec(lab.host, "iptables-save");
        assertFalse(save.contains(net.tag()), "the committed filter half was rolled back:\n" + save);
    }

    @Test
    void theTimeLimitIsValidated() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new Iptables(List.of(dir), Duration.ZERO, false));
        assertTrue(e.getMessage().contains("PT0S"), e.getMessage());
        String old = System.setProperty(Iptables.TIMEOUT_PROPERTY, "soon");
        try {
            e = assertThrows(IllegalArgumentException.class, Iptables::configuredTimeout);
            assertTrue(e.getMessage().contains("\"soon\""), e.getMessage());
            System.setProperty(Iptables.TIMEOUT_PROPERTY, "7");
            assertEquals(Duration.ofSeconds(7), Iptables.configuredTimeout());
        } finally {
            if (old == null) {
                System.clearProperty(Iptables.TIMEOUT_PROPERTY);
            } else {
                System.setProperty(Iptables.TIMEOUT_PROPERTY, old);
            }
        }
    }
}
