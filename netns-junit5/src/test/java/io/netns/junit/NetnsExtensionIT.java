package io.netns.junit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netns.Host;
import io.netns.NetNamespace;
import io.netns.Sandbox;
import io.netns.testing.Cmd;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The parameters a test author gets, checked with {@code ip}, /proc and real TCP. */
@NetnsTest
class NetnsExtensionIT {
    static String ip(String... args) throws Exception {
        String[] argv = new String[args.length + 1];
        argv[0] = "ip";
        System.arraycopy(args, 0, argv, 1, args.length);
        Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), String.join(" ", argv) + ": " + out);
        return out;
    }

    @Test
    void hostIsAFreshLabWithLoopbackUp(Host lab) throws Exception {
        assertTrue(lab.id().startsWith("nt" + ProcessHandle.current().pid() + "-"), lab.id());
        assertTrue(Files.exists(Path.of("/run/netns", lab.id())));
        String links = ip("-n", lab.id(), "-o", "link");
        assertTrue(links.contains("lo:") && links.contains("UP"), links);
        assertEquals(1, links.strip().split("\n").length, "only lo in a fresh lab: " + links);
        assertNotEquals(Files.readSymbolicLink(Path.of("/proc/self/ns/net")).toString(),
                "net:[" + lab.namespace().inode() + "]", "the lab is not this process's namespace");
    }

    @Test
    void namespaceAndSandboxesAreDistinctStacks(Host lab, NetNamespace ns, Sandbox none,
            @Mode(Mode.Kind.HOST) Sandbox shared) throws Exception {
        String list = ip("netns", "list");
        assertTrue(list.contains(ns.name()) && list.contains(none.name()), list);
        assertEquals(lab.namespace().inode(), shared.namespace().inode(), "host mode shares the lab's stack");
        assertNotEquals(lab.namespace().inode(), none.namespace().inode());
        assertNotEquals(ns.inode(), none.namespace().inode());
        String inside = none.call(() -> Files.readSymbolicLink(Path.of("/proc/thread-self/ns/net")).toString());
        assertEquals("net:[" + none.namespace().inode() + "]", inside);
    }

    @Test
    void bridgeSandboxWithAPublishedPortAnswersThroughTheLab(Host lab,
            @Mode(value = Mode.Kind.BRIDGE, publish = "18080:80") Sandbox web) throws Exception {
        assertTrue(ip("-n", web.name(), "-o", "addr").contains(web.addresses().get(0).getHostAddress()));
        try (ServerSocket server = web.call(() -> new ServerSocket(80))) {
            CompletableFuture<Void> served = CompletableFuture.runAsync(() -> {
                try (Socket s = server.accept(); OutputStream out = s.getOutputStream()) {
                    out.write("hi from the sandbox\n".getBytes(StandardCharsets.UTF_8));
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
            String got = lab.namespace().call(() -> {
                try (Socket s = new Socket()) {
                    // 10.89.0.1: the lab's own address on the bridge; DNAT of the host's own traffic
                    s.connect(new InetSocketAddress(InetAddress.getByName("10.89.0.1"), 18080), 3000);
                    s.setSoTimeout(3000);
                    try (InputStream in = s.getInputStream()) {
                        return new String(in.readAllBytes(), StandardCharsets.UTF_8);
                    }
                }
            });
            served.get(5, TimeUnit.SECONDS);
            assertEquals("hi from the sandbox\n", got);
        }
        Cmd.Result nft = Cmd.finish("nft list table ip netns",
                lab.namespace().call(() -> new ProcessBuilder("nft", "list", "table", "ip", "netns").start()));
        assertEquals(0, nft.exit(), nft.error());
        String rules = nft.output();
        assertTrue(rules.contains("netns:" + lab.id() + "/sandbox/" + web.name()), rules);
    }

    @Test
    void publishTakesDockersTextAndTheSandboxSaysWhatWasPublished(Host lab,
            @Mode(value = Mode.Kind.BRIDGE, publish = {"127.0.0.1:18083:80", "18084:81/udp"}) Sandbox web)
            throws Exception {
        assertEquals("[tcp 127.0.0.1:18083->80, udp *:18084->81]", web.published().toString());
        try (ServerSocket server = web.call(() -> new ServerSocket(80));
                DatagramSocket udp = web.call(() -> new DatagramSocket(81))) {
            CompletableFuture<Void> served = CompletableFuture.runAsync(() -> {
                try {
                    try (Socket s = server.accept(); OutputStream out = s.getOutputStream()) {
                        out.write("tcp\n".getBytes(StandardCharsets.UTF_8));
                    }
                    DatagramPacket in = new DatagramPacket(new byte[64], 64);
                    udp.receive(in);
                    udp.send(new DatagramPacket("udp".getBytes(StandardCharsets.UTF_8), 3, in.getSocketAddress()));
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
            String got = lab.namespace().call(() -> {
                String text;
                try (Socket s = new Socket()) {
                    s.connect(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 18083), 3000);
                    s.setSoTimeout(3000);
                    text = new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                }
                try (DatagramSocket c = new DatagramSocket()) {
                    c.setSoTimeout(3000);
                    c.send(new DatagramPacket(new byte[] {1}, 1, new InetSocketAddress(InetAddress.getByName("10.89.0.1"), 18084)));
                    DatagramPacket in = new DatagramPacket(new byte[64], 64);
                    c.receive(in);
                    return text + new String(in.getData(), 0, in.getLength(), StandardCharsets.UTF_8);
                }
            });
            served.get(5, TimeUnit.SECONDS);
            assertEquals("tcp\nudp", got, "tcp through 127.0.0.1:18083, udp through the lab's bridge address :18084");
        }
    }

    @Test
    void modeIpv6GivesDualStackSandboxesUsableAtOnce(@Mode(value = Mode.Kind.BRIDGE, ipv6 = true) Sandbox a,
            @Mode(Mode.Kind.BRIDGE) Sandbox b) throws Exception {
        // b asks nothing of IPv6 and joins the lab's network as a made it: dual-stack
        assertEquals(2, a.addresses().size(), a.addresses().toString());
        assertEquals(2, b.addresses().size(), b.addresses().toString());
        InetAddress v6A = a.addresses().get(1);
        InetAddress v6B = b.addresses().get(1);
        assertTrue(v6A instanceof java.net.Inet6Address && v6B instanceof java.net.Inet6Address);
        // the kernel's word: global, not tentative
        String addr = ip("-n", a.name(), "-6", "-o", "addr", "show", "dev", "eth0", "scope", "global");
        assertTrue(addr.contains(io.netns.internal.Inet.toText(v6A) + "/64") && !addr.contains("tentative"), addr);
        // TCP over IPv6 from b to a, right after create
        try (ServerSocket server = a.call(() -> new ServerSocket(9000, 1, v6A))) {
            int clientPort = b.call(() -> {
                try (Socket s = new Socket()) {
                    s.connect(new InetSocketAddress(v6A, 9000), 3000);
                    return s.getLocalPort();
                }
            });
            try (Socket accepted = server.accept()) {
                assertEquals(clientPort, accepted.getPort());
                assertEquals(v6B, accepted.getInetAddress());
            }
        }
    }

    @Test
    void modeIpv6WithPublishedTextAnswersInBothFamiliesThroughTheLab(Host lab,
            @Mode(value = Mode.Kind.BRIDGE, ipv6 = true, publish = {"18090:80", "18100-18110:80"}) Sandbox web)
            throws Exception {
        java.util.List<io.netns.PublishedPort> published = web.published();
        assertEquals(2, published.size(), published.toString());
        int chosen = published.get(1).hostPort();
        assertTrue(chosen >= 18100 && chosen <= 18110 && !published.get(1).choosesHostPort(), published.toString());
        InetAddress v6 = web.addresses().get(1);
        byte[] gw = v6.getAddress();
        gw[15] = 1; // the gateway: the subnet's ::1, on the lab's bridge
        InetAddress gateway6 = InetAddress.getByAddress(gw);
        try (ServerSocket server = web.call(() -> {
            ServerSocket ss = new ServerSocket();
            ss.bind(new InetSocketAddress(InetAddress.getByName("::"), 80));
            return ss;
        })) {
            CompletableFuture<Void> served = CompletableFuture.runAsync(() -> {
                for (int i = 0; i < 3; i++) {
                    try (Socket s = server.accept(); OutputStream out = s.getOutputStream()) {
                        out.write("hi\n".getBytes(StandardCharsets.UTF_8));
                    } catch (Exception e) {
                        throw new RuntimeException(e);
                    }
                }
            });
            for (InetSocketAddress to : java.util.List.of(new InetSocketAddress(gateway6, 18090),
                    new InetSocketAddress(InetAddress.getByName("10.89.0.1"), 18090),
                    new InetSocketAddress(gateway6, chosen))) {
                String got = lab.namespace().call(() -> {
                    try (Socket s = new Socket()) {
                        s.connect(to, 3000);
                        s.setSoTimeout(3000);
                        return new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                    }
                });
                assertEquals("hi\n", got, "through " + to);
            }
            served.get(5, TimeUnit.SECONDS);
        }
        Cmd.Result nft = Cmd.finish("nft list table ip6 netns",
                lab.namespace().call(() -> new ProcessBuilder("nft", "list", "table", "ip6", "netns").start()));
        assertEquals(0, nft.exit(), nft.error());
        assertTrue(nft.output().contains("netns:" + lab.id() + "/sandbox/" + web.name()), nft.output());
    }

    @Test
    void containerModeJoinsANamedSandbox(@Mode(value = Mode.Kind.BRIDGE, name = "app") Sandbox app,
            @Mode(value = Mode.Kind.CONTAINER, join = "app") Sandbox side) throws Exception {
        assertTrue(app.name().endsWith("-app"), app.name());
        assertEquals(app.namespace().inode(), side.namespace().inode());
        try (ServerSocket server = app.call(() -> new ServerSocket(9000, 1, InetAddress.getLoopbackAddress()))) {
            // the joiner's 127.0.0.1 is the owner's: its connection is the one the owner accepts
            int clientPort = side.call(() -> {
                try (Socket s = new Socket()) {
                    s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), 9000), 2000);
                    return s.getLocalPort();
                }
            });
            try (Socket accepted = server.accept()) {
                assertEquals(clientPort, accepted.getPort());
            }
        }
    }

    @Test
    void hostModeExposeOpensTheLabsFirewallForTheAddressOnly(Host lab, NetNamespace client,
            @Mode(value = Mode.Kind.HOST, expose = "192.0.2.1:7000", name = "h") Sandbox h) throws Exception {
        Cmd.run("ip", "-n", lab.id(), "link", "add", "vc", "type", "veth", "peer", "name", "eth0", "netns", client.name());
        Cmd.run("ip", "-n", lab.id(), "addr", "add", "192.0.2.1/24", "dev", "vc");
        Cmd.run("ip", "-n", lab.id(), "link", "set", "vc", "up");
        Cmd.run("ip", "-n", client.name(), "addr", "add", "192.0.2.2/24", "dev", "eth0");
        Cmd.run("ip", "-n", client.name(), "link", "set", "eth0", "up");
        Cmd.in(lab.id(), "iptables", "-P", "INPUT", "DROP");
        String save = Cmd.in(lab.id(), "iptables-save");
        assertTrue(save.contains("-A NETNS-INPUT -d 192.0.2.1/32 -p tcp -m tcp --dport 7000 -m comment --comment \"netns:"
                + lab.id() + "/sandbox/" + h.name() + "\" -j ACCEPT"), save);
        InetAddress ip = InetAddress.getByName("192.0.2.1");
        try (ServerSocket open = h.call(() -> new ServerSocket(7000, 5, ip));
                ServerSocket shut = h.call(() -> new ServerSocket(7001, 5, ip))) {
            client.run(() -> {
                try (Socket s = new Socket()) {
                    s.connect(new InetSocketAddress(ip, 7000), 2000);
                }
                try (Socket s = new Socket()) {
                    assertThrows(java.net.SocketTimeoutException.class, () -> s.connect(new InetSocketAddress(ip, 7001), 1000),
                            "7001 is not exposed: the lab's INPUT policy drops it");
                }
            });
        }
    }
}
