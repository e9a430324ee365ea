package io.netns.internal;

/**
 * The one skip-or-fail rule of netns's tests and of the JUnit extension: a test that cannot run on this
 * machine (network namespaces unavailable, a tool or JDK it needs missing) is skipped with the reason,
 * unless the environment sets {@value #REQUIRE_PRIVILEGED}{@code =1} (CI does): then it fails, so a run
 * can never pass while testing nothing.
 *
 * <p>Free of JUnit: {@code io.netns.junit.NetnsExtension} turns the answer into a disabled condition, the
 * test fixture {@code io.netns.testing.Privileged} into an aborted test.
 */
public final class PrivilegeGate {
    /** The environment variable that turns a skip into a failure when set to {@code 1}. */
    public static final String REQUIRE_PRIVILEGED = "NETNS_REQUIRE_PRIVILEGED";

    private PrivilegeGate() {
    }

    /**
     * The rule, with the environment read here.
     *
     * @param missing what keeps the test from running here, as a sentence fragment (for example
     *     {@code "network namespaces are unavailable: ..."}), or null when nothing does
     * @param cause the failure behind it, or null
     * @return null when the test may run; otherwise the reason to skip it
     * @throws IllegalStateException when {@code missing} is not null and {@value #REQUIRE_PRIVILEGED} is
     *     {@code 1}
     */
    public static String decide(String missing, Throwable cause) {
        return decide(missing, cause, System.getenv(REQUIRE_PRIVILEGED));
    }

    /**
     * The rule, apart from the environment so it can be tested anywhere.
     *
     * @param missing what keeps the test from running, or null when nothing does
     * @param cause the failure behind it, or null
     * @param requirePrivileged the value of {@value #REQUIRE_PRIVILEGED}, or null when unset
     * @return null when the test may run; otherwise the reason to skip it, which names the variable
     * @throws IllegalStateException when {@code missing} is not null and {@code requirePrivileged} is
     *     {@code "1"}; its cause is {@code cause}
     */
    public static String decide(String missing, Throwable cause, String requirePrivileged) {
        if (missing == null) {
            return null;
        }
        if ("1".equals(requirePrivileged)) {
            throw new IllegalStateException(REQUIRE_PRIVILEGED + "=1 but " + missing, cause);
        }
        return missing + " (set " + REQUIRE_PRIVILEGED + "=1 to fail instead of skipping)";
    }

    /**
     * @param cause why namespaces are unavailable ({@code Netns.unavailabilityCause()}), or null
     * @return the {@code missing} fragment for {@link #decide}: null when {@code cause} is null
     */
    public static String namespacesUnavailable(Throwable cause) {
        return cause == null ? null : "network namespaces are unavailable: " + cause;
    }
}
