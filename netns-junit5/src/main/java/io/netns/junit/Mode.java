package io.netns.junit;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Chooses the network mode of a {@link io.netns.Sandbox} parameter; without it a sandbox is {@code none}.
 *
 * <pre>{@code
 * @Test void web(@Mode(value = Kind.BRIDGE, publish = "8080:80", name = "web") Sandbox web,
 *               @Mode(value = Kind.CONTAINER, join = "web") Sandbox side,
 *               @Mode(value = Kind.HOST, expose = "127.0.0.1:9000") Sandbox h) { ... }
 * }</pre>
 *
 * <p>{@code publish} and {@code expose} change the lab host's firewall, so they need a {@code Firewall}
 * implementation on the test class path: add {@code io.netns:netns-iptables} as a test dependency (and
 * have {@code iptables} installed); without it the parameter fails to resolve with a message naming the
 * module.
 */
@Target(ElementType.PARAMETER)
@Retention(RetentionPolicy.RUNTIME)
@Documented
public @interface Mode {
    /** The modes a parameter can ask for. */
    enum Kind {
        /** {@code NetworkMode.none()}: its own namespace, loopback only. */
        NONE,
        /** {@code NetworkMode.host()}: the lab host's stack. */
        HOST,
        /** {@code NetworkMode.bridge()} on the lab host's default bridge network. */
        BRIDGE,
        /** {@code NetworkMode.container(...)}: the stack of the sandbox named by {@link Mode#join()}. */
        CONTAINER
    }

    /**
     * @return the mode; default {@link Kind#NONE}
     */
    Kind value() default Kind.NONE;

    /**
     * @return a short name for the sandbox, unique in the test; the sandbox's real name is the lab host's
     *     id, a dash and this. Default: a generated {@code s0}, {@code s1}, ...
     */
    String name() default "";

    /**
     * @return {@link Kind#BRIDGE} only: ports to publish, each written as {@code docker run -p} takes it and
     *     parsed as Docker parses it ({@link io.netns.PublishedPort#parse(String)}): {@code "8080:80"},
     *     {@code "127.0.0.1:5353:53/udp"}, {@code "[fd00:20:30::100]:8080:80"}, {@code "8000-8009:8000-8009"},
     *     {@code "9000-9010:80"}; spaces around the parts are ignored. The ports as published (choices made)
     *     are in {@link io.netns.Sandbox#published()}. Default none
     */
    String[] publish() default {};

    /**
     * @return {@link Kind#BRIDGE} only: the subnet of the lab's bridge network; default the library's default
     */
    String subnet() default "";

    /**
     * @return {@link Kind#BRIDGE} only: a dual-stack lab bridge network ({@code BridgeMode.ipv6()}): the sandbox
     *     gets an IPv6 address (usable at once, no duplicate address detection) and an IPv6 default route as well;
     *     default false. The bridge parameters of a test share the lab's network, which is made by the first of
     *     them: a later parameter asking for IPv6 on a network made without it is refused, one without
     *     {@code ipv6} joins a dual-stack network as it is:
     *     <pre>{@code
     * @Test void dual(@Mode(value = Kind.BRIDGE, ipv6 = true) Sandbox a, @Mode(Kind.BRIDGE) Sandbox b) { ... } // both dual-stack
     * }</pre>
     */
    boolean ipv6() default false;

    /**
     * @return {@link Kind#BRIDGE} only: the IPv6 subnet of the lab's bridge network ({@code BridgeMode.subnet6},
     *     implies {@link #ipv6()}); default the network name's derived unique local /64
     */
    String subnet6() default "";

    /**
     * @return {@link Kind#HOST} only: TCP openings in the lab host's firewall as {@code "address:port"};
     *     default none
     */
    String[] expose() default {};

    /**
     * @return {@link Kind#CONTAINER} only, and required there: the {@link #name()} of a sandbox parameter
     *     declared before this one in the same method
     */
    String join() default "";
}
