package io.netns.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netns.NetNamespace;
import io.netns.testing.Cmd;
import io.netns.testing.TestLab;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.jar.JarFile;
import java.util.jar.Manifest;
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
        String classPath = readableCopy(copy);
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
        for (String call : List.of("create", "createLab", "enter", "ensureAvailability")) {
            assertTrue(out.lines().anyMatch(l -> l.startsWith(call + "=io.netns.NetnsPermissionException:")
                    && l.contains("EPERM") && l.contains("CAP_SYS_ADMIN")), call + ":\n" + out);
        }
        assertTrue(out.contains("done"), out);
        assertFalse(out.contains("ran inside"), out);
        assertFalse(Files.exists(NetNamespace.NETNS_DIR.resolve(p + "child")), "nothing made");
        assertEquals(1, Cmd.run("ip", "-n", p + "target", "-o", "link").lines().count(), "the target is untouched");
    }

    /** Copies the test class path where {@code nobody} can read it (the local repository is under /root). */
    private static String readableCopy(Path dir) throws IOException {
        List<String> out = new ArrayList<>();
        int i = 0;
        for (Path entry : classPath()) {
            Path dest = dir.resolve((i++) + "-" + entry.getFileName());
            if (Files.isDirectory(entry)) {
                try (Stream<Path> s = Files.walk(entry)) {
                    s.forEach(src -> copy(src, dest.resolve(entry.relativize(src).toString())));
                }
            } else if (Files.isRegularFile(entry)) {
                copy(entry, dest);
            } else {
                continue;
            }
            out.add(dest.toString());
        }
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        return String.join(File.pathSeparator, out);
    }

    private static void copy(Path src, Path dest) {
        try {
            if (Files.isDirectory(src)) {
                Files.createDirectories(dest);
                Files.setPosixFilePermissions(dest, PosixFilePermissions.fromString("rwxr-xr-x"));
            } else {
                Files.copy(src, dest);
                Files.setPosixFilePermissions(dest, PosixFilePermissions.fromString("rw-r--r--"));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The test class path, with a manifest-only booter jar (surefire, failsafe) expanded to its entries. */
    static Set<Path> classPath() throws IOException {
        Set<Path> out = new LinkedHashSet<>();
        for (String e : System.getProperty("java.class.path").split(File.pathSeparator)) {
            Path p = Path.of(e);
            if (e.endsWith(".jar") && Files.isRegularFile(p)) {
                try (JarFile jar = new JarFile(p.toFile())) {
                    Manifest m = jar.getManifest();
                    String cp = m == null ? null : m.getMainAttributes().getValue("Class-Path");
                    if (cp != null && jar.size() <= 2) {
                        for (String u : cp.trim().split("\\s+")) {
                            out.add(Path.of(URI.create(u).isAbsolute() ? URI.create(u) : p.getParent().toUri().resolve(u)));
                        }
                        continue;
                    }
                }
            }
            out.add(p);
        }
        return out;
    }
}
