package io.netns.iptables;

import io.netns.Host;
import io.netns.NetNamespace;
import io.netns.testing.Cmd;
import io.netns.testing.TestLab;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The firewall ITs' topology, made with {@code ip} in namespaces of the test's {@link TestLab} (which
 * gates the test, deletes the namespaces and checks that nothing is left); nothing touches the real host.
 *
 * <pre>
 *   client (192.0.2.2) --- veth --- host (192.0.2.1, bridge nsbr0 10.89.0.1/24) --- veth --- sbx  (10.89.0.2)
 *                                                                           \--- veth --- sbx2 (10.89.0.3)
 * </pre>
 */
final class Lab implements AutoCloseable {
    static final String HOST_IP = "192.0.2.1";
    static final String CLIENT_IP = "192.0.2.2";
    static final String GATEWAY = "10.89.0.1";
    static final String SBX_IP = "10.89.0.2";
    static final String SBX2_IP = "10.89.0.3";
    static final String BRIDGE = "nsbr0";
    static final String SUBNET = "10.89.0.0/24";
    static final String HOST_IP6 = "fd00:1::1";
    static final String CLIENT_IP6 = "fd00:1::2";
    static final String GATEWAY6 = "fd00:89::1";
    static final String SBX_IP6 = "fd00:89::2";
    static final String SBX2_IP6 = "fd00:89::3";
    static final String SUBNET6 = "fd00:89::/64";

    final TestLab testLab;
    final String prefix;
    final List<NetNamespace> all = new ArrayList<>();
    final List<AutoCloseable> closeables = new ArrayList<>();
    NetNamespace host;
    NetNamespace client;
    NetNamespace sbx;
    NetNamespace sbx2;

    /**
     * @param testLab the test's lab fixture: it gates the test, names and deletes the namespaces, and
     *     closes this lab after the test
     */
    Lab(TestLab testLab) {
        this.testLab = testLab;
        prefix = testLab.prefix();
        testLab.closeLater(this);
    }

    Lab start() throws Exception {
        host = ns("host");
        client = ns("client");
        sbx = ns("sbx");
        sbx2 = ns("sbx2");
        for (NetNamespace n : all) {
            ip(n, "link", "set", "lo", "up");
        }
        ip(host, "link", "add", BRIDGE, "type", "bridge");
        ip(host, "addr", "add", GATEWAY + "/24", "dev", BRIDGE);
        ip(host, "link", "set", BRIDGE, "up");
        veth(host, "vcli", client, CLIENT_IP + "/24");
        ip(host, "addr", "add", HOST_IP + "/24", "dev", "vcli");
        veth(host, "vsbx", sbx, SBX_IP + "/24");
        veth(host, "vsbx2", sbx2, SBX2_IP + "/24");
        ip(host, "link", "set", "vsbx", "master", BRIDGE);
        ip(host, "link", "set", "vsbx2", "master", BRIDGE);
        ip(sbx, "route", "add", "default", "via", GATEWAY);
        ip(sbx2, "route", "add", "default", "via", GATEWAY);
        exec(host, "sysctl", "-q", "-w", "net.ipv4.ip_forward=1");
        return this;
    }

    private NetNamespace ns(String role) throws Exception {
        NetNamespace n = testLab.namespace(role);
        all.add(n);
        return n;
    }

    private void veth(NetNamespace inHost, String hostSide, NetNamespace peer, String cidr) throws Exception {
        ip(inHost, "link", "add", hostSide, "type", "veth", "peer", "name", "eth0", "netns", peer.name());
        ip(inHost, "link", "set", hostSide, "up");
        ip(peer, "addr", "add", cidr, "dev", "eth0");
        ip(peer, "link", "set", "eth0", "up");
    }

    static String ip(NetNamespace ns, String... args) throws Exception {
        List<String> argv = new ArrayList<>(List.of("ip", "-n", ns.name()));
        argv.addAll(List.of(args));
        return run(argv);
    }

    /** Runs a command inside the lab namespace: {@code ip netns exec <ns> ...}. */
    static String exec(NetNamespace ns, String... args) throws Exception {
        List<String> argv = new ArrayList<>(List.of("ip", "netns", "exec", ns.name()));
        argv.addAll(List.of(args));
        return run(argv);
    }

