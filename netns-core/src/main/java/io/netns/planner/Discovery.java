package io.netns.planner;

import io.netns.NetNamespace;
import io.netns.NetnsException;
import io.netns.Sysctl;
import io.netns.internal.nl.Nl;
import io.netns.internal.nl.SockDiag;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Internal use only. What {@link ListenerPlanner#discover(NetNamespace)} reads inside a namespace besides its
 * addresses: the sockets (sock_diag, from a thread inside), their holders ({@code /proc/<pid>/fd}) and the port
 * sysctls (read from a thread inside).
 */
final class Discovery {

    private Discovery() {
    }

    /** The sockets of the namespace, each with its holder where a process holding it can be found. */
    static List<ExistingSocket> sockets(NetNamespace ns) throws NetnsException {
        List<SockDiag.Socket> all = ns.call(() -> {
            List<SockDiag.Socket> s = new ArrayList<>(SockDiag.dump(SockDiag.IPPROTO_TCP, SockDiag.ALL_STATES));
            s.addAll(SockDiag.dump(SockDiag.IPPROTO_UDP, SockDiag.ALL_STATES));
            return s;
        });
        Map<Long, String> holders = holders(all);
        List<ExistingSocket> out = new ArrayList<>(all.size());
        for (SockDiag.Socket s : all) {
            ExistingSocket e = toExisting(s, holders.get(s.inode()));
            if (e != null) {
                out.add(e);
            }
        }
        return out;
    }

    /** One sock_diag socket in the planner's terms; null for one that holds no port (unbound). */
    static ExistingSocket toExisting(SockDiag.Socket s, String holder) {
        if (s.port() == 0) {
            return null;
        }
        boolean tcp = s.protocol() == SockDiag.IPPROTO_TCP;
        String state = null;
        if (tcp) {
            if (s.state() <= 0 || s.state() >= ExistingSocket.TCP_STATES.length) {
                return null; // a state this planner does not know holds nothing it can reason about
            }
            state = ExistingSocket.TCP_STATES[s.state()];
        }
        boolean six = s.family() == Nl.AF_INET6;
        Ip ip = Ip.of(s.local().getAddress(), null);
        Boolean v6only = ip.isV6() && ip.isAny() && s.v6only() >= 0 ? s.v6only() == 1 : null;
        // TIME_WAIT and request sockets are not full sockets: their uid field is not an owner
        int uid = s.inode() != 0 ? s.uid() : -1;
        return new ExistingSocket(tcp ? Protocol.TCP : Protocol.UDP, six, state, ip, s.port(), v6only, uid, holder);
    }

    /**
     * The process holding each socket inode, as {@code ss -p} finds it: {@code /proc/<pid>/fd/*} links to
     * {@code socket:[inode]}. Names the lowest pid ({@code apache2, pid 812}). Processes that vanish or cannot
     * be read are skipped; only the inodes of {@code sockets} are looked for.
     */
    static Map<Long, String> holders(List<SockDiag.Socket> sockets) {
        Map<Long, String> out = new HashMap<>();
        java.util.Set<Long> wanted = new java.util.HashSet<>();
        for (SockDiag.Socket s : sockets) {
            if (s.inode() != 0 && s.port() != 0) {
                wanted.add(s.inode());
            }
        }
        if (wanted.isEmpty()) {
            return out;
        }
        List<Long> pids = new ArrayList<>();
        try (DirectoryStream<Path> procs = Files.newDirectoryStream(Path.of("/proc"), "[0-9]*")) {
            for (Path p : procs) {
                pids.add(Long.parseLong(p.getFileName().toString()));
            }
        } catch (IOException | NumberFormatException e) {
            return out;
        }
        pids.sort(null);
        for (long pid : pids) {
            Path fd = Path.of("/proc", Long.toString(pid), "fd");
            try (DirectoryStream<Path> fds = Files.newDirectoryStream(fd)) {
                for (Path f : fds) {
                    String target;
                    try {
                        target = Files.readSymbolicLink(f).toString();
                    } catch (IOException e) {
                        continue; // closed meanwhile
                    }
                    if (target.startsWith("socket:[") && target.endsWith("]")) {
                        long inode = Long.parseLong(target.substring(8, target.length() - 1));
                        if (wanted.contains(inode) && !out.containsKey(inode)) {
                            out.put(inode, comm(pid) + ", pid " + pid);
                        }
                    }
                }
            } catch (IOException | RuntimeException e) {
                // gone, or not ours to read
            }
            if (out.size() == wanted.size()) {
                break;
            }
        }
        return out;
    }

    private static String comm(long pid) {
        try {
            return new String(Files.readAllBytes(Path.of("/proc", Long.toString(pid), "comm")),
                    StandardCharsets.UTF_8).trim();
        } catch (IOException e) {
            return "?";
        }
    }

    /** The port sysctls of the namespace, read from a thread inside; a missing one keeps its default. */
    static KernelPorts kernel(NetNamespace ns) throws NetnsException {
        KernelPorts k = KernelPorts.defaults();
        String s = sysctl(ns, "net.ipv4.ip_unprivileged_port_start");
        if (s != null) {
            k = k.unprivilegedPortStart(Integer.parseInt(s.trim()));
        }
        s = sysctl(ns, "net.ipv4.ip_local_port_range");
        if (s != null) {
            String[] r = s.trim().split("\\s+");
            k = k.ephemeralRange(Integer.parseInt(r[0]), Integer.parseInt(r[1]));
        }
        s = sysctl(ns, "net.ipv4.ip_local_reserved_ports");
        if (s != null) {
            k = k.reserved(s);
        }
        String nl4 = sysctl(ns, "net.ipv4.ip_nonlocal_bind");
        String nl6 = sysctl(ns, "net.ipv6.ip_nonlocal_bind");
        k = k.nonlocalBind(nl4 != null && !nl4.trim().equals("0"), nl6 != null && !nl6.trim().equals("0"));
        String v6only = sysctl(ns, "net.ipv6.bindv6only");
        return k.bindV6only(v6only != null && !v6only.trim().equals("0"));
    }

    private static String sysctl(NetNamespace ns, String key) throws NetnsException {
        try {
            return Sysctl.read(ns, key);
        } catch (NetnsException e) {
            if (key.startsWith("net.ipv6.")) {
                return null; // IPv6 disabled in this kernel: no such key, the default applies
            }
            throw e;
        }
    }
}
