package io.netns.testing;

import io.netns.Netns;
import org.junit.jupiter.api.Assumptions;

/**
 * The gate of privileged tests in modules that cannot use netns-junit5: skipped with the reason when
 * namespaces are unavailable, failed instead when {@code NETNS_REQUIRE_PRIVILEGED=1} (CI), so CI can
 * never pass while testing nothing.
 */
public final class Privileged {
    private Privileged() {
    }

    /** Skips or fails the calling test when namespaces are unavailable. */
    public static void require() {
        Throwable cause = Netns.unavailabilityCause();
        if (cause == null) {
            return;
        }
        if ("1".equals(System.getenv("NETNS_REQUIRE_PRIVILEGED"))) {
            throw new AssertionError("NETNS_REQUIRE_PRIVILEGED=1 but network namespaces are unavailable: " + cause, cause);
        }
        Assumptions.abort("network namespaces are unavailable: " + cause);
    }
}
