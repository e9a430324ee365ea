package io.netns.junit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * netns-junit5 in a user's project on the JUnit version that project chose: a small external Maven project
 * ({@code src/test/resources/junit-versions}) with {@code junit-jupiter} of each version and
 * {@code io.netns:netns-junit5} as test dependencies is built with {@code mvn test}, and its one
 * {@code @NetnsTest} (a lab and a bridge sandbox exchanging bytes over TCP, which also checks that the
 * JUnit on its class path is the project's own) must run and pass, not skip.
 *
 * <p>The netns artifacts this build made are laid into a private local repository under
 * {@code target/junit-versions/repo} (never the machine's shared one); the rest comes from the machine's
 * {@code ~/.m2/repository} when present, else from Maven Central. A version whose build passed once is
 * built offline afterwards. The versions: the oldest supported (5.9.x), 5.11.x (where the class path clash
 * of issue #16 showed), and the latest 5.x and 6.x at the time of writing.
 */
@NetnsTest
class JUnitVersionsIT {
    private static final Path WORK = Path.of("target", "junit-versions").toAbsolutePath();
    private static final Path REPO = WORK.resolve("repo");

    @BeforeAll
    static void installNetnsIntoAPrivateRepository() throws IOException {
        String version = System.getProperty("netns.version");
        assertTrue(version != null && !version.isEmpty(), "failsafe passes -Dnetns.version");
        Path module = Path.of("").toAbsolutePath();
        Path root = module.getParent();
        lay(root.resolve("pom.xml"), "netns-parent", version, "pom");
        for (String artifact : List.of("netns-core", "netns-iptables", "netns-junit5")) {
            Path dir = root.resolve(artifact);
            Path jar = dir.resolve("target").resolve(artifact + "-" + version + ".jar");
            assertTrue(Files.isRegularFile(jar), jar + " is built before the integration tests");
            lay(dir.resolve("pom.xml"), artifact, version, "pom");
            lay(jar, artifact, version, "jar");
        }
    }

    /** Copies a file to where {@code mvn install} would put it. */
    private static void lay(Path file, String artifact, String version, String ext) throws IOException {
        Path to = REPO.resolve("io/netns").resolve(artifact).resolve(version).resolve(artifact + "-" + version + "." + ext);
        Files.createDirectories(to.getParent());
        Files.copy(file, to, StandardCopyOption.REPLACE_EXISTING);
    }

    @ParameterizedTest(name = "JUnit {0}")
    @ValueSource(strings = {"5.9.3", "5.11.4", "5.14.4", "6.1.3"})
    void atestOfTheUsersProjectRunsAndPasses(String junit) throws Exception {
        build(junit, junit);
    }

    /**
     * No wrapper around Maven: surefire's {@code <jvm>} is the project's two-line launcher
     * ({@code scripts/rootless/bin/java}: {@code exec unshare --user --map-root-user --mount java "$@"}), and the
     * test JVM runs {@link io.netns.Netns.Mode#ROOTLESS} (as root too: it is a user namespace of its own).
     */
    @Test
    void theRootlessLauncherAsSurefiresJvmRunsTheTestRootless() throws Exception {
        Path launcher = Path.of("").toAbsolutePath().getParent().resolve("scripts/rootless/bin/java");
        assertTrue(Files.isExecutable(launcher), launcher + " is executable");
        build("5.14.4", "5.14.4-rootless-java", "-Djvm=" + launcher, "-Dnetns.mode=ROOTLESS");
    }

    /** Builds the template project as {@code WORK/<dir>} with {@code mvn test}; its one test must pass. */
    private static void build(String junit, String dir, String... extra) throws Exception {
        Path project = WORK.resolve(dir);
        copyTemplate(project);
        Path marker = REPO.resolve(".passed-" + junit);
        Path log = WORK.resolve(dir + ".log");
        List<String> argv = new ArrayList<>(List.of("mvn", "-B", "-ntp", "-f", project.resolve("pom.xml").toString(),
                "-Dmaven.repo.local=" + REPO, "-Djunit.version=" + junit,
                "-Dnetns.version=" + System.getProperty("netns.version"), "-Dseed.url=" + seedUrl()));
        argv.addAll(List.of(extra));
        argv.add("test");
        if (Files.exists(marker)) {
            argv.add(1, "-o"); // everything it needs was fetched by an earlier pass
        }
        ProcessBuilder pb = new ProcessBuilder(argv).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().put(NetnsExtension.REQUIRE_PRIVILEGED, "1"); // a skip inside fails the build there
        Process p = pb.start();
        if (!p.waitFor(10, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            fail("mvn test of the JUnit " + junit + " project took over 10 minutes; see " + log);
        }
        String out = Files.readString(log, StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), "mvn test of the JUnit " + junit + " project " + dir + " failed:\n" + tail(out));
        Path report = project.resolve("target/surefire-reports/TEST-example.LabTest.xml");
        assertTrue(Files.exists(report), "no surefire report " + report + ":\n" + tail(out));
        String xml = Files.readString(report, StandardCharsets.UTF_8);
        assertEquals("1", attribute(xml, "tests"), xml);
        assertEquals("0", attribute(xml, "skipped"), "the @NetnsTest ran, not skipped: " + xml);
        assertEquals("0", attribute(xml, "failures"), xml);
        assertEquals("0", attribute(xml, "errors"), xml);
        Files.writeString(marker, junit);
    }

    private static void copyTemplate(Path to) throws IOException, URISyntaxException {
        Path template = Path.of(JUnitVersionsIT.class.getResource("/junit-versions/pom.xml").toURI()).getParent();
        try (Stream<Path> files = Files.walk(template)) {
            files.forEach(f -> {
                Path t = to.resolve(template.relativize(f).toString());
                try {
                    if (Files.isDirectory(f)) {
                        Files.createDirectories(t);
                    } else {
                        Files.copy(f, t, StandardCopyOption.REPLACE_EXISTING);
                    }
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        }
    }

    /** The machine's own local repository, read as a remote one, so what it holds needs no download. */
    private static String seedUrl() {
        Path m2 = Path.of(System.getProperty("user.home"), ".m2", "repository");
        return Files.isDirectory(m2) && Files.isReadable(m2) ? m2.toUri().toString() : "file:///nonexistent";
    }

    private static String attribute(String xml, String name) {
        Matcher m = Pattern.compile("<testsuite[^>]*\\s" + name + "=\"([^\"]*)\"").matcher(xml);
        return m.find() ? m.group(1) : null;
    }

    private static String tail(String log) {
        String[] lines = log.split("\n");
        return String.join("\n", List.of(lines).subList(Math.max(0, lines.length - 60), lines.length));
    }
}
