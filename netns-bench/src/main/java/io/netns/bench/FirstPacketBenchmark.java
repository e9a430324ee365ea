package io.netns.bench;

import io.netns.NetNamespace;
import io.netns.NetnsException;
import io.netns.Sandbox;
import io.netns.Sysctl;
import io.netns.rtnl.RtnlClient;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * First-packet latency to a published port: a fresh TCP connection from a client namespace to the lab host's
 * address and a published host port, DNATed to a server in a bridge sandbox, with {@code background} = 10 or
 * 10,000 other ports published on the host. Issue #18's goal: 10,000 within 1.2× of 10.
 *
 * <pre>
 *   client ns (192.0.2.2) --veth-- lab host (192.0.2.1; bridge network, DNAT :29080 → sandbox:80) --bridge-- sandbox (server :80)
 * </pre>
 *
 * Each invocation switches into the client namespace, opens a socket, connects (returns when the SYN-ACK is
 * back: the SYN went through the host's DNAT lookup) and closes it with an RST ({@code SO_LINGER} 0). A new
 * socket has a new source port, so every SYN is a new conntrack flow and takes the NAT lookup (later packets
 * of a flow do not); the RST leaves no {@code TIME_WAIT} in the client and puts the flow in conntrack's CLOSE
 * state, whose timeout is set to 1 s in the lab host, so the lab's conntrack table stays small. The switch,
 * the socket and the handshake over two veth pairs are the same at every size: only the NAT lookup can differ.
 *
 * <p>The background is published before the sandbox, so with one rule per port the sandbox's DNAT rule comes
 * after all of them: the first packet walks them all (what #18 removes with maps).
 */
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class FirstPacketBenchmark extends AbstractNetnsBenchmark {
    /** The published host port; the server listens on 80 in the sandbox. */
    static final int PORT = 29080;
    static final String HOST_IP = "192.0.2.1";
    static final String CLIENT_IP = "192.0.2.2";

    /** The lab host, the client namespace, the server sandbox. */
    @State(Scope.Benchmark)
    public static class Path {
        /** Other ports published on the host. */
        @Param({"10", "10000"})
        public int background;

        NetNamespace client;
        InetSocketAddress target;
        /** Connections the server in the sandbox accepted. */
        final AtomicLong accepted = new AtomicLong();
        private final Undo undo = new Undo();

        @Setup
        public void open() throws Exception {
            try {
                PortLab lab = undo.closing(PortLab.open("fp"));
                if (!lab.lab.isFullLab()) {
                    throw new IllegalStateException("needs Host.createLab (lo up in the lab host)");
                }
                lab.publishBackground(1, background);
                NetNamespace host = lab.host;
                client = undo.namespace(NetNamespace.create(Names.unique("cli")));
                try (RtnlClient r = RtnlClient.open(host)) {
                    r.addVeth("vcli", "eth0", client);
                    r.addAddress("vcli", InetAddress.getByName(HOST_IP), 24);
                    r.setUp("vcli");
                }
                try (RtnlClient r = RtnlClient.open(client)) {
                    r.setUp("lo");
                    r.addAddress("eth0", InetAddress.getByName(CLIENT_IP), 24);
                    r.setUp("eth0");
                }
                Sandbox server = undo.closing(lab.lab.host().create(Names.unique("srv"), lab.network.publish(PORT, 80)));
                ServerSocket ss = undo.closing(server.call(() -> {
                    ServerSocket s = new ServerSocket();
                    s.setReuseAddress(true);
                    s.bind(new InetSocketAddress(80), 4096);
                    return s;
                }));
                Thread acceptor = new Thread(() -> {
                    while (!ss.isClosed()) {
                        try {
                            ss.accept().close();
                            accepted.incrementAndGet();
                        } catch (IOException e) {
                            // closed at tear-down, or a connection reset before it was accepted
                        }
                    }
                }, "first-packet-server");
                acceptor.setDaemon(true);
                acceptor.start();
                // Conntrack exists in the lab now (its NAT rules); a flow closed by RST is forgotten after 1 s.
                Sysctl.write(host, "net.netfilter.nf_conntrack_tcp_timeout_close", "1");
                target = new InetSocketAddress(InetAddress.getByName(HOST_IP), PORT);
                connect(client, target); // the path works, or the trial fails here
            } catch (Exception | Error e) {
                throw undo.abort(e);
            }
        }

        @TearDown
        public void close() throws Exception {
            undo.run();
        }
    }

    static int connect(NetNamespace client, InetSocketAddress target) throws IOException, NetnsException {
        return client.call(() -> {
            try (Socket s = new Socket()) {
                s.setSoLinger(true, 0);
                s.connect(target, 2000);
                return s.getLocalPort();
            }
        });
    }

    /**
     * One fresh connection through the published port.
     *
     * @param p the path
     * @return the client's source port
     * @throws IOException if the connection fails (2 s timeout)
     * @throws NetnsException if the switch fails
     */
    @Benchmark
    public int connect(Path p) throws IOException, NetnsException {
        return connect(p.client, p.target);
    }
}
