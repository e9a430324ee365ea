/**
 * The JUnit 5 extension: {@code @NetnsTest} gives tests lab hosts, namespaces and sandboxes, always
 * cleaned up.
 */
module io.netns.junit {
    requires transitive io.netns;
    requires transitive org.junit.jupiter.api;

    exports io.netns.junit;

    // JUnit instantiates NetnsExtension reflectively from @ExtendWith.
    opens io.netns.junit to org.junit.platform.commons;
}
