package io.netns.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The witness keeps a command's standard error out of what tests parse: iproute2 prints warnings such as
 * "Peer netns reference is invalid." to stderr whenever another process creates or deletes a namespace
 * at that moment, and a test counting {@code ip -o link} lines must not count them.
 */
class CmdTest {
    private static final String NOISY = "echo 'lo: <LOOPBACK>'; echo 'Peer netns reference is invalid.' >&2";

    @Test
    void execKeepsStandardErrorApart() {
        Cmd.Result r = Cmd.exec("sh", "-c", NOISY);
        assertEquals(0, r.exit());
        assertEquals("lo: <LOOPBACK>\n", r.output());
        assertEquals("Peer netns reference is invalid.\n", r.error());
        assertEquals(1, Cmd.run("sh", "-c", NOISY).lines().count());
    }

    @Test
    void finishKeepsStandardErrorApartForAProcessStartedElsewhere() throws IOException {
        Cmd.Result r = Cmd.finish("sh", new ProcessBuilder("sh", "-c", NOISY + "; exit 3").start());
        assertEquals(3, r.exit());
        assertEquals("lo: <LOOPBACK>\n", r.output());
        assertEquals("Peer netns reference is invalid.\n", r.error());
    }

    /** A witness that merges stderr ({@code redirectErrorStream(true)}) into a kernel tool's output. */
    private static final Pattern MERGED_WITNESS = Pattern.compile(
            "ProcessBuilder\\(\"(?:ip|nft|iptables|ip6tables|iptables-save|ip6tables-save|ss|bridge|sysctl|cat)\"[^;]*"
                    + "redirectErrorStream\\(true\\)");

    /** Every module's tests read iproute2, nft and /proc through {@link Cmd}, never with stderr merged. */
    @Test
    void noTestMergesAWitnessesStandardError() throws IOException {
        Path root = Path.of("").toAbsolutePath().getParent();
        List<String> found = new ArrayList<>();
        try (Stream<Path> files = Files.walk(root)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".java") && p.toString().contains("/src/test/")
                    && !p.toString().contains("/target/")).toList()) {
                String text = Files.readString(f);
                if (MERGED_WITNESS.matcher(text).find()) {
                    found.add(root.relativize(f).toString());
                }
            }
        }
        assertEquals(List.of(), found, "use Cmd.exec/Cmd.run/Cmd.finish, which keep stderr apart");
    }
}
