package io.netns.iptables;

import io.netns.NetNamespace;
import io.netns.NetnsException;
import io.netns.Protocol;
import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
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
        for (String line : text.split("\n")) {
            String[] f = line.trim().split("\\s+");
            if (f.length < 10 || !f[0].endsWith(":")) {
                continue;
            }
            int colon = f[1].indexOf(':');
            if (colon < 0) {
                continue;
            }
            InetAddress a = decode(f[1].substring(0, colon));
            int port = Integer.parseInt(f[1].substring(colon + 1), 16);
            out.add(new Socket(protocol, v6, a, port, f[3], Long.parseLong(f[9])));
        }
    }

    /** The kernel prints each 32-bit word of the address in host byte order. */
    static InetAddress decode(String hex) {
        byte[] b = new byte[hex.length() / 2];
        boolean little = ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN;
        for (int w = 0; w < b.length / 4; w++) {
            for (int i = 0; i < 4; i++) {
                int v = Integer.parseInt(hex.substring(w * 8 + i * 2, w * 8 + i * 2 + 2), 16);
                b[w * 4 + (little ? 3 - i : i)] = (byte) v;
            }
        }
        try {
            return InetAddress.getByAddress(b);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("bad address in /proc/net: " + hex, e);
        }
    }
}
