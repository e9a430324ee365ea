package io.netns.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * The kernel as witness: what a namespace really has, read with iproute2's JSON output
 * ({@code ip -j}) or, from a thread inside, {@code /proc/thread-self/net}; never through the library.
 */
public final class Kernel {
    private Kernel() {
    }

    /**
     * @param ns a namespace name under /run/netns
     * @param dev an interface there
     * @return its global-scope addresses as {@code address/prefixlen} (IPv4 and IPv6), in the kernel's order
     */
    public static List<String> addresses(String ns, String dev) {
        List<String> out = new ArrayList<>();
        for (Map<String, Object> link : Json.objects(Ip.in(ns, "-j", "addr", "show", "dev", dev))) {
            @SuppressWarnings("unchecked")
            List<Map<String, Object>> infos = (List<Map<String, Object>>) link.getOrDefault("addr_info", List.of());
            for (Map<String, Object> a : infos) {
                if ("global".equals(a.get("scope"))) {
                    out.add(a.get("local") + "/" + a.get("prefixlen"));
                }
            }
        }
        return out;
    }

    /**
     * @param ns a namespace name
     * @param dev an interface there
     * @return the one IPv4 address of {@code dev}, without prefix length; fails unless there is exactly one
     */
    public static String ipv4(String ns, String dev) {
        List<String> v4 = addresses(ns, dev).stream().filter(a -> !a.contains(":")).toList();
        if (v4.size() != 1) {
            throw new AssertionError("expected one IPv4 address on " + dev + " in " + ns + ", the kernel has " + v4);
        }
        return v4.get(0).substring(0, v4.get(0).indexOf('/'));
    }

    /**
     * @param ns a namespace name
     * @param bridge a bridge there
     * @return the interface indexes of the bridge's ports ({@code ip -j link show master <bridge>})
     */
    public static List<Long> bridgePorts(String ns, String bridge) {
        return Json.objects(Ip.in(ns, "-j", "link", "show", "master", bridge)).stream()
                .map(l -> (Long) l.get("ifindex")).toList();
    }

    /**
     * @param ns a namespace name
     * @param dev a veth there
     * @return the interface index of its peer (in the peer's namespace), as {@code ip -j link} reports it
     */
    public static long vethPeer(String ns, String dev) {
        Map<String, Object> l = Json.objects(Ip.in(ns, "-j", "link", "show", "dev", dev)).get(0);
        Object peer = l.get("link_index");
        if (peer == null) {
            throw new AssertionError(dev + " in " + ns + " has no peer: " + l);
        }
        return (Long) peer;
    }

    /**
     * Fails unless {@code dev} in {@code ns} is a veth whose peer is a port of {@code bridge} in
     * {@code hostNs}.
     *
     * @param ns the sandbox's namespace name
     * @param dev its interface, e.g. {@code eth0}
     * @param hostNs the namespace of the bridge
     * @param bridge the bridge
     */
    public static void assertOnBridge(String ns, String dev, String hostNs, String bridge) {
        long peer = vethPeer(ns, dev);
        List<Long> ports = bridgePorts(hostNs, bridge);
        if (!ports.contains(peer)) {
            throw new AssertionError(dev + " of " + ns + " (peer ifindex " + peer + ") is not on " + bridge + " of "
                    + hostNs + ", whose ports are " + ports);
        }
    }

    /**
     * The local IPv4 addresses of the calling thread's namespace other than loopback, from
     * {@code /proc/thread-self/net/fib_trie}: call it from a thread inside the namespace.
     *
     * @return the addresses, sorted
     */
    public static List<String> localIpv4Here() {
        List<String> lines;
        try {
            lines = Files.readAllLines(Path.of("/proc/thread-self/net/fib_trie"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        TreeSet<String> out = new TreeSet<>();
        for (int k = 1; k < lines.size(); k++) {
            String l = lines.get(k).strip();
            String prev = lines.get(k - 1).strip();
            if (l.equals("/32 host LOCAL") && prev.startsWith("|-- ")) {
                String ip = prev.substring(4).strip();
                if (!ip.startsWith("127.")) {
                    out.add(ip);
                }
            }
        }
        return new ArrayList<>(out);
    }
}
