package io.netns.junit;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Marks a test class (or method) whose parameters may be {@link io.netns.Host} (a fresh lab host),
 * {@link io.netns.NetNamespace} (a fresh namespace) and {@link io.netns.Sandbox} (made on the test's lab
 * host in the {@link Mode} given). Everything is removed after the test — or kept when it failed and
 * {@link #keepOnFailure()} is set — and a leak check then fails the test if something it made is still on
 * the machine.
 *
 * <p><b>Lifetime.</b> Parameters of a test method, and of its {@code @BeforeEach}/{@code @AfterEach}
 * methods, belong to the test: one fresh lab host per test, removed after it. Parameters of a constructor
 * or of a {@code @BeforeAll} method belong to the class (with {@code @TestInstance(PER_CLASS)}, or static
 * {@code @BeforeAll}): one lab for the whole class, removed after its last test.
 *
 * <p><b>Leak check.</b> After the removal, the test fails if a namespace, veth, tagged firewall rule, owner
 * record or address lease it made is still on the machine; see {@link NetnsExtension}.
 *
 * <p><b>Privileges.</b> On a machine where namespaces cannot be used the tests are skipped with the reason,
 * unless the environment sets {@code NETNS_REQUIRE_PRIVILEGED=1}: then they fail.
 *
 * <p>{@code @Mode(publish=...)} and {@code @Mode(expose=...)} need {@code io.netns:netns-iptables} on the
 * test class path.
 */
@Target({ElementType.TYPE, ElementType.METHOD, ElementType.ANNOTATION_TYPE})
@Retention(RetentionPolicy.RUNTIME)
@Documented
@Inherited
@ExtendWith(NetnsExtension.class)
public @interface NetnsTest {
    /**
     * Keep what a failed test made, and print (to {@code System.err}) how to inspect it with
     * {@code ip netns} and how to remove it. Default false: always clean up.
     *
     * @return whether to keep the lab of a failed test
     */
    boolean keepOnFailure() default false;
}
