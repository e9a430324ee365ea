package io.netns;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netns.testing.Cmd;
import io.netns.testing.Privileged;
import io.netns.testing.TestLab;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Virtual threads exist from Java 21; the build runs on 17, so the refusal is checked in a child JVM of
 * a JDK 21+ that scripts/jdk21.sh finds (scripts/setup.sh installs one where there is none).
 */
class VirtualThreadIT {
    @RegisterExtension
    final TestLab lab = new TestLab("vtit");

    @Test
    void aVirtualThreadIsRefusedWithTheReasonAndWhatToUse() throws Exception {
        // The one rule for where a JDK 21+ is: scripts/jdk21.sh (scripts/setup.sh installs one when it finds
        // none), so a machine set up for the tests never skips this, and CI fails rather than skips.
        Path script = Path.of(System.getProperty("user.dir")).resolve("../scripts/jdk21.sh").normalize();
        Cmd.Result found = Cmd.exec(script.toString());
        Privileged.requireThat(found.exit() == 0, "a JDK 21+ (" + script + " found none; scripts/setup.sh installs one)");
        String java = found.output().strip();
        String all = Cmd.run(java, "--enable-native-access=ALL-UNNAMED", "-cp",
                System.getProperty("java.class.path"), VirtualThreadMain.class.getName()).trim();
        String out = all.substring(all.lastIndexOf('\n') + 1);
        assertTrue(out.startsWith("REFUSED: "), out);
        assertTrue(out.contains("virtual thread") && out.contains("executor()"), out);
    }
}
