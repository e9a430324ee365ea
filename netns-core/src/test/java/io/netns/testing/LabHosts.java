package io.netns.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.netns.Host;
import io.netns.NetnsException;
import java.util.Arrays;
import java.util.List;

/**
 * The lab host of a privileged integration test: made after the privilege gate, named with a prefix of
 * the test class and this JVM's pid (so runs on one machine never meet), and closed with a check, by
 * {@code ip netns list}, that no namespace with that prefix is left.
 */
public final class LabHosts {
    private LabHosts() {
    }

    /**
     * @param tag a short tag of the test class
     * @return {@code <tag><pid>-}
     */
    public static String prefix(String tag) {
        return tag + ProcessHandle.current().pid() + "-";
    }

    /**
     * Skips or fails (see {@link Privileged}) when namespaces are unavailable; otherwise makes the lab.
     *
     * @param prefix the test's prefix
     * @return the lab host {@code <prefix>lab}
     */
    public static Host open(String prefix) throws NetnsException {
        Privileged.require();
        return Host.createLab(prefix + "lab");
    }

    /**
     * Closes the lab (when one was made) and fails when a namespace named with the prefix is left.
     *
     * @param lab the lab, or null
     * @param prefix the test's prefix
     */
    public static void close(Host lab, String prefix) throws Exception {
        if (lab != null) {
            lab.close();
        }
        List<String> left = Arrays.stream(Cmd.run("ip", "netns", "list").split("\n"))
                .filter(l -> l.startsWith(prefix)).toList();
        assertEquals(List.of(), left, "namespaces left");
    }
}
