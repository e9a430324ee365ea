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
 * @Test void web(@Mode(value = Kind.BRIDGE, publish = "8080:80") Sandbox web) { ... }
 * }</pre>
 */
@Target(ElementType.PARAMETER)
@Retention(RetentionPolicy.RUNTIME)
@Documented
public @interface Mode {
    /** The modes a parameter can ask for. */
    enum Kind {
        /** {@code NetworkMode.none()}. */
        NONE,
        /** {@code NetworkMode.host()}: the lab host's stack. */
        HOST,
        /** {@code NetworkMode.bridge()} on the lab host's default bridge network. */
        BRIDGE
    }

    /**
     * @return the mode; default {@link Kind#NONE}
     */
    Kind value() default Kind.NONE;

    /**
     * @return bridge mode only: TCP ports to publish as {@code "hostPort:containerPort"}; default none
     */
    String[] publish() default {};

    /**
     * @return bridge mode only: the subnet of the lab's bridge network; default the library's default
     */
    String subnet() default "";
}
