package io.netns.testing;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarFile;
import java.util.jar.Manifest;
import java.util.stream.Stream;

/** Starts a main class of the tests in a fresh JVM, with this JVM's java and class path. */
public final class ChildJvm {
    private ChildJvm() {
    }

    /** @return the java launcher of this JVM */
    public static String java() {
        return ProcessHandle.current().info().command().orElse(System.getProperty("java.home") + "/bin/java");
    }

    /**
     * @param prefix what goes before {@code java} (e.g. setpriv and its options), may be empty
     * @param classPath the class path
     * @param main the main class
     * @param args its arguments
     * @return the argv
     */
    public static List<String> argv(List<String> prefix, String classPath, Class<?> main, String... args) {
        List<String> argv = new ArrayList<>(prefix);
        argv.add(java());
        argv.add("-Xmx64m");
        argv.add("-XX:TieredStopAtLevel=1");
        argv.add("-cp");
        argv.add(classPath);
        argv.add(main.getName());
        argv.addAll(List.of(args));
        return argv;
    }

    /**
     * Runs the child to its end.
     *
     * @return its exit code and merged output
     */
    public static Result run(List<String> argv, long timeoutSeconds) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
        byte[][] out = new byte[1][];
        Thread reader = new Thread(() -> {
            try {
                out[0] = p.getInputStream().readAllBytes();
            } catch (IOException e) {
                out[0] = ("(output unreadable: " + e + ")").getBytes(StandardCharsets.UTF_8);
            }
        });
        reader.start();
        if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            reader.join(5000);
            throw new AssertionError("child " + argv + " did not finish in " + timeoutSeconds + " s; output: "
                    + (out[0] == null ? "" : new String(out[0], StandardCharsets.UTF_8)));
        }
        reader.join(10_000);
        return new Result(p.exitValue(), out[0] == null ? "" : new String(out[0], StandardCharsets.UTF_8));
    }

    /**
     * @param exit the exit code
     * @param output stdout and stderr
     */
    public record Result(int exit, String output) {
    }

    /** Copies the test class path where {@code nobody} can read it (the local repository is under /root). */
    /**
     * Copies this JVM's class path where {@code nobody} can read it (the local repository is under /root).
     *
     * @param dir an empty directory, readable by all, that the caller removes
     * @return the class path of the copy
     */
    public static String readableClassPath(Path dir) throws IOException {
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
    public static Set<Path> classPath() throws IOException {
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
