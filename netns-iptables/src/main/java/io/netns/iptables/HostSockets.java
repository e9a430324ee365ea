package io.netns.iptables;

import io.netns.NetNamespace;
import io.netns.NetnsException;
import io.netns.Protocol;
import io.netns.internal.nl.Nl;
import io.netns.internal.posix.Native;
import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
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
        try {
            return ns.call(() -> diag(protocol));
        } catch (NetnsException | RuntimeException noDiag) {
            return boundFromProc(ns, protocol); // no sock_diag (a kernel without inet_diag): the slow way
        }
    }

    private static final int NETLINK_SOCK_DIAG = 4;
    private static final int SOCK_DIAG_BY_FAMILY = 20;
    private static final int NLMSG_ERROR = 2;
    private static final int NLMSG_DONE = 3;
    private static final int TCP_LISTEN = 10;

    /**
     * The sockets through {@code NETLINK_SOCK_DIAG} (what {@code ss -ltn} and {@code ss -uan} use), on the
     * calling thread's namespace. Unlike {@code /proc/net/tcp}, asking for listeners only does not walk
     * the kernel's established-connection table, which is shared by all namespaces and large on big
     * machines (reading {@code /proc/net/tcp} of an empty namespace takes ≈ 8 ms here).
     */
    static List<Socket> diag(Protocol protocol) throws NetnsException {
        int fd = Native.netlinkSocket(NETLINK_SOCK_DIAG);
        try {
            ByteBuffer kernel = Nl.kernelAddress();
            ByteBuffer buf = ByteBuffer.allocateDirect(32768).order(ByteOrder.nativeOrder());
            List<Socket> out = new ArrayList<>();
            int seq = 0;
            for (boolean v6 : new boolean[] {false, true}) {
                buf.clear();
                buf.putInt(16 + 56).putShort((short) SOCK_DIAG_BY_FAMILY).putShort((short) (0x1 | 0x300))
                        .putInt(++seq).putInt(0);
                buf.put((byte) (v6 ? 10 : 2)).put((byte) (protocol == Protocol.TCP ? 6 : 17)).put((byte) 0).put((byte) 0);
                buf.putInt(protocol == Protocol.TCP ? 1 << TCP_LISTEN : -1); // idiag_states
                buf.put(new byte[48]); // inet_diag_sockid: any
                buf.flip();
                Native.sendto(fd, buf, kernel);
                receive(fd, buf, seq, protocol, v6, out);
            }
            return out;
        } finally {
            Native.close(fd);
        }
    }

    private static void receive(int fd, ByteBuffer buf, int seq, Protocol protocol, boolean v6, List<Socket> out)
            throws NetnsException {
        while (true) {
            buf.clear();
            int n = Native.recv(fd, buf, 0);
            buf.flip();
            if (n > buf.limit()) {
                throw NetnsException.failure("sock_diag", "sock_diag reply truncated: " + n + " bytes");
            }
            while (buf.remaining() >= 16) {
                int start = buf.position();
                int len = buf.getInt(start);
                int type = buf.getShort(start + 4) & 0xffff;
                int s = buf.getInt(start + 8);
                if (len < 16 || start + len > buf.limit()) {
                    throw NetnsException.failure("sock_diag", "bad sock_diag message length " + len);
                }
                if (s == seq) {
                    if (type == NLMSG_DONE) {
                        return;
                    }
                    if (type == NLMSG_ERROR) {
                        throw NetnsException.of("sock_diag", -buf.getInt(start + 16), null);
                    }
                    if (type == SOCK_DIAG_BY_FAMILY && len >= 16 + 72) {
                        int m = start + 16;
                        int state = buf.get(m + 1) & 0xff;
                        int port = ((buf.get(m + 4) & 0xff) << 8) | (buf.get(m + 5) & 0xff);
                        byte[] a = new byte[v6 ? 16 : 4];
                        for (int i = 0; i < a.length; i++) {
                            a[i] = buf.get(m + 8 + i);
                        }
                        long inode = buf.getInt(m + 68) & 0xffffffffL;
                        try {
                            out.add(new Socket(protocol, v6, InetAddress.getByAddress(a), port,
                                    String.format("%02X", state), inode));
                        } catch (UnknownHostException impossible) {
                            throw new IllegalStateException(impossible);
                        }
                    }
                }
                buf.position(start + ((len + 3) & ~3));
            }
        }
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
