package io.netns.iptables;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netns.Host;
import io.netns.NetnsException;
import io.netns.NetworkMode;
import io.netns.Sandbox;
import io.netns.testing.TestLab;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Issue 12 item 1: the firewall lock is one nobody else can hold. A process of user {@code nobody} holding
 * a read lock on the old lock file ({@code /run/lock/netns-iptables.lock}, where any user could make or
 * open it) stalls nothing; {@code nobody} can neither open nor make anything beside the new one; and a
 * wait for a lock another process holds is bounded and names that process.
 */
@Timeout(120)
class LockIT {
    private static final Path OLD = Path.of("/run/lock/netns-iptables.lock");
    @RegisterExtension
    final TestLab testLab = new TestLab("iptlock");
    private final List<Process> children = new ArrayList<>();
    private Path source;
    private Host lab;
    private boolean madeOld;

    @BeforeEach
    void setUp() throws Exception {
        lab = testLab.host();
        // the program the children run, where nobody can read it
        Path dir = Files.createTempDirectory(Path.of("/tmp"), "netns-lockit");
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        source = dir.resolve("Holder.java");
        try (InputStream in = LockIT.class.getResourceAsStream("/lock/Holder.java")) {
            Files.write(source, in.readAllBytes());
        }
        Files.setPosixFilePermissions(source, PosixFilePermissions.fromString("rw-r--r--"));
    }

    @AfterEach
    void tearDown() throws Exception {
        for (Process p : children) {
            p.destroyForcibly();
            p.waitFor(5, TimeUnit.SECONDS);
        }
        Files.deleteIfExists(source);
        Files.deleteIfExists(source.getParent());
        if (madeOld) {
            Files.deleteIfExists(OLD);
        }
        System.clearProperty(FirewallLock.TIMEOUT_PROPERTY);
    }

    /** Starts Holder, as nobody when asked, and waits for its first line. */
    private Process holder(boolean nobody, String... args) throws Exception {
        List<String> argv = new ArrayList<>();
        if (nobody) {
            argv.addAll(List.of("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"));
        }
        argv.add(ProcessHandle.current().info().command().orElse("java"));
        argv.add(source.toString());
        argv.addAll(List.of(args));
        Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
        children.add(p);
        return p;
    }

    private static String firstLine(Process p) throws Exception {
        return new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8)).readLine();
    }

    @Test
    void nobodyHoldingTheOldLockStallsNothing() throws Exception {
        if (!Files.exists(OLD)) {
            Files.createDirectories(OLD.getParent());
            Files.createFile(OLD);
            madeOld = true;
        }
        Files.setPosixFilePermissions(OLD, PosixFilePermissions.fromString("rw-r--r--")); // as the old code made it
        Process nobody = holder(true, "share", OLD.toString());
        assertEquals("held", firstLine(nobody));
        assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
            Sandbox web = lab.create(testLab.name("web"), NetworkMode.bridge().publish(8080, 80));
            web.close();
        });
        assertTrue(nobody.isAlive(), "it held the old lock all along");
    }

    @Test
    void nobodyCanNeitherOpenNorMakeAnythingBesideTheLock() throws Exception {
        lab.create(testLab.name("web"), NetworkMode.bridge().publish(8080, 80)).close();
        Path lock = FirewallLock.defaultFile();
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(lock, LinkOption.NOFOLLOW_LINKS)));
        assertEquals("rwxr-xr-x", PosixFilePermissions.toString(Files.getPosixFilePermissions(lock.getParent())));
        assertEquals(0, (Integer) Files.getAttribute(lock, "unix:uid", LinkOption.NOFOLLOW_LINKS));
        Process nobody = holder(true, "use", lock.toString());
        assertTrue(nobody.waitFor(30, TimeUnit.SECONDS));
        String out = new String(nobody.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(out.contains("open: denied") && out.contains("create: denied"), out);
        assertFalse(Files.exists(lock.resolveSibling("nobody-was-here")));
    }

    @Test
    void aWaitIsBoundedAndNamesTheHolder() throws Exception {
        lab.create(testLab.name("warm"), NetworkMode.bridge()).close(); // the lock file exists
        Process root = holder(false, "byte", FirewallLock.defaultFile().toString(),
                Long.toString(lab.namespace().inode() & Long.MAX_VALUE));
        assertEquals("held", firstLine(root));
        System.setProperty(FirewallLock.TIMEOUT_PROPERTY, "1.5");
        long t0 = System.nanoTime();
        NetnsException e = assertThrows(NetnsException.class,
                () -> lab.create(testLab.name("web"), NetworkMode.bridge().publish(8080, 80)));
        double s = (System.nanoTime() - t0) / 1e9;
        System.out.printf("gave up after %.1f s: %s%n", s, e.getMessage());
        assertTrue(s < 10, "bounded: " + s);
        assertTrue(e.getMessage().contains(FirewallLock.defaultFile().toString()), e.getMessage());
        assertTrue(e.getMessage().contains("pid " + root.pid()), e.getMessage());
        root.destroyForcibly();
        root.waitFor(5, TimeUnit.SECONDS);
        System.clearProperty(FirewallLock.TIMEOUT_PROPERTY);
        lab.create(testLab.name("web"), NetworkMode.bridge().publish(8080, 80)).close(); // free again
    }
}