    /**
     * @return the command's output
     * @throws IOException when it exits non-zero; a missing command fails the test ({@link Cmd#exec})
     */
    /**
     * The machine's own firewall, read in the JVM's namespace ({@code iptables-save}, {@code ip6tables-save},
     * {@code nft list ruleset}), for tests that check a lab never reached it. Rootless it cannot be read (it
     * belongs to the machine's user namespace) and, for the same reason, never written: then empty.
     *
     * @return the rules
     */
    static String realFirewall() throws Exception {
        if (io.netns.Netns.mode() == io.netns.Netns.Mode.ROOTLESS) {
            return "";
        }
        return run(List.of("iptables-save")) + run(List.of("ip6tables-save")) + run(List.of("nft", "list", "ruleset"));
    }

    static String run(List<String> argv) throws Exception {
        Cmd.Result r = Cmd.exec(argv.toArray(String[]::new));
        if (r.exit() != 0) {
            throw new IOException(argv + " exited with " + r.exit() + ": " + r.output() + r.error());
        }
        return r.output();
    }

    /**
     * What iptables-save prints inside the lab host, then what {@code nft list table ip netns} prints (the
     * published ports' DNAT rules): the independent check.
     */
    String save() throws Exception {
        return exec(host, "iptables-save") + Leftovers.nat(host.path().toString(), "ip");
    }

    String save6() throws Exception {
        return exec(host, "ip6tables-save") + Leftovers.nat(host.path().toString(), "ip6");
    }

    /**
     * A TCP server bound inside {@code ns} that answers each connection with the remote address it saw.
     */
    InetSocketAddress echoRemote(NetNamespace ns, String bindIp, int port) throws Exception {
        ServerSocket ss = ns.call(() -> {
            ServerSocket s = new ServerSocket();
            s.setReuseAddress(true);
            s.bind(new InetSocketAddress(InetAddress.getByName(bindIp), port));
            return s;
        });
        closeables.add(ss);
        Thread t = new Thread(() -> {
            while (!ss.isClosed()) {
                try (Socket c = ss.accept()) {
                    c.setSoTimeout(3000);
                    PrintWriter w = new PrintWriter(c.getOutputStream(), true, StandardCharsets.UTF_8);
                    w.println(c.getInetAddress().getHostAddress());
                } catch (IOException e) {
                    // closed, or a client that went away
                }
            }
        }, "lab-echo-" + port);
        t.setDaemon(true);
        t.start();
        return new InetSocketAddress(ss.getInetAddress(), ss.getLocalPort());
    }

    /**
     * A TCP server on the wildcard address inside {@code ns} that answers each connection with a line.
     *
     * @return the server; the caller closes it
     */
    static ServerSocket answer(NetNamespace ns, int port) throws Exception {
        ServerSocket ss = ns.call(() -> new ServerSocket(port));
        Thread t = new Thread(() -> {
            while (!ss.isClosed()) {
                try (Socket c = ss.accept()) {
                    c.getOutputStream().write("hi\n".getBytes(StandardCharsets.UTF_8));
                } catch (IOException e) {
                    // closed, or a client that went away
                }
            }
        }, "lab-answer-" + port);
        t.setDaemon(true);
        t.start();
        return ss;
    }

