package io.netns.testing;

import io.netns.Netns;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * Gate for privileged integration tests: skips with the reason when network namespaces are unavailable
 * here, except where {@code NETNS_REQUIRE_PRIVILEGED=1} is set (CI), where it fails instead, so a run can
 * never pass green while testing nothing.
 */
public final class Privileged {
    private Privileged() {
    }

    /** Call first in every privileged test (or in {@code @BeforeAll}). */
    public static void require() {
        Throwable cause = Netns.unavailabilityCause();
        if (cause == null) {
            return;
        }
        String reason = "network namespaces unavailable: " + cause;
        if ("1".equals(System.getenv("NETNS_REQUIRE_PRIVILEGED"))) {
            Assertions.fail(reason + " (NETNS_REQUIRE_PRIVILEGED=1 forbids skipping)", cause);
        }
        Assumptions.abort(reason);
    }
}
