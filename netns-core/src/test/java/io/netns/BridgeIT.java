package io.netns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netns.testing.Cmd;
import io.netns.testing.Json;
import io.netns.testing.Kernel;
import io.netns.testing.TestLab;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Bridge mode on a lab host, checked with ip, real TCP and the lease files. */
class BridgeIT {
    @RegisterExtension
    final TestLab testLab = new TestLab("brit");

    private final String p = testLab.prefix();
    private Host lab;

    @BeforeEach
    void makeLab() throws NetnsException {
        lab = testLab.host();
    }

    @Test
    void twoSandboxesReachEachOtherAndTheHostOverTcp() throws Exception {
        try (Sandbox a = lab.create(p + "a", NetworkMode.bridge());
                Sandbox b = lab.create(p + "b", NetworkMode.bridge())) {
            // The kernel's view (ip -j): eth0 with the address, on the lab's bridge, up, and a default
            // route via the gateway; addresses() must agree with it.
            assertEquals(List.of("10.89.0.2/24"), Kernel.addresses(p + "a", "eth0"));
            assertEquals(List.of("10.89.0.3/24"), Kernel.addresses(p + "b", "eth0"));
            Kernel.assertOnBridge(p + "a", "eth0", p + "lab", "netns0");
            Kernel.assertOnBridge(p + "b", "eth0", p + "lab", "netns0");
            InetAddress ipA = InetAddress.getByName("10.89.0.2");
            InetAddress ipB = InetAddress.getByName("10.89.0.3");
            assertEquals(List.of(ipA), a.addresses());
            assertEquals(List.of(ipB), b.addresses());
            String route = Cmd.run("ip", "-n", p + "a", "route", "show", "default");
            assertTrue(route.contains("default via 10.89.0.1 dev eth0"), route);
            String lo = Cmd.run("ip", "-n", p + "a", "-o", "link", "show", "lo");
            assertTrue(lo.contains("UP"), lo);
            String bridge = Cmd.run("ip", "-n", p + "lab", "-o", "-4", "addr", "show", "dev", "netns0");
            assertTrue(bridge.contains("inet 10.89.0.1/24"), bridge);
            assertEquals("1", Cmd.run("ip", "netns", "exec", p + "lab", "cat", "/proc/sys/net/ipv4/ip_forward").trim());
            // a -> b, b -> a, host -> a, a -> host
            try (ServerSocket sb = b.call(() -> new ServerSocket(7000, 5, ipB));
                    ServerSocket sa = a.call(() -> new ServerSocket(7000, 5, ipA));
                    ServerSocket sh = lab.namespace().call(() -> new ServerSocket(7001, 5, InetAddress.getByName("10.89.0.1")))) {
                a.run(() -> connect(ipB, 7000, sb));
                b.run(() -> connect(ipA, 7000, sa));
                lab.namespace().run(() -> connect(ipA, 7000, sa));
                a.run(() -> connect(InetAddress.getByName("10.89.0.1"), 7001, sh));
            }
        }
        awaitNoVeth();
    }

    private static void connect(InetAddress ip, int port, ServerSocket server) throws Exception {
        try (Socket c = new Socket()) {
            c.connect(new InetSocketAddress(ip, port), 3000);
            try (Socket accepted = server.accept()) {
                assertEquals(c.getLocalAddress(), accepted.getInetAddress());
            }
        }
    }

