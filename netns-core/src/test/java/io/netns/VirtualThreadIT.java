package io.netns;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netns.testing.Cmd;
import io.netns.testing.Privileged;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * Virtual threads exist from Java 21; the build runs on 17, so the refusal is checked in a child JVM of
 * the newer JDK this kind of machine ships (Temurin, under /usr/lib/jvm).
 */
class VirtualThreadIT {
    @Test
    void aVirtualThreadIsRefusedWithTheReasonAndWhatToUse() throws Exception {
        Privileged.require();
        Path java = null;
        try (var jdks = Files.list(Path.of("/usr/lib/jvm"))) {
            for (Path jdk : (Iterable<Path>) jdks.sorted()::iterator) {
                Path bin = jdk.resolve("bin/java");
                String name = jdk.getFileName().toString();
                if (Files.isExecutable(bin) && name.matches(".*-(2[1-9]|[3-9][0-9])(-.*|$)")) {
                    java = bin;
                }
            }
        }
        Assumptions.assumeTrue(java != null, "no JDK 21+ under /usr/lib/jvm to run virtual threads");
        String all = Cmd.run(java.toString(), "--enable-native-access=ALL-UNNAMED", "-cp",
                System.getProperty("java.class.path"), VirtualThreadMain.class.getName()).trim();
        String out = all.substring(all.lastIndexOf('\n') + 1);
        assertTrue(out.startsWith("REFUSED: "), out);
        assertTrue(out.contains("virtual thread") && out.contains("executor()"), out);
    }
}
