package io.netns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netns.internal.cni.Json;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** NetworkMode.cni's values: defaults, immutability, capability arguments and every refusal. */
class CniModeTest {
    @Test
    void defaultsAndImmutability() {
        CniMode m = NetworkMode.cni("mynet");
        assertEquals("cni", m.kind());
        assertEquals(Path.of("/etc/cni/net.d"), m.confDir());
        assertEquals(List.of(Path.of("/opt/cni/bin"), Path.of("/usr/lib/cni")), m.pluginDirs());
        assertEquals("eth0", m.ifName());
        assertEquals(Duration.ofSeconds(60), m.timeout());
        assertEquals(Map.of(), m.capabilityArgs());
        CniMode n = m.confDir(Path.of("/srv")).pluginDirs(Path.of("/a"), Path.of("/b")).ifName("net1");
        assertEquals(Path.of("/etc/cni/net.d"), m.confDir(), "the original is unchanged");
        assertEquals(List.of(Path.of("/a"), Path.of("/b")), n.pluginDirs());
        assertNotEquals(m, n);
        assertEquals(m, NetworkMode.cni("mynet"));
        assertEquals("cni mynet ifname net1", n.toString());
        assertEquals(Path.of("/x/a.conflist"), NetworkMode.cni(Path.of("/x/a.conflist")).file());
    }

    @Test
    void capabilityArgumentsFollowTheConventions() {
        CniMode m = NetworkMode.cni("n").publish(8080, 80).publish(Protocol.UDP, "10.0.0.1", 5353, 53)
                .ip("10.22.0.9/24").mac("C2:11:22:33:44:55").bandwidth(1000, 100, 2000, 200)
                .dns(List.of("10.0.0.53"), List.of("example.org"), List.of("ndots:2"))
                .capability("aliases", "[\"db\"]").args("IgnoreUnknown", "1").args("IP", "10.22.0.9");
        assertEquals("{\"portMappings\":[{\"hostPort\":8080,\"containerPort\":80,\"protocol\":\"tcp\"},"
                + "{\"hostPort\":5353,\"containerPort\":53,\"protocol\":\"udp\",\"hostIP\":\"10.0.0.1\"}],"
                + "\"ips\":[\"10.22.0.9/24\"],\"mac\":\"c2:11:22:33:44:55\","
                + "\"bandwidth\":{\"ingressRate\":1000,\"ingressBurst\":100,\"egressRate\":2000,\"egressBurst\":200},"
                + "\"dns\":{\"servers\":[\"10.0.0.53\"],\"searches\":[\"example.org\"],\"options\":[\"ndots:2\"]},"
                + "\"aliases\":[\"db\"]}", Json.write(m.capabilityArgs()));
        assertEquals(List.of("IgnoreUnknown", "IP"), List.copyOf(m.args().keySet()), "CNI_ARGS keep their order");
        assertEquals(m.published(), NetworkMode.bridge().publish(8080, 80).publish(Protocol.UDP, "10.0.0.1", 5353, 53).published(),
                "publish gives the same values as bridge mode");
    }

    @Test
    void publishTakesDockersSyntaxAndARangeIsOneMappingPerPort() {
        CniMode m = NetworkMode.cni("n").publish("127.0.0.1:5353:53/udp").publish("8000-8002:9000-9002");
        assertEquals("{\"portMappings\":[{\"hostPort\":5353,\"containerPort\":53,\"protocol\":\"udp\",\"hostIP\":\"127.0.0.1\"},"
                + "{\"hostPort\":8000,\"containerPort\":9000,\"protocol\":\"tcp\"},"
                + "{\"hostPort\":8001,\"containerPort\":9001,\"protocol\":\"tcp\"},"
                + "{\"hostPort\":8002,\"containerPort\":9002,\"protocol\":\"tcp\"}]}", Json.write(m.capabilityArgs()));
        assertEquals(2, m.published().size(), "the range stays one published port");
        refuses("cni cannot publish tcp *:9000-9010->80: CNI portMappings name one host port each, and the portmap "
                + "plugin cannot choose a free one", () -> NetworkMode.cni("n").publish("9000-9010:80"));
        refuses("cni cannot publish tcp *:0->80", () -> NetworkMode.cni("n").publish("80"));
        refuses("cni cannot publish tcp 127.0.0.1:0->80", () -> NetworkMode.cni("n").publish("127.0.0.1::80"));
        refuses("publish spec \"9000-9010:80-85\": invalid ranges", () -> NetworkMode.cni("n").publish("9000-9010:80-85"));
        refuses("is published twice", () -> NetworkMode.cni("n").publish("8000-8002:9000-9002").publish("8002:80"));
    }

    @Test
    void badValuesAreRefusedNamingValueAndRule() {
        refuses("cni network name must start with a letter or digit", () -> NetworkMode.cni("-x"));
        refuses("\"a/b\"", () -> NetworkMode.cni("a/b"));
        refuses("must not be null", () -> NetworkMode.cni((String) null));
        refuses("cni ifName must be 1 to 15 characters", () -> NetworkMode.cni("n").ifName("a-very-long-ifname"));
        refuses("\"a/b\"", () -> NetworkMode.cni("n").ifName("a/b"));
        refuses("cni args key", () -> NetworkMode.cni("n").args("a;b", "1"));
        refuses("must not contain ';'", () -> NetworkMode.cni("n").args("K", "1;X=2"));
        refuses("cni mac must be six hex pairs", () -> NetworkMode.cni("n").mac("c2:11:22"));
        refuses("cni ip prefix length must be 0..32: 10.0.0.1/33", () -> NetworkMode.cni("n").ip("10.0.0.1/33"));
        refuses("cni ip", () -> NetworkMode.cni("n").ip("10.0.0.300"));
        refuses("cni bandwidth ingressRate must be positive: 0", () -> NetworkMode.cni("n").bandwidth(0, 1, 1, 1));
        refuses("cni timeout must be positive", () -> NetworkMode.cni("n").timeout(Duration.ZERO));
        refuses("must not contain ':'", () -> NetworkMode.cni("n").pluginDirs(Path.of("/a:b")));
        refuses("at least one directory", () -> NetworkMode.cni("n").pluginDirs(new Path[0]));
        refuses("is published twice", () -> NetworkMode.cni("n").publish(8080, 80).publish(8080, 81));
        refuses("cni cannot publish tcp *:0->80: CNI portMappings name one host port each", () -> NetworkMode.cni("n").publish(0, 80));
        refuses("has its own method", () -> NetworkMode.cni("n").capability("portMappings", "[]"));
        refuses("cni capability aliases must be JSON", () -> NetworkMode.cni("n").capability("aliases", "[db]"));
    }

    private static void refuses(String text, Runnable r) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, r::run);
        assertTrue(e.getMessage().contains(text), e.getMessage());
    }
}
