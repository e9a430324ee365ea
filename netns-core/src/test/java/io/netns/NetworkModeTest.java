package io.netns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
    void ipv6IsOffByDefaultAndSubnet6ImpliesIt() {
        BridgeMode b = NetworkMode.bridge();
        assertFalse(b.isIpv6());
        assertNull(b.subnet6());
        assertTrue(b.ipv6().isIpv6());
        assertNull(b.ipv6().subnet6(), "ipv6() alone takes the network's subnet, or the default");
        BridgeMode s = b.subnet6("fd89:0:0:1::/64");
        assertTrue(s.isIpv6());
        assertEquals("fd89:0:0:1::/64", s.subnet6());
        assertEquals("fd89:0:0:1::/64", b.subnet6("fd89:0000:0:1:0:0:0:0/64").subnet6(), "printed as ip prints it");
        assertEquals(s, b.ipv6().subnet6("fd89:0:0:1::/64"));
        assertNotEquals(b, b.ipv6());
        assertTrue(s.toString().contains("fd89:0:0:1::/64"), s.toString());
        assertTrue(s.publish(8080, 80).name("x").mtu(1400).connectTo("y").ip("10.89.0.9").isIpv6(), "kept by every setter");
        assertEquals("fd89:0:0:1::/64", s.subnet("10.89.9.0/24").subnet6());
        // global unicast, and the documentation prefix, are fine as well as ULA; /48 and /120 the bounds
        assertEquals("2001:db8:1::/64", b.subnet6("2001:db8:1::/64").subnet6());
        assertEquals("2a01:4f8:1::/48", b.subnet6("2a01:4f8:1::/48").subnet6());
        assertEquals("fd00::100/120", b.subnet6("fd00::100/120").subnet6());
    }

    @Test
    void nat66IsOnByDefaultAndImpliesIpv6() {
        BridgeMode b = NetworkMode.bridge();
        assertTrue(b.nat66(), "a new network masquerades by default");
        assertTrue(b.ipv6().nat66());
        BridgeMode routed = b.nat66(false);
        assertTrue(routed.isIpv6(), "nat66 implies ipv6()");
        assertFalse(routed.nat66());
        assertFalse(routed.subnet6("2001:db8:0:1::/64").name("pub6").publish(8080, 80).nat66(), "kept by other setters");
        assertNotEquals(b.ipv6(), b.ipv6().nat66(true), "asked differs from not asked");
        assertEquals(b.nat66(false), b.ipv6().nat66(false));
        assertEquals(b.nat66(false).hashCode(), b.ipv6().nat66(false).hashCode());
        assertTrue(routed.toString().contains("no-nat66"), routed.toString());
    }

    @Test
    void theDefaultIpv6SubnetIsAUlaSlash64DerivedFromTheNameAlone() {
        String d = BridgeMode.defaultSubnet6("netns0");
        assertTrue(d.matches("fd[0-9a-f]{2}:[0-9a-f]{1,4}:[0-9a-f]{1,4}::/64"), d);
        assertEquals(d, BridgeMode.defaultSubnet6("netns0"), "stable");
        assertNotEquals(d, BridgeMode.defaultSubnet6("netns1"));
        // pinned: the same in every run and JVM (SHA-256 of the name: first five bytes after fd)
        assertEquals("fdea:2f37:f0b7::/64", d);
        assertEquals("fdea:2f37:f0b7:1::/64", Subnets.default6("netns0", 1).toString());
        assertMessage("at most 15 characters", () -> BridgeMode.defaultSubnet6("a-very-long-bridge"));
    }

    @Test
    void badIpv6SubnetsFailAtTheCallNamingTheValueAndTheRule() {
        BridgeMode b = NetworkMode.bridge();
        assertMessage("bridge subnet must be IPv4: fd00::/64; for an IPv6 subnet use subnet6(\"fd00::/64\")",
                () -> b.subnet("fd00::/64"));
        assertMessage("bridge subnet6 must be IPv6: 10.89.0.0/24; for an IPv4 subnet use subnet(",
                () -> b.subnet6("10.89.0.0/24"));
        assertMessage("prefix must be /48 to /120 (a /64 is usual): fd00::/47", () -> b.subnet6("fd00::/47"));
        assertMessage("prefix must be /48 to /120 (a /64 is usual): fd00::/121", () -> b.subnet6("fd00::/121"));
        assertMessage("prefix must be /48 to /120", () -> b.subnet6("fd00::/8"));
        assertMessage("prefix must be 0..128", () -> b.subnet6("fd00::/129"));
        assertMessage("host bits set", () -> b.subnet6("fd00::1/64"));
        assertMessage("must be a CIDR", () -> b.subnet6("fd00::"));
        assertMessage("fe80::/64 overlaps the link-local range fe80::/10", () -> b.subnet6("fe80::/64"));
        assertMessage("ff02::/64 overlaps the multicast range ff00::/8", () -> b.subnet6("ff02::/64"));
        assertMessage("::/120 overlaps the unspecified address", () -> b.subnet6("::/120"));
        assertMessage("::/64 overlaps the unspecified address", () -> b.subnet6("::/64"));
        assertMessage("fec0::/64 overlaps the deprecated site-local range", () -> b.subnet6("fec0::/64"));
        assertMessage("::ffff:a59:0/120 is in the IPv4-mapped range ::ffff:0:0/96", () -> b.subnet6("::ffff:a59:0/120"));
        assertMessage("::ffff:10.89.0.0/120 is in the IPv4-mapped range", () -> b.subnet6("::ffff:10.89.0.0/120"));
        assertMessage("overlaps the deprecated IPv4-compatible range", () -> b.subnet6("::a59:0/112"));
        assertMessage("2002:a59::/64 overlaps the 6to4 range 2002::/16", () -> b.subnet6("2002:a59::/64"));
        assertMessage("2001:0:1::/64 overlaps the Teredo range 2001::/32", () -> b.subnet6("2001:0:1::/64"));
        assertMessage("4000::/64 must be a unique local (fc00::/7) or global unicast (2000::/3) prefix",
                () -> b.subnet6("4000::/64"));
        assertMessage("64:ff9b::/96 must be a unique local", () -> b.subnet6("64:ff9b::/96"));
        assertMessage("100::/64 must be a unique local", () -> b.subnet6("100::/64"));
        assertMessage("IPv4 or IPv6 literal", () -> b.subnet6("example.com/64"));
        assertThrows(NullPointerException.class, () -> b.subnet6(null));
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
