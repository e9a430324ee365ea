package io.netns.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs iproute2 in tests, to check the library's work independently of its own reads. */
public final class Ip {
    private Ip() {
    }

    /**
     * Runs {@code ip args...} and returns its standard output; fails on a non-zero exit.
     *
     * @param args the arguments after {@code ip}
     * @return stdout
     */
    public static String run(String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add("ip");
        cmd.addAll(List.of(args));
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(20, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError(cmd + " timed out");
            }
            if (p.exitValue() != 0) {
                throw new AssertionError(cmd + " exited " + p.exitValue() + ": " + out);
            }
            return out;
        } catch (IOException e) {
            throw new AssertionError(cmd + " failed", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(cmd + " interrupted", e);
        }
    }

    /**
     * @param ns a namespace name
     * @param args what follows {@code ip -n ns}
     * @return stdout
     */
    public static String in(String ns, String... args) {
        String[] all = new String[args.length + 2];
        all[0] = "-n";
        all[1] = ns;
        System.arraycopy(args, 0, all, 2, args.length);
        return run(all);
    }
}
