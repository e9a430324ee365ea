package io.netns.testing;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;

/** Finds the witness tools of the tests (nft, nsenter, ip, iptables-save, ...) on the PATH. */
public final class Tools {
    private Tools() {
    }

    /**
     * @param tool a command name or an absolute path
     * @return the executable, or null when there is none
     */
    public static Path find(String tool) {
        if (tool.startsWith("/")) {
            Path p = Path.of(tool);
            return Files.isExecutable(p) ? p : null;
        }
        String path = System.getenv("PATH");
        for (String dir : (path == null ? "/usr/sbin:/usr/bin:/sbin:/bin" : path + ":/usr/sbin:/sbin").split(File.pathSeparator)) {
            if (!dir.isEmpty()) {
                Path p = Path.of(dir, tool);
                if (Files.isRegularFile(p) && Files.isExecutable(p)) {
                    return p;
                }
            }
        }
        return null;
    }

    /**
     * A witness the test cannot do without: a missing one is an error, never "nothing found".
     *
     * @param tool the command
     * @return its path
     * @throws AssertionError when it is missing
     */
    public static Path require(String tool) {
        Path p = find(tool);
        if (p == null) {
            throw new AssertionError("the witness tool " + tool + " is missing (scripts/setup.sh installs it): "
                    + "a check that reads the kernel through it cannot pass without it");
        }
        return p;
    }
}
