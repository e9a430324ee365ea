package io.netns.iptables;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netns.Host;
import io.netns.NetNamespace;
import io.netns.NetworkMode;
import io.netns.Sandbox;
import io.netns.testing.Cmd;
import io.netns.testing.TestLab;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Host mode's {@code expose} through the public API: {@code Host.create} opens the lab host's firewall
 * for exactly the exposed address and port, {@code Sandbox.close} closes it again; checked with
 * {@code iptables-save} and real connections from a client namespace, a drop proven by the policy's counter.
 */
@Timeout(60)
class HostModeExposeIT {
    @RegisterExtension
    final TestLab testLab = new TestLab("hexp");

    @Test
    void anExposureOpensTheHostsFirewallUntilTheSandboxCloses() throws Exception {
        Host lab = testLab.host();
        NetNamespace client = testLab.namespace("client");
        String host = lab.id();
        Cmd.run("ip", "-n", host, "link", "add", "vc", "type", "veth", "peer", "name", "eth0", "netns", client.name());
        Cmd.run("ip", "-n", host, "addr", "add", "192.0.2.1/24", "dev", "vc");
        Cmd.run("ip", "-n", host, "link", "set", "vc", "up");
        Cmd.run("ip", "-n", client.name(), "addr", "add", "192.0.2.2/24", "dev", "eth0");
        Cmd.run("ip", "-n", client.name(), "link", "set", "eth0", "up");
        Cmd.in(host, "iptables", "-P", "INPUT", "DROP");
        InetAddress hostIp = InetAddress.getByName("192.0.2.1");
        String tag = "netns:" + host + "/sandbox/" + testLab.name("h");

        try (Sandbox h = lab.create(testLab.name("h"), NetworkMode.host().expose(new InetSocketAddress(hostIp, 7000)))) {
            assertEquals(lab.namespace(), h.namespace(), "host mode shares the lab host's stack");
            String save = Cmd.in(host, "iptables-save");
            assertTrue(save.contains("-A NETNS-INPUT -d 192.0.2.1/32 -p tcp -m tcp --dport 7000 -m comment --comment \""
                    + tag + "\" -j ACCEPT"), save);
            try (ServerSocket open = h.call(() -> new ServerSocket(7000, 5, hostIp));
                    ServerSocket closed = h.call(() -> new ServerSocket(7001, 5, hostIp))) {
                assertEquals(Lab.Outcome.CONNECTED, Lab.attempt(client, "192.0.2.1", 7000, 2000));
                assertDropped(lab.namespace(), client, 7001);
            }
        }
        // closed: the opening is gone, though a listener is there again
        assertFalse(Cmd.in(host, "iptables-save").contains(tag), "no rule of the sandbox left");
        try (ServerSocket again = lab.namespace().call(() -> new ServerSocket(7000, 5, hostIp))) {
            assertDropped(lab.namespace(), client, 7000);
        }
    }

    /**
     * The IPv6 twin: the opening goes to ip6tables' INPUT, for exactly that address and port; another port
     * of that address and the same port of another address of the host stay dropped by the policy.
     */
    @Test
    void anIpv6ExposureOpensExactlyThatAddressAndPort() throws Exception {
        Host lab = testLab.host();
        NetNamespace client = testLab.namespace("client");
        String host = lab.id();
        Cmd.run("ip", "-n", host, "link", "add", "vc", "type", "veth", "peer", "name", "eth0", "netns", client.name());
        Cmd.run("ip", "-n", host, "addr", "add", "fd00:20:30::100/64", "dev", "vc", "nodad");
        Cmd.run("ip", "-n", host, "addr", "add", "fd00:20:30::200/64", "dev", "vc", "nodad");
        Cmd.run("ip", "-n", host, "link", "set", "vc", "up");
        Cmd.run("ip", "-n", client.name(), "addr", "add", "fd00:20:30::2/64", "dev", "eth0", "nodad");
        Cmd.run("ip", "-n", client.name(), "link", "set", "eth0", "up");
        Lab.awaitNotTentative(List.of(lab.namespace(), client));
        // a DROP policy as IPv6 hosts have it: neighbour discovery (ICMPv6) accepted, the rest dropped
        Cmd.in(host, "ip6tables", "-A", "INPUT", "-p", "ipv6-icmp", "-j", "ACCEPT");
        Cmd.in(host, "ip6tables", "-P", "INPUT", "DROP");
        InetAddress a100 = InetAddress.getByName("fd00:20:30::100");
        InetAddress a200 = InetAddress.getByName("fd00:20:30::200");
        String tag = "netns:" + host + "/sandbox/" + testLab.name("h6");

        try (Sandbox h = lab.create(testLab.name("h6"), NetworkMode.host().expose(new InetSocketAddress("fd00:20:30::100", 80)))) {
            String save = Cmd.in(host, "ip6tables-save");
            assertTrue(save.contains("-A NETNS-INPUT -d fd00:20:30::100/128 -p tcp -m tcp --dport 80 -m comment --comment \""
                    + tag + "\" -j ACCEPT"), save);
            assertFalse(Cmd.in(host, "iptables-save").contains(tag), "nothing in the IPv4 firewall");
            try (ServerSocket open = h.call(() -> new ServerSocket(80, 5, a100));
                    ServerSocket otherPort = h.call(() -> new ServerSocket(81, 5, a100));
                    ServerSocket otherAddress = h.call(() -> new ServerSocket(80, 5, a200))) {
                assertEquals(Lab.Outcome.CONNECTED, Lab.attempt(client, "fd00:20:30::100", 80, 2000));
                assertDropped6(lab.namespace(), client, "fd00:20:30::100", 81);
                assertDropped6(lab.namespace(), client, "fd00:20:30::200", 80);
            }
        }
        assertFalse(Cmd.in(host, "ip6tables-save").contains(tag), "no rule of the sandbox left");
        try (ServerSocket again = lab.namespace().call(() -> new ServerSocket(80, 5, a100))) {
            assertDropped6(lab.namespace(), client, "fd00:20:30::100", 80);
        }
    }

    private static void assertDropped6(NetNamespace host, NetNamespace client, String ip, int port) throws Exception {
        long before = Lab.policyPackets(host, "ip6tables", "INPUT");
        assertEquals(Lab.Outcome.TIMED_OUT, Lab.attempt(client, ip, port, 1000), "[" + ip + "]:" + port);
        assertTrue(Lab.policyPackets(host, "ip6tables", "INPUT") > before, "the INPUT policy counted the dropped SYN to ["
                + ip + "]:" + port);
    }

    private static void assertDropped(NetNamespace host, NetNamespace client, int port) throws Exception {
        long before = Lab.policyPackets(host, "iptables", "INPUT");
        assertEquals(Lab.Outcome.TIMED_OUT, Lab.attempt(client, "192.0.2.1", port, 1000));
        assertTrue(Lab.policyPackets(host, "iptables", "INPUT") > before, "the INPUT policy counted the dropped SYN");
    }
}
