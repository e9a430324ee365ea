package io.netns.junit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netns.BridgeMode;
import io.netns.NetworkMode;
import io.netns.PublishedPort;
import java.lang.reflect.Method;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExtensionConfigurationException;

/** The skip-or-fail rule and the {@code @Mode} checks, without privileges. */
class NetnsExtensionConditionTest {
    @Test
    void availableNamespacesEnableTheTestWhateverTheEnvironmentSays() {
        assertFalse(NetnsExtension.evaluate(null, null).isDisabled());
        assertFalse(NetnsExtension.evaluate(null, "1").isDisabled());
    }

    @Test
    void unavailableNamespacesSkipWithTheReason() {
        Throwable cause = new IllegalStateException("unshare(CLONE_NEWNET) failed: EPERM");
        for (String env : new String[] {null, "", "0", "true"}) {
            ConditionEvaluationResult r = NetnsExtension.evaluate(cause, env);
            assertTrue(r.isDisabled(), "env " + env);
            String reason = r.getReason().orElseThrow();
            assertTrue(reason.contains("EPERM") && reason.contains("NETNS_REQUIRE_PRIVILEGED=1"), reason);
        }
    }

    @Test
    void unavailableNamespacesFailWhenPrivilegesAreRequired() {
        Throwable cause = new IllegalStateException("unshare(CLONE_NEWNET) failed: EPERM");
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> NetnsExtension.evaluate(cause, "1"));
        assertSame(cause, e.getCause());
        assertTrue(e.getMessage().startsWith("NETNS_REQUIRE_PRIVILEGED=1 but"), e.getMessage());
    }

    @SuppressWarnings("unused")
    static void modes(@Mode(value = Mode.Kind.BRIDGE, publish = "8080:80") Object ok,
            @Mode(value = Mode.Kind.BRIDGE, publish = "9000-9010:80-85") Object badRanges,
            @Mode(value = Mode.Kind.NONE, publish = "8080:80") Object publishOnNone,
            @Mode(value = Mode.Kind.HOST, expose = "10.0.0.1:80") Object exposed,
            @Mode(value = Mode.Kind.HOST, expose = "web:80") Object exposedName,
            @Mode(value = Mode.Kind.CONTAINER) Object noJoin,
            @Mode(value = Mode.Kind.CONTAINER, join = "missing") Object unknownJoin) {
    }

    private static Mode mode(int i) throws NoSuchMethodException {
        Method m = NetnsExtensionConditionTest.class.getDeclaredMethod("modes", Object.class, Object.class,
                Object.class, Object.class, Object.class, Object.class, Object.class);
        return m.getParameters()[i].getAnnotation(Mode.class);
    }

    @SuppressWarnings("unused")
    static void publishes(@Mode(value = Mode.Kind.BRIDGE, publish = {"8080:80", "127.0.0.1:5353:53/udp", " 8081 : 81 ",
            "[::1]:8443:443", "8000-8009:8000-8009", "9000-9010:80", "82", "127.0.0.1::83/udp"}) Object all) {
    }

    @Test
    void publishTakesDockersSyntaxThroughTheOneParser() throws Exception {
        Mode m = NetnsExtensionConditionTest.class.getDeclaredMethod("publishes", Object.class).getParameters()[0]
                .getAnnotation(Mode.class);
        BridgeMode b = (BridgeMode) NetnsExtension.toMode(m, null, null);
        assertEquals(List.of("tcp *:8080->80", "udp 127.0.0.1:5353->53", "tcp *:8081->81", "tcp [::1]:8443->443",
                "tcp *:8000-8009->8000-8009", "tcp *:9000-9010->80", "tcp *:0->82", "udp 127.0.0.1:0->83"),
                b.published().stream().map(PublishedPort::toString).toList());
        BridgeMode same = NetworkMode.bridge();
        for (String spec : m.publish()) {
            same = same.publish(spec.replace(" ", ""));
        }
        assertEquals(same, b, "the same as BridgeMode.publish(String)");
    }

    @Test
    void modeAnnotationsBecomeModesOrNameTheMistake() throws Exception {
        assertEquals("bridge", NetnsExtension.toMode(mode(0), null, null).kind());
        assertEquals("host", NetnsExtension.toMode(mode(3), null, null).kind());
        assertEquals("none", NetnsExtension.toMode(null, null, null).kind());
        String[] expected = {null, "@Mode(publish) of parameter '?' must be docker run -p text, "
                + "[hostIp:][hostPort:]containerPort[/protocol]: publish spec \"9000-9010:80-85\": invalid ranges specified "
                + "for container and host ports: 80-85 and 9000-9010", "need Kind.BRIDGE", null, "\"web:80\"", "needs join", "\"missing\""};
        for (int i = 0; i < expected.length; i++) {
            if (expected[i] == null) {
                continue;
            }
            int at = i;
            ExtensionConfigurationException e = assertThrows(ExtensionConfigurationException.class,
                    () -> NetnsExtension.toMode(mode(at), null, new NetnsExtension.Lab()), "parameter " + i);
            assertTrue(e.getMessage().contains(expected[i]), e.getMessage());
        }
    }

    @SuppressWarnings("unused")
    static void v6modes(@Mode(value = Mode.Kind.BRIDGE, ipv6 = true) Object dual,
            @Mode(value = Mode.Kind.BRIDGE, subnet6 = "fd89:0:0:1::/64") Object chosen,
            @Mode(value = Mode.Kind.NONE, ipv6 = true) Object onNone,
            @Mode(value = Mode.Kind.HOST, subnet6 = "fd89:0:0:1::/64") Object onHost,
            @Mode(value = Mode.Kind.BRIDGE, subnet6 = "fe80::/64") Object linkLocal) {
    }

    private static Mode v6mode(int i) throws NoSuchMethodException {
        Method m = NetnsExtensionConditionTest.class.getDeclaredMethod("v6modes", Object.class, Object.class,
                Object.class, Object.class, Object.class);
        return m.getParameters()[i].getAnnotation(Mode.class);
    }

    @Test
    void ipv6AndSubnet6BecomeADualStackBridgeOrNameTheMistake() throws Exception {
        io.netns.BridgeMode dual = (io.netns.BridgeMode) NetnsExtension.toMode(v6mode(0), null, null);
        assertTrue(dual.isIpv6());
        assertEquals(null, dual.subnet6());
        io.netns.BridgeMode chosen = (io.netns.BridgeMode) NetnsExtension.toMode(v6mode(1), null, null);
        assertTrue(chosen.isIpv6());
        assertEquals("fd89:0:0:1::/64", chosen.subnet6());
        assertFalse(((io.netns.BridgeMode) NetnsExtension.toMode(mode(0), null, null)).isIpv6(), "IPv4 only by default");
        String[] expected = {null, null, "@Mode(ipv6, subnet6) of parameter '?' need Kind.BRIDGE",
            "@Mode(ipv6, subnet6) of parameter '?' need Kind.BRIDGE", "fe80::/64 overlaps the link-local range"};
        for (int i = 0; i < expected.length; i++) {
            if (expected[i] == null) {
                continue;
            }
            int at = i;
            ExtensionConfigurationException e = assertThrows(ExtensionConfigurationException.class,
                    () -> NetnsExtension.toMode(v6mode(at), null, new NetnsExtension.Lab()), "parameter " + i);
            assertTrue(e.getMessage().contains(expected[i]), e.getMessage());
        }
    }
}
