package io.netns.testing;

import io.netns.Netns;
import io.netns.internal.PrivilegeGate;
import org.junit.jupiter.api.Assumptions;

/**
 * The gate of every netns test that needs something of the machine: network namespaces, a tool, a JDK.
 * Skipped with the reason where it is missing, failed instead when {@code NETNS_REQUIRE_PRIVILEGED=1}
 * (CI), so CI can never pass while testing nothing. The rule itself is {@link PrivilegeGate}, shared with
 * {@code @NetnsTest}.
 */
public final class Privileged {
    private Privileged() {
    }

    /** Skips or fails the calling test when namespaces are unavailable. */
    public static void require() {
        Throwable cause = Netns.unavailabilityCause();
        gate(PrivilegeGate.namespacesUnavailable(cause), cause);
    }

    /**
     * Skips or fails the calling test when {@code present} is false.
     *
     * @param present whether what the test needs is here
     * @param what what it needs, e.g. {@code "apache2 (scripts/setup.sh installs it)"}
     */
    public static void requireThat(boolean present, String what) {
        gate(present ? null : "missing: " + what, null);
    }

    /**
     * Skips or fails the calling test when {@code tool} is not an executable on the PATH (or an absolute
     * path to one).
     *
     * @param tool the command, e.g. {@code "nft"}
     */
    public static void requireTool(String tool) {
        requireThat(Tools.find(tool) != null, "the command " + tool + " (scripts/setup.sh installs it)");
    }

    private static void gate(String missing, Throwable cause) {
        String skip = PrivilegeGate.decide(missing, cause);
        if (skip != null) {
            Assumptions.abort(skip);
        }
    }
}
