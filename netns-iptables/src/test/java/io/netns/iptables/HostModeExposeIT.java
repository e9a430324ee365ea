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

    private static void assertDropped(NetNamespace host, NetNamespace client, int port) throws Exception {
        long before = Lab.policyPackets(host, "iptables", "INPUT");
        assertEquals(Lab.Outcome.TIMED_OUT, Lab.attempt(client, "192.0.2.1", port, 1000));
        assertTrue(Lab.policyPackets(host, "iptables", "INPUT") > before, "the INPUT policy counted the dropped SYN");
    }
}
