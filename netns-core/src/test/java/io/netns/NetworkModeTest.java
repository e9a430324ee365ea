package io.netns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class NetworkModeTest {
    @Test
    void hostAndNoneAreConstantsAndFluentCallsReturnNewValues() {
        assertSame(NetworkMode.none(), NetworkMode.none());
        assertSame(NetworkMode.host(), NetworkMode.host());
        HostMode exposed = NetworkMode.host().expose(new InetSocketAddress("10.20.30.100", 80));
        assertTrue(NetworkMode.host().exposures().isEmpty(), "host() itself is unchanged");
        assertEquals(List.of(new Exposure(Protocol.TCP, new InetSocketAddress("10.20.30.100", 80))), exposed.exposures());
        assertEquals("host", exposed.kind());
        assertEquals("tcp 10.20.30.100:80", exposed.exposures().get(0).toString());
    }

    @Test
    void bridgeDefaultsAreDocumentedAndImmutable() {
        BridgeMode b = NetworkMode.bridge();
        assertEquals(BridgeMode.DEFAULT_NAME, b.name());
        assertNull(b.subnet());
        assertEquals(1500, b.mtu());
        BridgeMode c = b.name("nsbr1").subnet("10.89.9.0/28").ip("10.89.9.5").mtu(1400).publish(8080, 80)
                .publish("10.20.30.100", 8081, 81).publish(Protocol.UDP, 5353, 53);
        assertEquals("netns0", b.name(), "the original is unchanged");
        assertEquals("nsbr1", c.name());
        assertEquals("10.89.9.0/28", c.subnet());
        assertEquals("10.89.9.5", c.ip().getHostAddress());
        assertEquals(1400, c.mtu());
        assertEquals(3, c.published().size());
        assertEquals("tcp *:8080->80", c.published().get(0).toString());
        assertEquals("tcp 10.20.30.100:8081->81", c.published().get(1).toString());
        assertEquals("udp *:5353->53", c.published().get(2).toString());
        assertEquals(c, b.name("nsbr1").subnet("10.89.9.0/28").ip("10.89.9.5").mtu(1400).publish(8080, 80)
                .publish("10.20.30.100", 8081, 81).publish(Protocol.UDP, 5353, 53));
        assertNotEquals(b, c);
    }

    @Test
    void bridgePublishTakesDockersSyntax() throws Exception {
        BridgeMode b = NetworkMode.bridge().publish("8080:80").publish("127.0.0.1:5353:53/udp").publish("[::1]:8443:443")
                .publish("8100-8199:8000-8099").publish("9000-9010:80").publish("127.0.0.1::81").publish("7000-7001");
        assertEquals(List.of("tcp *:8080->80", "udp 127.0.0.1:5353->53", "tcp [::1]:8443->443",
                "tcp *:8100-8199->8000-8099", "tcp *:9000-9010->80", "tcp 127.0.0.1:0->81", "tcp *:0->7000",
                "tcp *:0->7001"), b.published().stream().map(PublishedPort::toString).toList(),
                "in order; a free-port range as one port per container port");
        assertEquals(NetworkMode.bridge().publish(8080, 80).publish(Protocol.UDP, "127.0.0.1", 5353, 53),
                NetworkMode.bridge().publish("8080:80").publish("127.0.0.1:5353:53/udp"), "the same as the int forms");
        assertEquals(NetworkMode.bridge().publish(0, 80), NetworkMode.bridge().publish("80"));
        assertMessage("publish spec \"9000-9010:80-85\": invalid ranges specified for container and host ports",
                () -> NetworkMode.bridge().publish("9000-9010:80-85"));
        assertMessage("publish spec \"80/sctp\": protocol sctp is not supported",
                () -> NetworkMode.bridge().publish("80/sctp"));
        assertMessage("host port tcp 8050 is published twice",
                () -> NetworkMode.bridge().publish("8000-8099:8000-8099").publish("8050:80"));
        assertMessage("publish spec must not be null", () -> NetworkMode.bridge().publish((String) null));
        BridgeMode base = NetworkMode.bridge().publish("8080:80");
        assertThrows(IllegalArgumentException.class, () -> base.publish("8080:81"));
        assertEquals(1, base.published().size(), "a refused publish leaves the mode as it was");
    }

    @Test
    void badValuesFailAtTheCallNamingTheValueAndTheRule() {
        assertMessage("prefix must be 0..32", () -> NetworkMode.bridge().subnet("10.0.0.0/33"));
        assertMessage("at most /30", () -> NetworkMode.bridge().subnet("10.0.0.0/31"));
        assertMessage("must be a CIDR", () -> NetworkMode.bridge().subnet("10.0.0.0"));
        assertMessage("host bits set", () -> NetworkMode.bridge().subnet("10.0.0.5/24"));
        assertMessage("IPv4 or IPv6 literal", () -> NetworkMode.bridge().subnet("example.com/24"));
        assertMessage("mtu must be 68..65535: 20", () -> NetworkMode.bridge().mtu(20));
        // special-purpose ranges and huge prefixes (issue 13, item 4), each named
        assertMessage("at least /8: 0.0.0.0/0", () -> NetworkMode.bridge().subnet("0.0.0.0/0"));
        assertMessage("at least /8: 8.0.0.0/7", () -> NetworkMode.bridge().subnet("8.0.0.0/7"));
        assertMessage("127.0.0.0/8 overlaps the loopback range", () -> NetworkMode.bridge().subnet("127.0.0.0/8"));
        assertMessage("127.1.0.0/24 overlaps the loopback range", () -> NetworkMode.bridge().subnet("127.1.0.0/24"));
        assertMessage("224.0.0.0/24 overlaps the multicast range", () -> NetworkMode.bridge().subnet("224.0.0.0/24"));
        assertMessage("169.254.3.0/24 overlaps the link-local range", () -> NetworkMode.bridge().subnet("169.254.3.0/24"));
        assertMessage("0.0.0.0/8 overlaps the unspecified", () -> NetworkMode.bridge().subnet("0.0.0.0/8"));
        assertMessage("240.1.0.0/16 overlaps the reserved class E", () -> NetworkMode.bridge().subnet("240.1.0.0/16"));
        assertMessage("255.255.255.252/30 overlaps the limited broadcast", () -> NetworkMode.bridge().subnet("255.255.255.252/30"));
        assertEquals("10.0.0.0/8", NetworkMode.bridge().subnet("10.0.0.0/8").subnet());
        assertEquals("126.255.255.252/30", NetworkMode.bridge().subnet("126.255.255.252/30").subnet());
        assertEquals("tcp *:0->80", NetworkMode.bridge().publish(0, 80).published().get(0).toString(),
                "host port 0: any free port, as -p 0:80");
        assertMessage("hostPort must be 1..65535, or 0 for any free port: -1", () -> NetworkMode.bridge().publish(-1, 80));
        assertMessage("hostPort must be 1..65535, or 0 for any free port: 65536",
                () -> NetworkMode.bridge().publish(65536, 80));
        assertMessage("containerPort must be 1..65535: 0", () -> NetworkMode.bridge().publish(8080, 0));
        assertMessage("containerPort must be 1..65535: 70000", () -> NetworkMode.bridge().publish(80, 70000));
        assertMessage("published twice", () -> NetworkMode.bridge().publish(8080, 80).publish(8080, 81));
        assertMessage("not in subnet", () -> NetworkMode.bridge().subnet("10.89.9.0/28").ip("10.89.10.5"));
        assertMessage("at most 15 characters", () -> NetworkMode.bridge().name("a-very-long-bridge"));
        assertMessage("exposed port must be 1..65535: 0", () -> NetworkMode.host().expose(new InetSocketAddress("10.0.0.1", 0)));
        assertMessage("must be positive: -3", () -> NetworkMode.container(-3));
        assertMessage("must not be empty", () -> NetworkMode.container(""));
    }

    @Test
    void connectToIsValidatedAndAddsUp() {
        BridgeMode b = NetworkMode.bridge().name("b").connectTo("a").connectTo("c").connectTo("a");
        assertEquals(java.util.List.of("a", "c"), java.util.List.copyOf(b.connectedTo()));
        assertEquals(java.util.Set.of(), NetworkMode.bridge().connectedTo());
        assertTrue(b.toString().endsWith("connectTo [a, c]"), b.toString());
        assertEquals(b, NetworkMode.bridge().name("b").connectTo("a").connectTo("c"));
        assertMessage("cannot be connected to itself", () -> NetworkMode.bridge().name("b").connectTo("b"));
        assertMessage("cannot be connected to itself", () -> NetworkMode.bridge().connectTo(BridgeMode.DEFAULT_NAME));
        assertMessage("cannot be connected to itself", () -> NetworkMode.bridge().connectTo("a").name("a"));
        assertMessage("at most 15 characters", () -> NetworkMode.bridge().connectTo("a-very-long-bridge"));
        assertMessage("connectTo network", () -> NetworkMode.bridge().connectTo("a b"));
        assertMessage("must not be null", () -> NetworkMode.bridge().connectTo(null));
    }

    @Test
    void containerModesNameWhatTheyJoin() {
        assertEquals("container:web1", NetworkMode.container("web1").toString());
        assertEquals("container:pid=42", NetworkMode.container(42).toString());
        assertEquals("container:/run/netns/x", NetworkMode.container(Path.of("/run/netns/x")).toString());
        assertEquals(NetworkMode.container("web1"), NetworkMode.container("web1"));
    }

    @Test
    void everyModeSetsItselfUp() {
        // Dispatch is a virtual call on ModeSetup: a mode added to permits without it would not compile
        // into SandboxSetup's world, and this says so by name.
        for (Class<?> mode : NetworkMode.class.getPermittedSubclasses()) {
            org.junit.jupiter.api.Assertions.assertTrue(ModeSetup.class.isAssignableFrom(mode),
                    mode.getSimpleName() + " must extend ModeSetup");
        }
    }

    private static void assertMessage(String part, org.junit.jupiter.api.function.Executable call) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        assertTrue(e.getMessage().contains(part), "expected '" + part + "' in: " + e.getMessage());
    }
}
