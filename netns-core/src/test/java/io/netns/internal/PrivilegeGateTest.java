package io.netns.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netns.testing.TestLab;
import org.junit.jupiter.api.Test;

/** The one skip-or-fail rule, apart from the machine and the environment. */
class PrivilegeGateTest {
    @Test
    void nothingMissingRunsWhateverTheEnvironmentSays() {
        for (String env : new String[] {null, "", "0", "1"}) {
            assertNull(PrivilegeGate.decide(null, null, env), "env " + env);
        }
        assertNull(PrivilegeGate.namespacesUnavailable(null));
    }

    @Test
    void somethingMissingSkipsWithTheReasonAndTheWayToFail() {
        for (String env : new String[] {null, "", "0", "true", "yes"}) {
            String skip = PrivilegeGate.decide("missing: a JDK 21+", null, env);
            assertEquals("missing: a JDK 21+ (set NETNS_REQUIRE_PRIVILEGED=1 to fail instead of skipping)", skip);
        }
    }

    @Test
    void somethingMissingFailsWhenRequiredKeepingTheCause() {
        Throwable cause = new IllegalStateException("unshare(CLONE_NEWNET) failed: EPERM");
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> PrivilegeGate.decide(PrivilegeGate.namespacesUnavailable(cause), cause, "1"));
        assertSame(cause, e.getCause());
        assertTrue(e.getMessage().startsWith("NETNS_REQUIRE_PRIVILEGED=1 but network namespaces are unavailable: "),
                e.getMessage());
        assertTrue(e.getMessage().contains("EPERM"), e.getMessage());
    }

    @Test
    void aLabTagMustMakeSafeNames() {
        for (String bad : new String[] {"", "Ab", "1a", "a-b", "toolongtag", "a b"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new TestLab(bad));
            assertTrue(e.getMessage().contains(bad), e.getMessage());
        }
        String a = new TestLab("brit").prefix();
        String b = new TestLab("brit").prefix();
        assertTrue(a.matches("brit" + ProcessHandle.current().pid() + "-[0-9]+-"), a);
        assertTrue(!a.equals(b), "two labs of one JVM never share names: " + a);
    }
}
