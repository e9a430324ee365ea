package io.netns.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netns.Netns;
import io.netns.NetNamespace;
import io.netns.internal.OwnerRecord;
import io.netns.internal.PrivilegeGate;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@link NoneFloorCheck} measures both sides and leaves nothing: its table has a row for each and the ratios,
 * the calling thread is home afterwards, and no namespace file or owner record of this JVM is left.
 */
class NoneFloorCheckIT {
    @BeforeAll
    static void privileged() {
        String skip = PrivilegeGate.decide(PrivilegeGate.namespacesUnavailable(Netns.unavailabilityCause()), null);
        Assumptions.assumeTrue(skip == null, skip);
    }

    @Test
    void measuresBothSidesInterleavedAndLeavesNothing() throws Exception {
        Set<String> before = names();
        String home = Files.readSymbolicLink(Path.of("/proc/thread-self/ns/net")).toString();
        PrintStream out = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            NoneFloorCheck.main(new String[] {"10"});
        } finally {
            System.setOut(out);
        }
        String table = captured.toString(StandardCharsets.UTF_8);
        assertTrue(table.contains("| none create+close (µs) |"), table);
        assertTrue(table.contains("| floor from Java: ns + lo up (µs) |"), table);
        assertTrue(table.matches("(?s).*\\| ratio \\| [0-9.]+× \\| [0-9.]+× \\| [0-9.]+× \\| [0-9.]+× \\|.*"), table);
        assertEquals(home, Files.readSymbolicLink(Path.of("/proc/thread-self/ns/net")).toString(), "the thread is home");
        Set<String> after = names();
        after.removeAll(before);
        // Only this JVM's names (Names.unique: bench-...<what><pid in base 36>-<n>): other runs on the machine come and go.
        String mine = Long.toString(ProcessHandle.current().pid(), 36) + "-";
        after.removeIf(n -> !n.contains("/bench-") || !n.contains(mine));
        assertEquals(Set.of(), after, "left behind");
    }

    /** Namespace files and owner records of this machine now. */
    private static Set<String> names() throws IOException {
        Set<String> out = new java.util.HashSet<>();
        for (Path dir : List.of(NetNamespace.directory(), OwnerRecord.DIR)) {
            if (Files.isDirectory(dir)) {
                try (Stream<Path> s = Files.list(dir)) {
                    out.addAll(s.map(p -> dir.getFileName() + "/" + p.getFileName()).collect(Collectors.toSet()));
                }
            }
        }
        return out;
    }
}
