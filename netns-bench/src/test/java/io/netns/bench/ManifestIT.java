package io.netns.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.jar.Attributes;
import java.util.jar.JarFile;
import org.junit.jupiter.api.Test;

/**
 * The shaded {@code benchmarks.jar} (built at package, so checked here after it) starts JMH and allows
 * jffi's native access, so {@code java -jar benchmarks.jar} prints no native-access warning on Java 24+
 * (the JMH forks get {@code --enable-native-access=ALL-UNNAMED} from {@link AbstractNetnsBenchmark}).
 */
class ManifestIT {
    @Test
    void benchmarksJarStartsJmhWithNativeAccessEnabled() throws Exception {
        Path jar = Path.of(System.getProperty("user.dir"), "target", "benchmarks.jar");
        try (JarFile f = new JarFile(jar.toFile())) {
            Attributes main = f.getManifest().getMainAttributes();
            assertEquals("org.openjdk.jmh.Main", main.getValue("Main-Class"));
            assertEquals("ALL-UNNAMED", main.getValue("Enable-Native-Access"));
        }
    }
}