    /**
     * Connects from inside {@code ns} with bounded timeouts.
     *
     * @return the line the server sent: the remote address it saw
     */
    static String connect(NetNamespace ns, String ip, int port) throws Exception {
        return ns.call(() -> {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(InetAddress.getByName(ip), port), 2000);
                s.setSoTimeout(3000);
                return new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8)).readLine();
            }
        });
    }

    /** What a TCP connection attempt met, told apart by the errno the kernel gave the socket. */
    enum Outcome {
        /** The handshake completed. */
        CONNECTED,
        /** An RST or ICMP port unreachable: ECONNREFUSED. */
        REFUSED,
        /** No route, or ICMP host/network unreachable: EHOSTUNREACH / ENETUNREACH. */
        UNREACHABLE,
        /** No answer at all within the timeout: what a DROP rule does. */
        TIMED_OUT
    }

    /**
     * @return what a connection from {@code ns} to {@code ip:port} met within {@code millis}
     */
    static Outcome attempt(NetNamespace ns, String ip, int port, int millis) throws Exception {
        return ns.call(() -> {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(InetAddress.getByName(ip), port), millis);
                return Outcome.CONNECTED;
            } catch (java.net.SocketTimeoutException e) {
                return Outcome.TIMED_OUT;
            } catch (java.net.SocketException e) {
                String m = String.valueOf(e.getMessage());
                if (m.contains("refused")) {
                    return Outcome.REFUSED;
                }
                if (m.contains("unreachable") || e instanceof java.net.NoRouteToHostException) {
                    return Outcome.UNREACHABLE;
                }
                throw e;
            }
        });
    }

    /**
     * @return the packets the policy of {@code chain} in the filter table of {@code ns} has counted
     *     ({@code iptables -L <chain> -v -x -n}, or ip6tables)
     */
    static long policyPackets(NetNamespace ns, String cmd, String chain) throws Exception {
        String head = exec(ns, cmd, "-w", "-L", chain, "-v", "-x", "-n").lines().findFirst().orElse("");
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("\\(policy \\w+ (\\d+) packets").matcher(head);
        if (!m.find()) {
            throw new AssertionError("no policy counter in: " + head);
        }
        return Long.parseLong(m.group(1));
    }

    /**
     * Proves that the DROP policy of the host's INPUT chain blocks {@code ip:port} from {@code from}: the
     * connection times out (neither refused nor unreachable) and the policy counted the dropped SYNs.
     */
    void assertDroppedByInputPolicy(NetNamespace from, String ip, int port) throws Exception {
        String cmd = ip.contains(":") ? "ip6tables" : "iptables";
        long before = policyPackets(host, cmd, "INPUT");
        Outcome o = attempt(from, ip, port, 1000);
        long after = policyPackets(host, cmd, "INPUT");
        if (o != Outcome.TIMED_OUT || after <= before) {
            throw new AssertionError("expected " + ip + ":" + port + " dropped by the INPUT policy: the connection "
                    + o + ", the policy counted " + (after - before) + " packets");
        }
    }

    /**
     * Adds IPv6 to the topology: the bridge {@code fd00:89::1/64}, the sandboxes {@code fd00:89::2} and
     * {@code ::3} with a default route through it, the client link {@code fd00:1::1} / {@code fd00:1::2}.
     */
    Lab withIpv6() throws Exception {
        exec(host, "sysctl", "-q", "-w", "net.ipv6.conf.all.forwarding=1");
        ip(host, "addr", "add", GATEWAY6 + "/64", "dev", BRIDGE, "nodad");
        ip(host, "addr", "add", HOST_IP6 + "/64", "dev", "vcli", "nodad");
        ip(client, "addr", "add", CLIENT_IP6 + "/64", "dev", "eth0", "nodad");
        ip(sbx, "addr", "add", SBX_IP6 + "/64", "dev", "eth0", "nodad");
        ip(sbx2, "addr", "add", SBX2_IP6 + "/64", "dev", "eth0", "nodad");
        ip(sbx, "-6", "route", "add", "default", "via", GATEWAY6);
        ip(sbx2, "-6", "route", "add", "default", "via", GATEWAY6);
        awaitNotTentative(all);
        return this;
    }

    /**
     * Wires a client namespace to a lab host by a veth ({@code vc} on the host, {@code eth0} in the client):
     * the host gets {@code 192.0.2.1/24} and {@code fd00:1::1/64}, the client {@code 192.0.2.2/24} and
     * {@code fd00:1::2/64}; returns once no IPv6 address of either is tentative.
     *
     * @param host the lab host
     * @param client the client namespace
     */
    static void wireClient(Host host, NetNamespace client) throws Exception {
        String h = host.id();
        Cmd.run("ip", "-n", h, "link", "add", "vc", "type", "veth", "peer", "name", "eth0", "netns", client.name());
        Cmd.run("ip", "-n", h, "addr", "add", "192.0.2.1/24", "dev", "vc");
        Cmd.run("ip", "-n", h, "addr", "add", "fd00:1::1/64", "dev", "vc", "nodad");
        Cmd.run("ip", "-n", h, "link", "set", "vc", "up");
        Cmd.run("ip", "-n", client.name(), "addr", "add", "192.0.2.2/24", "dev", "eth0");
        Cmd.run("ip", "-n", client.name(), "addr", "add", "fd00:1::2/64", "dev", "eth0", "nodad");
        Cmd.run("ip", "-n", client.name(), "link", "set", "eth0", "up");
        Cmd.run("ip", "-n", client.name(), "link", "set", "lo", "up");
        awaitNotTentative(List.of(host.namespace(), client));
    }

    /**
     * Waits until no IPv6 address of the namespaces is tentative: until duplicate address detection of the
     * link-local addresses ends, neighbour discovery stalls.
     */
    static void awaitNotTentative(List<NetNamespace> namespaces) throws Exception {
        long deadline = System.nanoTime() + 10_000_000_000L;
        for (NetNamespace n : namespaces) {
            while (!ip(n, "-6", "addr", "show", "tentative").isBlank()) {
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("IPv6 addresses still tentative in " + n.name() + ": " + ip(n, "-6", "addr"));
                }
                Thread.sleep(50);
            }
        }
    }

    /**
     * A UDP server bound inside {@code ns} that answers each datagram with the address it came from.
     */
    void udpEchoRemote(NetNamespace ns, String bindIp, int port) throws Exception {
        java.net.DatagramSocket ds = ns.call(() -> new java.net.DatagramSocket(
                new InetSocketAddress(InetAddress.getByName(bindIp), port)));
        closeables.add(ds);
        Thread t = new Thread(() -> {
            byte[] buf = new byte[512];
            while (!ds.isClosed()) {
                try {
                    java.net.DatagramPacket in = new java.net.DatagramPacket(buf, buf.length);
                    ds.receive(in);
                    byte[] out = in.getAddress().getHostAddress().getBytes(StandardCharsets.UTF_8);
                    ds.send(new java.net.DatagramPacket(out, out.length, in.getSocketAddress()));
                } catch (IOException e) {
                    // closed
                }
            }
        }, "lab-udp-echo-" + port);
        t.setDaemon(true);
        t.start();
    }

    /**
     * Sends one datagram from inside {@code ns} and waits for the answer.
     *
     * @return the answer (the address the server saw), or null when none came within {@code millis}
     */
    static String udp(NetNamespace ns, String ip, int port, int millis) throws Exception {
        return ns.call(() -> {
            try (java.net.DatagramSocket s = new java.net.DatagramSocket()) {
                s.setSoTimeout(millis);
                byte[] hi = "hi".getBytes(StandardCharsets.UTF_8);
                s.send(new java.net.DatagramPacket(hi, hi.length, new InetSocketAddress(InetAddress.getByName(ip), port)));
                byte[] buf = new byte[512];
                java.net.DatagramPacket in = new java.net.DatagramPacket(buf, buf.length);
                try {
                    s.receive(in);
                } catch (java.net.SocketTimeoutException e) {
                    return null;
                }
                return new String(in.getData(), 0, in.getLength(), StandardCharsets.UTF_8);
            }
        });
    }

    @Override
    public void close() throws IOException {
        IOException failure = null;
        for (AutoCloseable c : closeables) {
            try {
                c.close();
            } catch (Exception e) {
                failure = new IOException("closing " + c, e);
            }
        }
        if (host != null) {
            // Port claims of owners the tests never removed (they drop the whole lab instead), as Host.close
            // does for a lab host's leases.
            for (Path claims : List.of(PortClaims.DIR.resolve(host.name()), PortClaims.RANGES.resolve(host.name()))) {
                if (Files.isDirectory(claims)) {
                    try (java.util.stream.Stream<Path> s = Files.walk(claims)) {
                        for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
                            Files.deleteIfExists(p);
                        }
                    }
                }
            }
            // The route_localnet record of a lab whose publications were never removed (Localnet.restore
            // deletes it when the last one goes): the namespace is gone with the lab, so is the record.
            Files.deleteIfExists(Localnet.file(host.name()));
        }
        closeables.clear();
        if (failure != null) {
            throw failure;
        }
    }
}
