package io.netns.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** Runs a command in tests, to check the library against iproute2's and the kernel's own view. */
public final class Cmd {
    private Cmd() {
    }

    /**
     * @param argv the command
     * @return its standard output (standard error only goes into the failure message); fails the test when
     *     it exits non-zero
     */
    public static String run(String... argv) {
        Result r = exec(argv);
        if (r.exit != 0) {
            throw new AssertionError(String.join(" ", argv) + " exited " + r.exit + ": " + r.output + r.error);
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
     * reading the kernel through it never passes for want of a witness. Standard output and error are
     * kept apart, so a warning on stderr never corrupts what a test parses.
     *
     * @param argv the command
     * @return exit code, standard output and standard error
     */
    public static Result exec(String... argv) {
        try {
            return finish(String.join(" ", argv), new ProcessBuilder(List.of(argv)).start());
        } catch (IOException e) {
            throw new AssertionError("cannot run " + String.join(" ", argv) + ": " + e, e);
        }
    }

    /**
     * Waits for a process started elsewhere (e.g. by {@code Sandbox.start}), with standard output and error
     * kept apart as {@link #exec} does; its standard input is closed.
     *
     * @param what the command, for messages
     * @param p the process, started without merging its standard error
     * @return exit code, standard output and standard error
     */
    public static Result finish(String what, Process p) {
        try {
            p.getOutputStream().close();
            CompletableFuture<byte[]> err = CompletableFuture.supplyAsync(() -> {
                try {
                    return p.getErrorStream().readAllBytes();
                } catch (IOException e) {
                    return new byte[0];
                }
            });
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError(what + " timed out");
            }
            return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8),
                    new String(err.join(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            p.destroyForcibly();
            throw new AssertionError("cannot read " + what + ": " + e, e);
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /**
     * @param exit the exit code
     * @param output standard output
     * @param error standard error
     */
    public record Result(int exit, String output, String error) {
    }
}
