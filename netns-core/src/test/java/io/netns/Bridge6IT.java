package io.netns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netns.internal.StateDir;
import io.netns.testing.Cmd;
import io.netns.testing.Ip;
import io.netns.testing.Json;
import io.netns.testing.Kernel;
import io.netns.testing.TestLab;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Dual-stack bridge networks (issue 17, items 1 and 5) on a lab host, checked with {@code ip -j}, ping and
 * real TCP over IPv6, and the lease files.
 */
class Bridge6IT {
    @RegisterExtension
    final TestLab testLab = new TestLab("brsix");

    private final String p = testLab.prefix();
    private Host lab;

    @BeforeEach
    void makeLab() throws NetnsException {
        lab = testLab.host();
    }

    /** The global IPv6 address entries of {@code dev} in {@code ns}, as {@code ip -j addr} reports them. */
    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> globalV6(String ns, String dev) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (Map<String, Object> link : Json.objects(Ip.in(ns, "-j", "-6", "addr", "show", "dev", dev))) {
            for (Map<String, Object> a : (List<Map<String, Object>>) link.getOrDefault("addr_info", List.of())) {
                if ("global".equals(a.get("scope"))) {
                    out.add(a);
                }
            }
        }
        return out;
    }

    /** Fails unless {@code dev} has exactly {@code cidr} as its global IPv6 address, usable: not tentative, not dadfailed. */
    static void assertUsableV6(String ns, String dev, String cidr) {
        List<Map<String, Object>> v6 = globalV6(ns, dev);
        assertEquals(1, v6.size(), "one global IPv6 address on " + dev + " in " + ns + ": " + v6);
        Map<String, Object> a = v6.get(0);
        assertEquals(cidr, a.get("local") + "/" + a.get("prefixlen"));
        assertNull(a.get("tentative"), "not tentative right after create: " + a);
        assertNull(a.get("dadfailed"), "no failed DAD: " + a);
        assertEquals(Boolean.TRUE, a.get("nodad"), "made without DAD: " + a);
    }

    @Test
    void dualStackSandboxesAreUsableAtOnceOverIpv6() throws Exception {
        String subnet6 = BridgeMode.defaultSubnet6("netns0");
        String prefix = subnet6.substring(0, subnet6.indexOf("::/64"));
        String gw6 = prefix + "::1";
        String ipA = prefix + "::2";
        String ipB = prefix + "::3";
        try (Sandbox a = lab.create(p + "a", NetworkMode.bridge().ipv6());
                Sandbox b = lab.create(p + "b", NetworkMode.bridge().ipv6())) {
            // At once after create, with nothing awaited: a socket bound to each v6 address (bind fails with
            // EADDRNOTAVAIL while an address is tentative), and TCP both ways between them and the gateway.
            InetAddress v6A = InetAddress.getByName(ipA);
            InetAddress v6B = InetAddress.getByName(ipB);
            InetAddress v6Gw = InetAddress.getByName(gw6);
            try (ServerSocket sb = b.call(() -> new ServerSocket(7000, 5, v6B));
                    ServerSocket sa = a.call(() -> new ServerSocket(7000, 5, v6A));
                    ServerSocket sh = lab.namespace().call(() -> new ServerSocket(7001, 5, v6Gw))) {
                a.run(() -> connect(v6B, 7000, sb));
                b.run(() -> connect(v6A, 7000, sa));
                a.run(() -> connect(v6Gw, 7001, sh));
                lab.namespace().run(() -> connect(v6A, 7000, sa));
            }
            // The kernel's view: both families on eth0, the v6 one usable (not tentative), the gateway too.
            assertEquals(List.of("10.89.0.2/24", ipA + "/64"), Kernel.addresses(p + "a", "eth0"));
            assertEquals(List.of("10.89.0.3/24", ipB + "/64"), Kernel.addresses(p + "b", "eth0"));
            assertUsableV6(p + "a", "eth0", ipA + "/64");
            assertUsableV6(p + "b", "eth0", ipB + "/64");
            assertUsableV6(p + "lab", "netns0", gw6 + "/64");
            assertEquals(List.of(InetAddress.getByName("10.89.0.2"), v6A), a.addresses());
            assertEquals(List.of(InetAddress.getByName("10.89.0.3"), v6B), b.addresses());
            // A default route per family via the gateways.
            assertTrue(Cmd.run("ip", "-n", p + "a", "route", "show", "default").contains("default via 10.89.0.1 dev eth0"));
            String route6 = Cmd.run("ip", "-n", p + "a", "-6", "route", "show", "default");
            assertTrue(route6.contains("default via " + gw6 + " dev eth0"), route6);
            assertEquals("1", Cmd.run("ip", "netns", "exec", p + "lab", "cat",
                    "/proc/sys/net/ipv6/conf/all/forwarding").trim());
            // ICMPv6 echo: sandbox -> gateway, sandbox -> sandbox.
            Cmd.run("ip", "netns", "exec", p + "a", "ping", "-6", "-c", "1", "-W", "3", gw6);
            Cmd.run("ip", "netns", "exec", p + "a", "ping", "-6", "-c", "1", "-W", "3", ipB);
            Cmd.run("ip", "netns", "exec", p + "b", "ping", "-6", "-c", "1", "-W", "3", ipA);
            // One lease per family and sandbox, in the one store.
            Path leases = StateDir.path("ipam", lab.id(), "netns0");
            assertEquals(a.name(), Files.readString(leases.resolve(ipA)));
            assertEquals(b.name(), Files.readString(leases.resolve(ipB)));
            assertEquals(a.name(), Files.readString(leases.resolve("10.89.0.2")));
        }
        // Closed: no lease of either family, and the v6 state left with the namespaces.
        try (Stream<Path> left = Files.list(StateDir.path("ipam", lab.id(), "netns0"))) {
            assertEquals(List.of(), left.toList());
        }
        assertTrue(lab.leftovers().items(Leftovers.Kind.LEASE).isEmpty(), lab.leftovers().toString());
        // The same addresses go to the next sandboxes (the released leases are free again).
        try (Sandbox c = lab.create(p + "c", NetworkMode.bridge().ipv6())) {
            assertTrue(c.addresses().stream().anyMatch(x -> x instanceof Inet6Address), c.addresses().toString());
            assertUsableV6(p + "c", "eth0", io.netns.internal.Inet.toText(c.addresses().get(1)) + "/64");
        }
    }

    private static void connect(InetAddress ip, int port, ServerSocket server) throws Exception {
        try (Socket c = new Socket()) {
            c.connect(new InetSocketAddress(ip, port), 3000);
            try (Socket accepted = server.accept()) {
                assertEquals(c.getLocalAddress(), accepted.getInetAddress());
            }
        }
    }

    @Test
    void aChosenSubnet6IsUsedAndANetworkKeepsItsFamilies() throws Exception {
        try (Sandbox a = lab.create(p + "s1", NetworkMode.bridge().name("nsv6a").subnet("10.89.31.0/24")
                .subnet6("fd89:0:0:1::/64"))) {
            assertEquals(List.of("10.89.31.2/24", "fd89:0:0:1::2/64"), Kernel.addresses(p + "s1", "eth0"));
            assertUsableV6(p + "lab", "nsv6a", "fd89:0:0:1::1/64");
            // another subnet6 for the same network: refused, nothing of it made
            IllegalArgumentException other = assertThrows(IllegalArgumentException.class,
                    () -> lab.create(p + "s2", NetworkMode.bridge().name("nsv6a").subnet6("fd89:0:0:2::/64")));
            assertTrue(other.getMessage().contains("fd89:0:0:1::/64") && other.getMessage().contains("fd89:0:0:2::/64"),
                    other.getMessage());
            // a mode without ipv6() joins the dual-stack network as it is: both families
            try (Sandbox plain = lab.create(p + "s3", NetworkMode.bridge().name("nsv6a"))) {
                assertEquals(List.of("10.89.31.3/24", "fd89:0:0:1::3/64"), Kernel.addresses(p + "s3", "eth0"));
            }
            // an IPv4-only network asked for IPv6 later: refused, naming both
            try (Sandbox v4 = lab.create(p + "s4", NetworkMode.bridge().name("nsv4").subnet("10.89.32.0/24"))) {
                assertEquals(List.of("10.89.32.2/24"), Kernel.addresses(p + "s4", "eth0"));
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                        () -> lab.create(p + "s5", NetworkMode.bridge().name("nsv4").ipv6()));
                assertTrue(e.getMessage().contains("without IPv6") && e.getMessage().contains("nsv4"), e.getMessage());
                assertTrue(globalV6(p + "lab", "nsv4").isEmpty(), "the IPv4 network got no IPv6 address");
            }
            assertFalse(Cmd.run("ip", "netns", "list").contains(p + "s2"));
            assertFalse(Cmd.run("ip", "netns", "list").contains(p + "s5"));
        }
    }

    @Test
    void aSubnet6OverlappingTheHostIsRefusedAndTheDefaultMovesAside() throws Exception {
        // The lab host has an IPv6 address in fd89:0:0:7::/64 and a route to fd89:0:0:8::/64 (a veth pair of ours).
        Cmd.run("ip", "-n", p + "lab", "link", "add", "ext0", "type", "veth", "peer", "name", "ext1");
        Cmd.run("ip", "-n", p + "lab", "link", "set", "ext0", "up");
        Cmd.run("ip", "-n", p + "lab", "addr", "add", "fd89:0:0:7::1/64", "dev", "ext0", "nodad");
        Cmd.run("ip", "-n", p + "lab", "-6", "route", "add", "fd89:0:0:8::/64", "via", "fd89:0:0:7::9", "dev", "ext0");
        NetnsException addr = assertThrows(NetnsException.class,
                () -> lab.create(p + "o1", NetworkMode.bridge().name("nso1").subnet("10.89.41.0/24").subnet6("fd89:0:0:7::/64")));
        assertTrue(addr.getMessage().contains("fd89:0:0:7::1/64") && addr.getMessage().contains("ext0"), addr.getMessage());
        NetnsException route = assertThrows(NetnsException.class,
                () -> lab.create(p + "o2", NetworkMode.bridge().name("nso2").subnet("10.89.42.0/24").subnet6("fd89:0:0:8::/80")));
        assertTrue(route.getMessage().contains("route fd89:0:0:8::/64"), route.getMessage());
        // another dual-stack network of the host has it: refused naming that network's bridge
        try (Sandbox first = lab.create(p + "o4", NetworkMode.bridge().name("nso4").subnet("10.89.44.0/24")
                .subnet6("fd89:0:0:44::/64"))) {
            NetnsException other = assertThrows(NetnsException.class, () -> lab.create(p + "o5",
                    NetworkMode.bridge().name("nso5").subnet("10.89.45.0/24").subnet6("fd89:0:0:44::/64")));
            assertTrue(other.getMessage().contains("fd89:0:0:44::1/64 of bridge nso4 (a bridge network of the host)"),
                    other.getMessage());
        }
        for (String br : List.of("nso1", "nso2", "nso5")) {
            assertTrue(Cmd.run("ip", "-n", p + "lab", "-o", "link").lines().noneMatch(l -> l.contains(" " + br + ":")),
                    "no bridge " + br + " made");
        }
        // The host uses the default subnet of network nsdf: the next subnet ID of the name's /48 is taken.
        String taken = BridgeMode.defaultSubnet6("nsdf");
        String base = taken.substring(0, taken.indexOf("::/64"));
        Cmd.run("ip", "-n", p + "lab", "addr", "add", base + "::99/64", "dev", "ext0", "nodad");
        try (Sandbox d = lab.create(p + "o3", NetworkMode.bridge().name("nsdf").subnet("10.89.43.0/24").ipv6())) {
            List<String> v6 = Kernel.addresses(p + "o3", "eth0").stream().filter(x -> x.contains(":")).toList();
            assertEquals(1, v6.size(), v6.toString());
            assertNotEquals(base + "::2/64", v6.get(0));
            assertEquals(base + ":1::2/64", v6.get(0), "subnet ID 1 of the name's /48");
        }
    }

    @Test
    void twoDualStackNetworksGetDifferentDefaultSubnets() throws Exception {
        try (Sandbox a = lab.create(p + "n1", NetworkMode.bridge().name("nsna").subnet("10.89.51.0/24").ipv6());
                Sandbox b = lab.create(p + "n2", NetworkMode.bridge().name("nsnb").subnet("10.89.52.0/24").ipv6())) {
            assertNotEquals(BridgeMode.defaultSubnet6("nsna"), BridgeMode.defaultSubnet6("nsnb"));
            assertUsableV6(p + "lab", "nsna", BridgeMode.defaultSubnet6("nsna").replace("::/64", "::1/64"));
            assertUsableV6(p + "lab", "nsnb", BridgeMode.defaultSubnet6("nsnb").replace("::/64", "::1/64"));
            assertEquals(2, a.addresses().size());
            assertEquals(2, b.addresses().size());
        }
    }
}
