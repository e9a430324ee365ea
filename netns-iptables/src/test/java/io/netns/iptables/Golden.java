package io.netns.iptables;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Golden files under {@code src/test/resources/golden}; {@code -Dgolden.update=true} rewrites them. */
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
        if (Boolean.getBoolean("golden.update")) {
            try {
                Files.writeString(Path.of("src/test/resources/golden", name), actual);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return;
        }
        String expected = read(name);
        assertEquals(expected, actual, "golden file " + name + " (rerun with -Dgolden.update=true to rewrite)");
    }
}
