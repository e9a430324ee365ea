/**
 * JUnit 5 extension: lab hosts, namespaces and sandboxes as test parameters, always cleaned up.
 *
 * <pre>{@code
 * @NetnsTest
 * class MyIT {
 *     @Test
 *     void isolated(Host lab, @Mode(Kind.BRIDGE) Sandbox web) throws Exception { ... }
 * }
 * }</pre>
 */
package io.netns.junit;
