package io.netns.internal.nl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netns.NetNamespace;
import io.netns.testing.Cmd;
import io.netns.testing.TestLab;
import java.net.DatagramSocket;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.nio.channels.ServerSocketChannel;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * sock_diag in a lab namespace against {@code ss}, run there independently: listening TCP (v6only told
 * apart), TCP in TIME_WAIT, bound UDP, the owner's uid and the socket inode.
 */
class SockDiagIT {
    private static final int LISTEN = 10;
    private static final int TIME_WAIT = 6;

    @RegisterExtension
    final TestLab lab = new TestLab("sdiag");

    private static Set<String> ss(String ns, String flags) {
        Set<String> out = new TreeSet<>();
        for (String line : Cmd.run("ip", "netns", "exec", ns, "ss", "-H", "-n", flags).split("\n")) {
            String[] f = line.trim().split("\\s+");
            if (f.length >= 4) {
                // State Recv-Q Send-Q Local:Port ...  (udp: UNCONN)
                String local = f[3];
                out.add(local.substring(local.lastIndexOf(':') + 1));
            }
        }
        return out;
    }

    @Test
    void listenersTimeWaitAndUdpAsSsSeesThem() throws Exception {
        NetNamespace ns = lab.namespace("ns");
        Cmd.run("ip", "-n", ns.name(), "link", "set", "lo", "up");
        ns.run(() -> {
            try (ServerSocketChannel v6only = ServerSocketChannel.open(StandardProtocolFamily.INET6);
                 ServerSocket v4 = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"));
                 DatagramSocket udp = new DatagramSocket(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0))) {
                v6only.setOption(StandardSocketOptions.SO_REUSEADDR, true);
                v6only.socket().bind(new InetSocketAddress(InetAddress.getByName("::"), 0));
                // IPV6_V6ONLY cannot be set through Java; a [::] listener is dual-stack: v6only=false.
                int dual = v6only.socket().getLocalPort();
                // A TIME_WAIT: the side that closes first keeps it.
                int twPort;
                try (Socket c = new Socket(InetAddress.getByName("127.0.0.1"), v4.getLocalPort());
                     Socket accepted = v4.accept()) {
                    twPort = c.getLocalPort();
                    c.close();
                    accepted.getInputStream().read();
                }
                List<SockDiag.Socket> tcp = SockDiag.dump(SockDiag.IPPROTO_TCP, 1 << LISTEN | 1 << TIME_WAIT);
                List<SockDiag.Socket> udps = SockDiag.dump(SockDiag.IPPROTO_UDP, SockDiag.ALL_STATES);

                Set<String> listening = new TreeSet<>();
                Set<String> timeWait = new TreeSet<>();
                for (SockDiag.Socket k : tcp) {
                    (k.state() == LISTEN ? listening : timeWait).add(Integer.toString(k.port()));
                }
                assertEquals(ss(ns.name(), "-lt"), listening);
                assertEquals(Set.of(Integer.toString(dual), Integer.toString(v4.getLocalPort())), listening);
                assertTrue(timeWait.contains(Integer.toString(twPort)), "TIME_WAIT of port " + twPort + ": " + tcp);
                assertEquals(ss(ns.name(), "-ua"), new TreeSet<>(udps.stream().map(k -> Integer.toString(k.port())).toList()));

                SockDiag.Socket d = tcp.stream().filter(k -> k.port() == dual).findFirst().orElseThrow();
                assertTrue(d.family() == Nl.AF_INET6 && d.local() instanceof Inet6Address && d.v6only() == 0, d.toString());
                assertEquals(0, d.uid(), "root owns it");
                String inodes = Cmd.run("ip", "netns", "exec", ns.name(), "ss", "-H", "-e", "-n", "-lt");
                assertTrue(inodes.contains("ino:" + d.inode()), d.inode() + " in " + inodes);
                SockDiag.Socket tw = tcp.stream().filter(k -> k.port() == twPort).findFirst().orElseThrow();
                assertEquals(0, tw.inode(), "a TIME_WAIT socket has no inode");
            }
        });
    }
}
