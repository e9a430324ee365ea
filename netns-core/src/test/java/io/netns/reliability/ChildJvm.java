package io.netns.reliability;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Starts a main class of the tests in a fresh JVM, with this JVM's java and class path. */
final class ChildJvm {
    private ChildJvm() {
    }

    /** @return the java launcher of this JVM */
    static String java() {
        return ProcessHandle.current().info().command().orElse(System.getProperty("java.home") + "/bin/java");
    }

    /**
     * @param prefix what goes before {@code java} (e.g. setpriv and its options), may be empty
     * @param classPath the class path
     * @param main the main class
     * @param args its arguments
     * @return the argv
     */
    static List<String> argv(List<String> prefix, String classPath, Class<?> main, String... args) {
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
    static Result run(List<String> argv, long timeoutSeconds) throws IOException, InterruptedException {
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
    record Result(int exit, String output) {
    }
}
