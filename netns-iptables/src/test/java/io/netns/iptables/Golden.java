package io.netns.iptables;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Golden files under {@code src/test/resources/golden}. {@code -Dgolden.update=true} rewrites a file that
 * differs and then fails the test (a run that rewrites is never green); it refuses to run where the
 * environment sets {@code CI}, so CI always compares.
 */
final class Golden {
    private Golden() {
    }

    static String read(String name) {
        try (InputStream in = Golden.class.getResourceAsStream("/golden/" + name)) {
            if (in == null) {
                return null;
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void assertGolden(String name, String actual) {
        String expected = read(name);
        if (Boolean.getBoolean("golden.update") && !actual.equals(expected)) {
            if (System.getenv("CI") != null) {
                throw new AssertionError("-Dgolden.update=true refused: CI is set, and CI compares golden files, never rewrites them");
            }
            try {
                Files.writeString(Path.of("src/test/resources/golden", name), actual);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            throw new AssertionError("rewrote golden file " + name + "; review the diff and rerun without -Dgolden.update");
        }
        assertEquals(expected, actual, "golden file " + name + " (rerun with -Dgolden.update=true to rewrite)");
    }
}
