package io.netns.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netns.Host;
import io.netns.NetNamespace;
import io.netns.Reclaimed;
import io.netns.internal.StateDir;
import io.netns.testing.ChildJvm;
import io.netns.testing.Cmd;
import io.netns.testing.Ip;
import io.netns.testing.TestLab;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.Timeout;

/**
 * reclaim() removes only what is ours (issue 13, items 1 and 2): a namespace made under a dead sandbox's
 * name after the crash stays; concurrent reclaims undo each record once; an owner whose liveness cannot be
 * told counts as alive; no record is written without a readable start time.
 */
@Timeout(180)
class ReclaimIT {
    @RegisterExtension
    final TestLab testLab = new TestLab("rcl");
    private final String p = testLab.prefix();
    private final List<String> extraNamespaces = new ArrayList<>();
    private final List<Path> extraFiles = new ArrayList<>();
    private Host lab;

    @BeforeEach
    void makeLab() throws Exception {
        lab = testLab.host();
    }

    @AfterEach
    void cleanUp() throws Exception {
        for (Path f : extraFiles) {
            Files.deleteIfExists(f);
        }
        for (String n : extraNamespaces) {
            if (Files.exists(NetNamespace.NETNS_DIR.resolve(n))) {
                Cmd.run("ip", "netns", "delete", n);
            }
        }
        if (lab != null) {
            lab.reclaim(); // what a failed test left; then TestLab closes the lab and checks the machine
        }
    }

    /** A child JVM that makes {@code n} none sandboxes named {@code <prefix><i>} in the lab and dies. */
    private ChildJvm.Result crashChild(List<String> before, String prefix, int n) throws Exception {
        return ChildJvm.run(ChildJvm.argv(before, System.getProperty("java.class.path"), ReclaimChild.class,
                p + "lab", prefix, Integer.toString(n)), 120);
    }

    @Test
    void aNamespaceMadeUnderTheNameAfterTheCrashIsNotRemoved() throws Exception {
        ChildJvm.Result r = crashChild(List.of(), p + "s", 1);
        assertEquals(0, r.exit(), r.output());
        String name = p + "s0";
        // after the crash, someone else takes the name
        Cmd.run("ip", "netns", "delete", name);
        Ip.netnsAdd(name);
        extraNamespaces.add(name);
        String inode = Cmd.run("stat", "-L", "-c", "%i", NetNamespace.NETNS_DIR.resolve(name).toString()).strip();

        Reclaimed reclaimed = lab.reclaim();
        assertEquals(List.of(name), reclaimed, "the dead owner's record is reclaimed");
        assertTrue(Files.exists(NetNamespace.NETNS_DIR.resolve(name)), "the new namespace stays");
        assertEquals(inode, Cmd.run("stat", "-L", "-c", "%i", NetNamespace.NETNS_DIR.resolve(name).toString()).strip());
        assertTrue(reclaimed.spared().stream().anyMatch(s -> s.contains(name) && s.contains("not the one its record names")),
                "and is reported as spared: " + reclaimed.spared());
        assertFalse(Files.exists(StateDir.path("sandboxes", name)), "the record is gone");
    }

    @Test
    void concurrentReclaimsUndoEachRecordOnce() throws Exception {
        int n = 12;
        ChildJvm.Result r = crashChild(List.of(), p + "c", n);
        assertEquals(0, r.exit(), r.output());
        int threads = 4;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        List<String> all = Collections.synchronizedList(new ArrayList<>());
        try {
            CountDownLatch go = new CountDownLatch(1);
            List<Future<Reclaimed>> futures = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                futures.add(pool.submit(() -> {
                    go.await();
                    return lab.reclaim();
                }));
            }
            go.countDown();
            for (Future<Reclaimed> f : futures) {
                all.addAll(f.get());
            }
        } finally {
            pool.shutdownNow();
        }
        assertEquals(n, all.size(), "each record undone exactly once: " + all);
        assertEquals(n, new HashSet<>(all).size(), all.toString());
        for (int i = 0; i < n; i++) {
            assertFalse(Files.exists(NetNamespace.NETNS_DIR.resolve(p + "c" + i)), "namespace " + i + " removed");
        }
    }

    @Test
    void anOwnerWhoseLivenessCannotBeToldIsSparedAndSaidSo() throws Exception {
        // A record of a process in another pid namespace, and one without a start time: neither can be judged.
        String other = p + "o";
        String noStart = p + "n";
        for (String name : List.of(other, noStart)) {
            Ip.netnsAdd(name);
            extraNamespaces.add(name);
        }
        Path a = StateDir.path("sandboxes", other);
        Path b = StateDir.path("sandboxes", noStart);
        extraFiles.add(a);
        extraFiles.add(b);
        Files.writeString(a, "pid=1\nstart=1\npidns=1\nhost=" + lab.id() + "\nmode=none\nnetns=" + other + "\n",
                StandardCharsets.UTF_8);
        Files.writeString(b, "pid=1\nhost=" + lab.id() + "\nmode=none\nnetns=" + noStart + "\n", StandardCharsets.UTF_8);

        Reclaimed reclaimed = lab.reclaim();
        assertEquals(List.of(), reclaimed);
        assertTrue(Files.exists(NetNamespace.NETNS_DIR.resolve(other)) && Files.exists(NetNamespace.NETNS_DIR.resolve(noStart)),
                "their namespaces stay");
        assertTrue(Files.exists(a) && Files.exists(b), "their records stay");
        String spared = String.join("\n", reclaimed.spared());
        assertTrue(spared.contains(other) && spared.contains("another pid namespace"), spared);
        assertTrue(spared.contains(noStart) && spared.contains("counted as alive"), spared);
    }

    @Test
    void noRecordIsWrittenWithoutAReadableStartTime() throws Exception {
        // The child's /proc/self/stat reads as empty (a bind mount of /dev/null in a private mount namespace).
        ChildJvm.Result r = crashChild(List.of("unshare", "-m", "--propagation", "private", "sh", "-c",
                "mount --bind /dev/null /proc/$$/stat && exec \"$@\"", "sh"), p + "u", 1);
        assertTrue(r.output().contains("REFUSED") && r.output().contains("start time"), r.output());
        assertFalse(Files.exists(StateDir.path("sandboxes", p + "u0")), "no record written");
        assertFalse(Files.exists(NetNamespace.NETNS_DIR.resolve(p + "u0")), "no namespace made");
    }
}
