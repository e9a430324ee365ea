package io.netns.iptables;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netns.NetNamespace;
import io.netns.Protocol;
import io.netns.testing.Cmd;
import io.netns.testing.TestLab;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** HostSockets' two readers against each other, in a namespace of the test's own. */
class HostSocketsIT {
    @RegisterExtension
    final TestLab testLab = new TestLab("hsock");

    /**
     * sock_diag and /proc/net agree, read from a thread inside a lab namespace of the test's own (never the
     * machine's, whose sockets come and go between two reads), on a TCP listener and a UDP socket opened
     * there, on a socket bound to the wildcard and on every other socket they list.
     */
    @Test
    void sockDiagAgreesWithProc() throws Exception {
        NetNamespace ns = testLab.namespace("ns");
        Cmd.run("ip", "-n", ns.name(), "link", "set", "lo", "up");
        ns.run(HostSocketsIT::compare);
    }

    private static void compare() throws Exception {
        try (java.net.ServerSocket any = new java.net.ServerSocket(0);
                java.net.ServerSocket tcp = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress());
                java.net.DatagramSocket udp = new java.net.DatagramSocket(0, java.net.InetAddress.getLoopbackAddress())) {
            for (Protocol p : Protocol.values()) {
                int port = p == Protocol.TCP ? tcp.getLocalPort() : udp.getLocalPort();
                List<HostSockets.Socket> diag = HostSockets.diag(p);
                List<HostSockets.Socket> proc = new ArrayList<>();
                HostSockets.parse(p, false, java.nio.file.Files.readString(java.nio.file.Path.of("/proc/thread-self/net/" + p.id())), proc);
                String six = "/proc/thread-self/net/" + p.id() + "6";
                if (java.nio.file.Files.exists(java.nio.file.Path.of(six))) {
                    HostSockets.parse(p, true, java.nio.file.Files.readString(java.nio.file.Path.of(six)), proc);
                }
                proc.removeIf(s -> !s.isListening());
                assertTrue(diag.stream().anyMatch(s -> s.port() == port && s.address().isLoopbackAddress()),
                        p + " socket on port " + port + " not in sock_diag: " + diag);
                java.util.Set<String> a = new java.util.TreeSet<>();
                java.util.Set<String> b = new java.util.TreeSet<>();
                diag.forEach(s -> a.add(s.toString() + " " + s.state()));
                proc.forEach(s -> b.add(s.toString() + " " + s.state()));
                assertEquals(b, a, p + ": /proc vs sock_diag");
                assertEquals(p == Protocol.TCP ? 2 : 1, a.size(), "only the sockets opened here: " + a);
            }
        }
    }
}
