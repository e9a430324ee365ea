package io.netns.iptables;

import io.netns.NetNamespace;
import io.netns.NetnsException;
import io.netns.Protocol;
import io.netns.internal.nl.Nl;
import io.netns.internal.ProcNet;
import io.netns.internal.nl.SockDiag;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Internal use only: the sockets bound in a namespace, read from {@code /proc/thread-self/net/{tcp,udp}[6]}
 * on a thread switched into it ({@code /proc/self/net} would show the namespace of the JVM's main thread).
 */
final class HostSockets {
    private HostSockets() {
    }

    /**
     * A bound socket.
     *
     * @param protocol TCP or UDP
     * @param v6 read from the {@code 6} file
     * @param address its local address
     * @param port its local port
     * @param state the kernel's state code, {@code 0A} for LISTEN
     * @param inode the socket's inode
     */
    record Socket(Protocol protocol, boolean v6, InetAddress address, int port, String state, long inode) {
        static Socket of(Protocol protocol, SockDiag.Socket k) {
            return new Socket(protocol, k.family() == Nl.AF_INET6, k.local(), k.port(), String.format("%02X", k.state()),
                    k.inode());
        }

        boolean isListening() {
            return protocol == Protocol.UDP || state.equals("0A");
        }

        @Override
        public String toString() {
            String a = Addr.text(address);
            return protocol.id() + (v6 ? "6" : "") + " " + (v6 ? "[" + a + "]" : a) + ":" + port
                    + (protocol == Protocol.TCP ? " LISTEN" : "") + " (socket inode " + inode + ")";
        }
    }

    /**
     * @param ns the namespace
     * @param protocol TCP or UDP
     * @return its listening TCP sockets, or its bound UDP sockets, IPv4 and IPv6
     * @throws NetnsException if the files cannot be read
     */
    static List<Socket> bound(NetNamespace ns, Protocol protocol) throws NetnsException {
        try {
            return ns.call(() -> diag(protocol));
        } catch (NetnsException | RuntimeException noDiag) {
            return boundFromProc(ns, protocol); // no sock_diag (a kernel without inet_diag): the slow way
        }
    }

    /**
     * The sockets through {@code NETLINK_SOCK_DIAG} (what {@code ss -ltn} and {@code ss -uan} use), on the
     * calling thread's namespace. Unlike {@code /proc/net/tcp}, asking for listeners only does not walk
     * the kernel's established-connection table, which is shared by all namespaces and large on big
     * machines (reading {@code /proc/net/tcp} of an empty namespace takes ≈ 8 ms here).
     */
    /** {@code TCP_LISTEN} ({@code include/net/tcp_states.h}). */
    private static final int TCP_LISTEN = 10;

    static List<Socket> diag(Protocol protocol) throws NetnsException {
        boolean tcp = protocol == Protocol.TCP;
        List<Socket> out = new ArrayList<>();
        for (SockDiag.Socket k : SockDiag.dump(tcp ? SockDiag.IPPROTO_TCP : SockDiag.IPPROTO_UDP,
                tcp ? 1 << TCP_LISTEN : SockDiag.ALL_STATES)) {
            out.add(Socket.of(protocol, k));
        }
        return out;
    }

    static List<Socket> boundFromProc(NetNamespace ns, Protocol protocol) throws NetnsException {
        String[] texts;
        try {
            texts = ns.call(() -> new String[] {read("/proc/thread-self/net/" + protocol.id()),
                    read("/proc/thread-self/net/" + protocol.id() + "6")});
        } catch (IOException e) {
            throw NetnsException.wrap("read /proc/thread-self/net/" + protocol.id() + " in " + ns, e);
        }
        List<Socket> out = new ArrayList<>();
        parse(protocol, false, texts[0], out);
        parse(protocol, true, texts[1], out);
        out.removeIf(s -> !s.isListening());
        return out;
    }

    private static String read(String file) throws IOException {
        try {
            return Files.readString(Path.of(file));
        } catch (NoSuchFileException e) {
            return ""; // IPv6 disabled
        }
    }

    static void parse(Protocol protocol, boolean v6, String text, List<Socket> out) {
        for (SockDiag.Socket k : ProcNet.parse(protocol.id() + (v6 ? "6" : ""), text, ByteOrder.nativeOrder())) {
            out.add(Socket.of(protocol, k));
        }
    }
}
