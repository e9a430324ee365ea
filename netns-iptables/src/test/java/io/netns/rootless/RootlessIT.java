package io.netns.rootless;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netns.NetNamespace;
import io.netns.Netns;
import io.netns.internal.StateDir;
import io.netns.testing.ChildJvm;
import io.netns.testing.Privileged;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Rootless mode as a normal user has it: a JVM started as {@code nobody} (through {@code setpriv}) inside
 * {@code unshare --user --map-root-user --mount}, keeping the machine's network. Run as root, the test makes
 * that user; run in the rootless pass of CI (the JVM is rootless itself), the child simply inherits it.
 */
@Timeout(240)
class RootlessIT {
    private final String p = "rl" + ProcessHandle.current().pid() + "-";
    private Path copy;
    private String classPath;

    @BeforeEach
    void copyClassPath() throws Exception {
        Privileged.require();
        Privileged.requireTool("unshare");
        Privileged.requireTool("setpriv");
        copy = Files.createTempDirectory(Path.of("/tmp"), p);
        classPath = ChildJvm.readableClassPath(copy);
    }

    @AfterEach
    void cleanup() throws Exception {
        if (copy != null) {
            try (Stream<Path> s = Files.walk(copy)) {
                s.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
        }
    }

    /** The launcher a normal user types, from this JVM: as root it first becomes {@code nobody}. */
    private static List<String> launcher(String... unshare) {
        List<String> argv = new ArrayList<>();
        if (Netns.mode() != Netns.Mode.ROOTLESS) {
            argv.addAll(List.of("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--"));
        }
        argv.add("unshare");
        argv.addAll(List.of(unshare));
        return argv;
    }

    private static Map<String, String> parse(String out) {
        return out.lines().filter(l -> l.matches("[a-z_.]+=.*"))
                .collect(Collectors.toMap(l -> l.substring(0, l.indexOf('=')), l -> l.substring(l.indexOf('=') + 1), (a, b) -> b));
    }

    @Test
    void aNormalUserGetsLabsEveryModePublishedPortsAndOpenings() throws Exception {
        ChildJvm.Result r = ChildJvm.run(ChildJvm.argv(launcher("--user", "--map-root-user", "--mount"), classPath,
                RootlessChild.class, p), 180);
        String out = r.output();
        System.out.println("rootless child:\n" + out.strip());
        assertEquals(0, r.exit(), out);
        Map<String, String> v = parse(out);
        assertEquals("ROOTLESS", v.get("mode"), out);
        if (Netns.mode() != Netns.Mode.ROOTLESS) {
            assertTrue(v.get("uid_map").startsWith("0 65534 1"), "uid 0 inside is nobody outside: " + out);
        }
        assertTrue(v.get("current").contains("rootless") && v.get("current").contains("Host.createLab"),
                "Host.current() is refused with the reason: " + out);
        assertEquals("lo", v.get("none.links"), out);
        assertEquals("another", v.get("call.thread"), "call() from the JVM's own stack runs on a thread inside: " + out);
        assertEquals("true", v.get("call.inside"), out);
        assertEquals("FileNotFoundException: thrown inside", v.get("call.exception"), "the work's own exception: " + out);
        assertEquals("true", v.get("caller.home"), "the calling thread never left: " + out);
        assertEquals("true", v.get("container.same"), out);
        assertEquals("hello 0", v.get("published"), "a published port answers in the lab: " + out);
        assertEquals("hello 1", v.get("container"), "container mode shares web's loopback: " + out);
        assertEquals("true", v.get("expose"), "the opening is in the lab's firewall: " + out);
        assertEquals("[]", v.get("left"), out);
        assertTrue(out.contains("done="), out);
        // The child's namespaces and state lived in its own mount namespace: the machine's run dir never had them.
        assertFalse(listing(NetNamespace.directory()).contains(p + "lab"), "the lab never reached this mount namespace");
        assertTrue(listing(StateDir.path("sandboxes")).stream().noneMatch(n -> n.startsWith(p)), "no owner record here");
    }

    @Test
    void withoutItsOwnMountNamespaceTheCauseSaysToAddMount() throws Exception {
        if (Netns.mode() == Netns.Mode.ROOTLESS) {
            return; // the rootless pass of CI: this JVM's own start, with --mount, is the case; the root pass checks this one
        }
        ChildJvm.Result r = ChildJvm.run(ChildJvm.argv(launcher("--user", "--map-root-user"), classPath,
                RootlessChild.class, p), 120);
        String out = r.output();
        Map<String, String> v = parse(out);
        assertEquals(0, r.exit(), out);
        assertEquals("UNAVAILABLE", v.get("mode"), out);
        assertTrue(v.get("cause").contains("--mount"), "the cause names the missing option: " + out);
    }

    private static List<String> listing(Path dir) throws Exception {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(x -> x.getFileName().toString()).collect(Collectors.toList());
        }
    }
}
