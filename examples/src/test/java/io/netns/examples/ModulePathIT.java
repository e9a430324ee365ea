package io.netns.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netns.junit.NetnsTest;
import io.netns.testing.Privileged;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarFile;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Runs {@link ModuleCheck} from the built jars in fresh JVMs, the way users launch it: on the class path and on
 * the module path, on this JVM's Java (17) and on a Java 24+ found under {@code /usr/lib/jvm} (Temurin 25 on
 * the project's machines); and runs {@code netns-demo.jar} with {@code java -jar} on that Java 24+. Each run
 * makes namespaces, a bridge sandbox with a published port fetched through the firewall found by
 * {@link java.util.ServiceLoader}, and removes them; the test checks the output and that no namespace of the
 * run is left under {@code /run/netns}.
 */
@NetnsTest
class ModulePathIT {
    private static final String NATIVE_ACCESS_WARNING = "WARNING: A restricted method";

    @Test
    void classPathOnThisJava() throws Exception {
        Run r = moduleCheck(currentJava(), false, List.of());
        assertClassPath(r);
    }

    @Test
    void modulePathOnThisJava() throws Exception {
        Run r = moduleCheck(currentJava(), true, List.of());
        assertModulePath(r);
    }

    @Test
    void classPathOnJava24PlusWithNativeAccessEnabledPrintsNoNativeAccessWarning() throws Exception {
        Run r = moduleCheck(newJava(), false, List.of("--enable-native-access=ALL-UNNAMED"));
        assertClassPath(r);
        assertFalse(r.err.contains(NATIVE_ACCESS_WARNING), r.err);
    }

    @Test
    void modulePathOnJava24PlusWithNativeAccessEnabledPrintsNoNativeAccessWarning() throws Exception {
        Run r = moduleCheck(newJava(), true, List.of("--enable-native-access=org.jnrproject.jffi"));
        assertModulePath(r);
        assertFalse(r.err.contains(NATIVE_ACCESS_WARNING), r.err);
    }

    /** The control: without the flag, Java 24+ warns, so the two tests above can fail. */
    @Test
    void withoutTheFlagJava24PlusWarnsAboutJffi() throws Exception {
        Run r = moduleCheck(newJava(), true, List.of());
        assertModulePath(r);
        assertTrue(r.err.contains(NATIVE_ACCESS_WARNING) && r.err.contains("--enable-native-access=org.jnrproject.jffi"),
                r.err);
    }

    @Test
    void theDemoJarEnablesNativeAccessInItsManifest() throws Exception {
        Path demo = Path.of(System.getProperty("netns.demo.jar"));
        try (JarFile jar = new JarFile(demo.toFile())) {
            assertEquals("ALL-UNNAMED", jar.getManifest().getMainAttributes().getValue("Enable-Native-Access"));
        }
        String prefix = "dmj" + ProcessHandle.current().pid();
        Run r = run(List.of(newJava().toString(), "-Dio.netns.demo.prefix=" + prefix, "-jar", demo.toString(),
                "none", "--server=jdk"), prefix);
        assertTrue(r.out.contains("e. none mode: NetworkMode.none()") && r.out.contains("[lo (up)]"), r.out);
        // no warning at all: native access is enabled by the manifest, and jffi does not use sun.misc.Unsafe
        assertFalse(r.err.contains("WARNING"), r.err);
        assertFalse(r.out.contains("WARNING"), r.out);
    }

    private static void assertClassPath(Run r) {
        assertTrue(r.out.contains("netns-core: the unnamed module"), r.out);
        assertTrue(r.out.contains("firewall: io.netns.iptables.IptablesFirewall in the unnamed module"), r.out);
        assertWorked(r);
        assertTrue(r.out.contains("internal: reachable (127.0.0.1)"), r.out);
    }

    private static void assertModulePath(Run r) {
        assertTrue(r.out.contains("netns-core: module io.netns"), r.out);
        assertTrue(r.out.contains("firewall: io.netns.iptables.IptablesFirewall in module io.netns.iptables"), r.out);
        assertWorked(r);
        assertTrue(r.out.contains("internal: encapsulated"), r.out);
    }

    private static void assertWorked(Run r) {
        assertTrue(Pattern.compile("namespace: port \\d+ bound inside \\(socket's namespace is the new one\\), deleted").matcher(r.out).find(), r.out);
        assertTrue(Pattern.compile("published: 200 hello from 10\\.89\\.0\\.\\d+:80").matcher(r.out).find(), r.out);
    }

    private static Run moduleCheck(Path java, boolean modulePath, List<String> flags) throws Exception {
        String path = Files.readString(Path.of(System.getProperty("netns.runtime.classpath"))).trim()
                + File.pathSeparator + System.getProperty("netns.examples.jar");
        String prefix = "mc" + ProcessHandle.current().pid() + (modulePath ? "m" : "c") + Math.abs(java.hashCode() % 100);
        List<String> cmd = new ArrayList<>();
        cmd.add(java.toString());
        cmd.addAll(flags);
        if (modulePath) {
            cmd.addAll(List.of("--module-path", path, "-m", "io.netns.examples/io.netns.examples.ModuleCheck"));
        } else {
            cmd.addAll(List.of("-cp", path, "io.netns.examples.ModuleCheck"));
        }
        cmd.add(prefix);
        return run(cmd, prefix);
    }

    private static Run run(List<String> cmd, String prefix) throws Exception {
        Path out = Files.createTempFile("modcheck", ".out");
        Path err = Files.createTempFile("modcheck", ".err");
        try {
            Process p = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor();
                throw new AssertionError("timed out: " + cmd);
            }
            Run r = new Run(Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
            assertEquals(0, p.exitValue(), cmd + "\nstdout:\n" + r.out + "\nstderr:\n" + r.err);
            try (Stream<Path> left = Files.list(Path.of("/run/netns"))) {
                List<String> mine = left.map(f -> f.getFileName().toString()).filter(n -> n.startsWith(prefix)).toList();
                assertTrue(mine.isEmpty(), "left behind: " + mine);
            }
            return r;
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }

    private static Path currentJava() {
        return Path.of(System.getProperty("java.home"), "bin", "java");
    }

    /**
     * A JDK 24 or later, the first to warn about JNI's {@code System.load} (JEP 472), as
     * {@code scripts/jdk21.sh 24} finds it (the project's machines have Temurin 25 under /usr/lib/jvm).
     * {@code scripts/setup.sh} installs one where there is none; elsewhere the privilege gate skips with
     * the reason, or fails under {@code NETNS_REQUIRE_PRIVILEGED=1} (CI).
     */
    private static Path newJava() throws Exception {
        Path script = Path.of(System.getProperty("user.dir")).resolve("../scripts/jdk21.sh").normalize();
        Process p = new ProcessBuilder(script.toString(), "24").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        boolean found = p.waitFor() == 0 && !out.isEmpty();
        Privileged.requireThat(found, "a JDK 24+ (scripts/jdk21.sh 24 found none; scripts/setup.sh installs one, "
                + "or set NETNS_JDK21 to one's home)");
        return Path.of(out);
    }

    private record Run(String out, String err) {
    }
}
