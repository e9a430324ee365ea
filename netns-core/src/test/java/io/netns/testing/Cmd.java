package io.netns.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs a command in tests, to check the library against iproute2's and the kernel's own view. */
public final class Cmd {
    private Cmd() {
    }

    /**
     * @param argv the command
     * @return its standard output; fails the test, with standard error, when it exits non-zero
     */
    public static String run(String... argv) {
        Result r = exec(argv);
        if (r.exit != 0) {
            throw new AssertionError(String.join(" ", argv) + " exited " + r.exit + ": " + r.output);
        }
        return r.output;
    }

    /**
     * Runs a command inside a namespace: {@code ip netns exec <ns> argv...}; fails when it exits non-zero.
     *
     * @param ns the namespace's name under /run/netns
     * @param argv the command
     * @return its standard output
     */
    public static String in(String ns, String... argv) {
        String[] all = new String[argv.length + 4];
        all[0] = "ip";
        all[1] = "netns";
        all[2] = "exec";
        all[3] = ns;
        System.arraycopy(argv, 0, all, 4, argv.length);
        return run(all);
    }

    /**
     * Runs a command; a command that cannot be started (the tool is missing) fails the test, so a check
     * reading the kernel through it never passes for want of a witness.
     *
     * <p>The output of a command that succeeds is its standard output only: iproute2 warns on standard error
     * about other processes' namespaces that vanish while it lists links ("Error: Peer netns reference is
     * invalid."), which parallel test runs on one machine cause, and a witness must not count those lines. A
     * command that fails returns both, standard error last, for the failure message.
     *
     * @param argv the command
     * @return exit code and output
     */
    public static Result exec(String... argv) {
        java.io.File err = null;
        try {
            err = java.io.File.createTempFile("netns-cmd", ".err");
            Process p = new ProcessBuilder(List.of(argv)).redirectError(err).start();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError(String.join(" ", argv) + " timed out");
            }
            String text = new String(out, StandardCharsets.UTF_8);
            if (p.exitValue() != 0) {
                text += java.nio.file.Files.readString(err.toPath(), StandardCharsets.UTF_8);
            }
            return new Result(p.exitValue(), text);
        } catch (IOException e) {
            throw new AssertionError("cannot run " + String.join(" ", argv) + ": " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        } finally {
            if (err != null) {
                err.delete();
            }
        }
    }

    /**
     * @param exit the exit code
     * @param output standard output; with standard error after it when the command failed
     */
    public record Result(int exit, String output) {
    }
}
