package io.netns.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netns.NetNamespace;
import io.netns.testing.ChildJvm;
import io.netns.testing.Cmd;
import io.netns.testing.TestLab;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Without privileges: a JVM run as {@code nobody} (through {@code setpriv}, all capabilities dropped)
 * gets clear exceptions naming EPERM and the capability, never a crash, and
 * {@code Netns.unavailabilityCause()} says why.
 */
@Timeout(120)
class NoPrivilegesIT {
    @RegisterExtension
    final TestLab lab = new TestLab("relpriv");

    private final String p = lab.prefix();
    private Path copy;
    private NetNamespace target;

    @BeforeEach
    void gate() throws Exception {
        target = NetNamespace.create(p + "target");
    }

    @AfterEach
    void cleanup() throws Exception {
        if (target != null) {
            target.close();
            target.delete();
        }
        if (copy != null) {
            try (Stream<Path> s = Files.walk(copy)) {
                s.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
        }
        assertEquals(List.of(), TestLab.names(NetNamespace.NETNS_DIR, p));
    }

    @Test
    void anUnprivilegedJvmGetsEpermNamingTheCapabilityAndDoesNotCrash() throws Exception {
        copy = Files.createTempDirectory(Path.of("/tmp"), p);
        String classPath = ChildJvm.readableClassPath(copy);
        List<String> argv = ChildJvm.argv(List.of("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                "--inh-caps=-all", "--bounding-set=-all"), classPath, UnprivilegedChild.class, p + "child", p + "target");
        argv.add(argv.indexOf(ChildJvm.java()) + 1, "-XX:-UsePerfData");
        ChildJvm.Result r = ChildJvm.run(argv, 90);
        String out = r.output();
        System.out.println("unprivileged child:\n" + out.strip());
        assertEquals(0, r.exit(), "the JVM ends normally:\n" + out);
        assertFalse(out.contains("hs_err") || out.contains("SIGSEGV") || out.contains("fatal error"), out);
        assertTrue(out.contains("uid=65534"), out);
        assertTrue(out.contains("available=false"), out);
        assertTrue(out.lines().anyMatch(l -> l.startsWith("cause=io.netns.NetnsPermissionException:")
                && l.contains("EPERM") && l.contains("CAP_SYS_ADMIN")), out);
        // user namespaces are enabled here (the rootless pass of CI needs them): the cause names the commands
        assertTrue(out.lines().anyMatch(l -> l.startsWith("cause=")
                && l.contains("`unshare --user --map-root-user --mount mvn -Duser.home=\"$HOME\" test`")
                && l.contains("`unshare --user --map-root-user --mount ./gradlew test --no-daemon")), out);
        for (String call : List.of("create", "createLab", "enter", "ensureAvailability")) {
            assertTrue(out.lines().anyMatch(l -> l.startsWith(call + "=io.netns.NetnsPermissionException:")
                    && l.contains("EPERM") && l.contains("CAP_SYS_ADMIN")), call + ":\n" + out);
        }
        assertTrue(out.contains("done"), out);
        assertFalse(out.contains("ran inside"), out);
        assertFalse(Files.exists(NetNamespace.NETNS_DIR.resolve(p + "child")), "nothing made");
        assertEquals(1, Cmd.run("ip", "-n", p + "target", "-o", "link").lines().count(), "the target is untouched");
    }
}
