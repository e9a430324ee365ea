package io.netns.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * No shell anywhere: the main sources of every module start processes from argument lists only. Scans
 * each {@code src/main} of the repository for shell invocations and string-form {@code exec}.
 */
class NoShellTest {
    /** A string literal that names a shell or its command flag. */
    private static final Pattern SHELL_LITERAL = Pattern.compile(
            "\"(?:(?:/usr)?/bin/)?(?:sh|bash|dash|zsh|ksh|busybox)\"|\"-c\"|\"/usr/bin/env\"|\"cmd(?:\\.exe)?\"");
    /** {@code Runtime.exec}, which splits a command string itself (and invites building one). */
    private static final Pattern RUNTIME_EXEC = Pattern.compile("\\bRuntime\\s*\\.\\s*getRuntime\\s*\\(\\s*\\)\\s*\\.\\s*exec\\b|\\.exec\\s*\\(\\s*\"");
    private static final Pattern PROCESS_BUILDER = Pattern.compile("new\\s+ProcessBuilder\\s*\\(");

    static List<String> findings(String source) {
        List<String> out = new ArrayList<>();
        String[] lines = source.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String code = lines[i].strip();
            if (code.startsWith("*") || code.startsWith("//") || code.startsWith("/*")) {
                continue; // javadoc and comments may show commands
            }
            for (Pattern p : List.of(SHELL_LITERAL, RUNTIME_EXEC)) {
                Matcher m = p.matcher(lines[i]);
                if (m.find()) {
                    out.add((i + 1) + ": " + code);
                }
            }
        }
        return out;
    }

    private static Path repositoryRoot() {
        Path dir = Path.of(System.getProperty("basedir", System.getProperty("user.dir"))).toAbsolutePath();
        while (dir != null && !Files.exists(dir.resolve("netns-core").resolve("pom.xml"))) {
            dir = dir.getParent();
        }
        assertTrue(dir != null, "repository root not found from " + System.getProperty("user.dir"));
        return dir;
    }

    @Test
    void theDetectorFindsShells() {
        assertEquals(1, findings("new ProcessBuilder(\"sh\", \"-c\", cmd).start();").size());
        assertEquals(1, findings("List.of(\"/bin/sh\", x)").size());
        assertEquals(1, findings("pb.command(\"bash\", script)").size());
        assertEquals(1, findings("Runtime.getRuntime().exec(cmd)").size());
        assertEquals(1, findings("r.exec(\"ip link\")").size());
        assertEquals(0, findings("new ProcessBuilder(tool, \"--noflush\").start();").size());
        assertEquals(0, findings(" * Process p = web.start(new ProcessBuilder(\"sh\", \"-c\", \"x\"));").size());
    }

    @Test
    void noModuleStartsAShell() throws IOException {
        Path root = repositoryRoot();
        List<Path> mains = new ArrayList<>();
        try (Stream<Path> modules = Files.list(root)) {
            modules.map(m -> m.resolve("src").resolve("main")).filter(Files::isDirectory).forEach(mains::add);
        }
        List<String> bad = new ArrayList<>();
        int files = 0;
        int builders = 0;
        for (Path main : mains) {
            List<Path> sources;
            try (Stream<Path> s = Files.walk(main)) {
                sources = s.filter(f -> f.toString().endsWith(".java")).toList();
            }
            for (Path f : sources) {
                files++;
                String text = Files.readString(f);
                Matcher pb = PROCESS_BUILDER.matcher(text);
                while (pb.find()) {
                    builders++;
                }
                for (String finding : findings(text)) {
                    bad.add(root.relativize(f) + ":" + finding);
                }
            }
        }
        System.out.printf("no shell: scanned %d main source files of %d modules, %d ProcessBuilder uses, %d shell uses%n",
                files, mains.size(), builders, bad.size());
        assertTrue(mains.stream().anyMatch(m -> m.startsWith(root.resolve("netns-iptables"))), "the iptables module is scanned");
        assertTrue(files > 50 && builders > 0, "the scan saw the sources: " + files + " files, " + builders + " builders");
        assertEquals(List.of(), bad);
    }
}
