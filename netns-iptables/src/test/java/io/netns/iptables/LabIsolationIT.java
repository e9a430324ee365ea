package io.netns.iptables;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netns.Host;
import io.netns.NetworkMode;
import io.netns.Sandbox;
import io.netns.testing.TestLab;
import java.nio.file.Files;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Two labs on one machine, as two test JVMs run them: what one holds (published ports, their claims under
 * {@code /run/netns.d/ports}, records, leases) is never a leftover of the other, which is what the JUnit
 * leak check and {@code reclaim()} read ({@link Host#leftovers()}).
 */
@Timeout(120)
class LabIsolationIT {
    @RegisterExtension
    final TestLab mine = new TestLab("isoa");
    @RegisterExtension
    final TestLab theirs = new TestLab("isob");

    @Test
    void aLabsLeftoversAreNothingOfAnotherLab() throws Exception {
        Host a = mine.host();
        Host b = theirs.host();
        try (Sandbox web = b.create(theirs.name("web"), NetworkMode.bridge().publish(18090, 80))) {
            assertTrue(Files.isDirectory(PortClaims.DIR.resolve(b.id()).resolve("tcp-18090")), "the other lab's claim");
            assertTrue(Leftovers.taggedRules(b.id(), "netns:" + b.id() + "/sandbox/").size() > 0,
                    "the witness: the other lab's rules");
            assertEquals(List.of(), a.leftovers().items(), "nothing of " + web.name() + " in " + a.id());
            assertEquals(List.of(web.name()), b.leftovers().items(io.netns.Leftovers.Kind.RULE).stream()
                    .map(io.netns.Leftovers.Item::owner).toList(), "while open, its rules are listed in its own lab");
        }
    }
}