    private void awaitNoVeth() throws InterruptedException {
        String links = "";
        for (int i = 0; i < 100; i++) {
            links = Cmd.run("ip", "-n", p + "lab", "-o", "link", "show", "type", "veth");
            if (links.isBlank()) {
                return;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("veths left on the lab host after close: " + links);
    }

    @Test
    void addressesAreWhatTheKernelHasNowNotWhatWasAssigned() throws Exception {
        try (Sandbox a = lab.create(p + "ad", NetworkMode.bridge())) {
            String leased = Kernel.ipv4(p + "ad", "eth0");
            assertEquals(List.of(InetAddress.getByName(leased)), a.addresses());
            Cmd.run("ip", "-n", p + "ad", "addr", "add", "10.89.0.250/24", "dev", "eth0");
            Cmd.run("ip", "-n", p + "ad", "addr", "add", "fd00:89::5/64", "dev", "eth0", "nodad");
            assertEquals(List.of(leased + "/24", "10.89.0.250/24", "fd00:89::5/64"), Kernel.addresses(p + "ad", "eth0"));
            assertEquals(List.of(InetAddress.getByName(leased), InetAddress.getByName("10.89.0.250"),
                    InetAddress.getByName("fd00:89::5")), a.addresses());
            Cmd.run("ip", "-n", p + "ad", "addr", "del", leased + "/24", "dev", "eth0");
            assertFalse(a.addresses().contains(InetAddress.getByName(leased)), "a removed address is gone: " + a.addresses());
        }
    }

    @Test
    void thirtyCyclesInASlash28NeverExhaustItAndASameNameSandboxWorksAtOnce() throws Exception {
        BridgeMode small = NetworkMode.bridge().name("nsbr28").subnet("10.89.9.0/28");
        for (int i = 0; i < 30; i++) {
            try (Sandbox s = lab.create(p + "cyc", small)) {
                String ip = Kernel.ipv4(p + "cyc", "eth0");
                assertTrue(small.subnetCidr().contains(InetAddress.getByName(ip)), ip);
                Kernel.assertOnBridge(p + "cyc", "eth0", p + "lab", "nsbr28");
            }
        }
        awaitNoVeth();
    }

    @Test
    void aFullSlash28RefusesThe14thAndLeavesNothingOfIt() throws Exception {
        BridgeMode small = NetworkMode.bridge().name("nsbrfull").subnet("10.89.10.0/28");
        List<Sandbox> live = new ArrayList<>();
        try {
            for (int i = 0; i < 13; i++) {
                live.add(lab.create(p + "f" + i, small));
            }
            NetnsException e = assertThrows(NetnsException.class, () -> lab.create(p + "f13", small));
            assertTrue(e.getMessage().contains("10.89.10.0/28") && e.getMessage().contains("exhausted"), e.getMessage());
            assertFalse(Cmd.run("ip", "netns", "list").contains(p + "f13"), "no namespace left of the refused one");
            assertFalse(Files.exists(Path.of("/run/netns.d/sandboxes", p + "f13")), "no record left");
            // On this network's bridge only: veths of sandboxes that earlier tests closed may still be on their way
            // out (the kernel destroys them with their namespace, lazily).
            assertEquals(13, Cmd.run("ip", "-n", p + "lab", "-o", "link", "show", "master", "nsbrfull", "type", "veth")
                    .lines().count());
        } finally {
            for (Sandbox s : live) {
                s.close();
            }
        }
    }

    @Test
    void aNetworkKeepsItsSubnetAndRefusesAnother() throws Exception {
        try (Sandbox a = lab.create(p + "n1", NetworkMode.bridge().name("nsbrx").subnet("10.89.11.0/24").ip("10.89.11.77"))) {
            assertEquals(List.of("10.89.11.77/24"), Kernel.addresses(p + "n1", "eth0"));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> lab.create(p + "n2", NetworkMode.bridge().name("nsbrx").subnet("10.89.12.0/24")));
            assertTrue(e.getMessage().contains("10.89.11.0/24") && e.getMessage().contains("10.89.12.0/24"), e.getMessage());
            NetnsException taken = assertThrows(NetnsException.class,
                    () -> lab.create(p + "n3", NetworkMode.bridge().name("nsbrx").ip("10.89.11.77")));
            assertTrue(taken.getMessage().contains(p + "n1"), taken.getMessage());
            assertFalse(Cmd.run("ip", "netns", "list").contains(p + "n2"));
            assertFalse(Cmd.run("ip", "netns", "list").contains(p + "n3"));
        }
    }

    @Test
    void twoHostsRacingToMakeOneBridgeNetworkBothSucceed() throws Exception {
        // Two Host objects over one lab know nothing of each other, like two JVMs: both may find the
        // bridge absent and try to make it; the loser must join the winner's network, not fail.
        for (int round = 0; round < 5; round++) {
            BridgeMode mode = NetworkMode.bridge().name("nsrace" + round).subnet("10.89." + (20 + round) + ".0/24");
            try (Host other = Host.of(NetNamespace.open(p + "lab"))) {
                java.util.concurrent.CyclicBarrier start = new java.util.concurrent.CyclicBarrier(2);
                java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(2);
                try {
                    int r = round;
                    var fa = pool.submit(() -> {
                        start.await();
                        return lab.create(p + "ra" + r, mode);
                    });
                    var fb = pool.submit(() -> {
                        start.await();
                        return other.create(p + "rb" + r, mode);
                    });
                    try (Sandbox a = fa.get(30, java.util.concurrent.TimeUnit.SECONDS);
                            Sandbox b = fb.get(30, java.util.concurrent.TimeUnit.SECONDS)) {
                        // one bridge, both on it, two addresses, and they reach each other
                        String bridge = "nsrace" + round;
                        assertEquals(1, Json.objects(Cmd.run("ip", "-j", "-n", p + "lab", "link", "show", "type", "bridge"))
                                .stream().filter(l -> bridge.equals(l.get("ifname"))).count(), "one bridge " + bridge);
                        Kernel.assertOnBridge(a.name(), "eth0", p + "lab", bridge);
                        Kernel.assertOnBridge(b.name(), "eth0", p + "lab", bridge);
                        InetAddress ipA = InetAddress.getByName(Kernel.ipv4(a.name(), "eth0"));
                        InetAddress ipB = InetAddress.getByName(Kernel.ipv4(b.name(), "eth0"));
                        assertNotEquals(ipA, ipB);
                        try (ServerSocket sb = b.call(() -> new ServerSocket(7000, 5, ipB));
                                ServerSocket sa = a.call(() -> new ServerSocket(7000, 5, ipA))) {
                            a.run(() -> connect(ipB, 7000, sb));
                            b.run(() -> connect(ipA, 7000, sa));
                        }
                    }
                } finally {
                    pool.shutdownNow();
                }
            }
        }
    }

    @Test
    void mtuIsSetOnBothEnds() throws Exception {
        try (Sandbox a = lab.create(p + "mtu", NetworkMode.bridge().mtu(1400))) {
            String inside = Cmd.run("ip", "-n", p + "mtu", "-o", "link", "show", "eth0");
            assertTrue(inside.contains("mtu 1400") && inside.contains(",UP"), inside);
            // The host end: the only port of the bridge, with the MTU, up (all set when the pair was made).
            String host = Cmd.run("ip", "-n", p + "lab", "-o", "link", "show", "master", "netns0");
            assertEquals(1, host.lines().count(), host);
            assertTrue(host.contains("mtu 1400") && host.contains(",UP") && host.contains("state UP"), host);
        }
    }
}
