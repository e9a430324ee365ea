package io.netns;

import io.netns.internal.Inet;
import io.netns.internal.Inet.Cidr;
import io.netns.internal.StateDir;
import io.netns.internal.posix.Native;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * Address management for bridge networks, safe between threads and between JVMs.
 *
 * <p>A lease is a file {@code /run/netns.d/ipam/<host>/<network>/<ip>} holding the sandbox's name (both
 * families of a dual-stack network in the one directory, e.g. {@code 10.89.0.2} and {@code fd12:3456:789a::2}), made
 * with {@code O_CREAT|O_EXCL}: the kernel's atomic create is the lock, so two JVMs never hand out one
 * address, and no lock is held between calls. Release deletes the file. A per-network cursor remembers
 * where the last lease was made, so the next one usually succeeds at the first try (next fit) instead of
 * scanning the taken addresses from the start. Leases of dead processes are removed by
 * {@link Host#reclaim()}. The network address, the gateway (the first address) and the last address (for IPv4 the
 * broadcast address) are never leased, nor any address an interface of the host holds (the real gateway of
 * a bridge netns did not make, for one).
 */
final class Ipam {
    static final Path DIR = StateDir.path("ipam");

    private static final Map<String, Long> CURSORS = new HashMap<>();

    private Ipam() {
    }

    static InetAddress lease(String host, String network, Cidr subnet, InetAddress wanted, String owner,
            Set<InetAddress> held) throws NetnsException {
        Path dir = DIR.resolve(host).resolve(network);
        long size = subnet.hostBits() >= 62 ? Long.MAX_VALUE : 1L << subnet.hostBits();
        long first = 2;
        long last = size - 2; // the broadcast address is size - 1
        if (wanted != null) {
            if (!subnet.contains(wanted) || wanted.equals(subnet.address(0)) || wanted.equals(subnet.address(1))
                    || wanted.equals(subnet.address(size - 1))) {
                throw new IllegalArgumentException("bridge ip " + Inet.toText(wanted) + " cannot be leased in " + subnet
                        + ": the network, gateway and broadcast addresses are reserved");
            }
            if (held.contains(wanted)) {
                throw NetnsException.failure("ipam", "address " + Inet.toText(wanted) + " of " + subnet
                        + " is held by an interface of host " + host + "; it cannot be leased to a sandbox");
            }
            if (!tryLease(dir, wanted, owner)) {
                throw NetnsException.failure("ipam", "address " + Inet.toText(wanted) + " of " + subnet
                        + " is taken by sandbox '" + holder(dir, wanted) + "'");
            }
            return wanted;
        }
        String key = cursorKey(host, network, subnet.isIpv6());
        long start;
        synchronized (CURSORS) {
            start = CURSORS.getOrDefault(key, first);
        }
        long span = last - first + 1;
        for (long i = 0; i < span; i++) {
            long n = first + Math.floorMod(start - first + i, span);
            InetAddress a = subnet.address(n);
            if (!held.contains(a) && tryLease(dir, a, owner)) {
                synchronized (CURSORS) {
                    CURSORS.put(key, n + 1 > last ? first : n + 1);
                }
                return a;
            }
        }
        throw NetnsException.failure("ipam", "subnet " + subnet + " of bridge network '" + network + "' is exhausted: all "
                + span + " addresses are leased (close sandboxes, run host.reclaim() after a crash, or use a larger subnet)");
    }

    /** A network was made anew: leasing starts again from its first address. */
    static void reset(String host, String network) {
        synchronized (CURSORS) {
            CURSORS.remove(cursorKey(host, network, false));
            CURSORS.remove(cursorKey(host, network, true));
        }
    }

    /** Each family of a dual-stack network has its own cursor. */
    private static String cursorKey(String host, String network, boolean ipv6) {
        return host + "/" + network + (ipv6 ? "/6" : "");
    }

    private static boolean tryLease(Path dir, InetAddress a, String owner) throws NetnsException {
        return StateDir.createExclusive(dir.resolve(Inet.toText(a)), owner.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * A network was removed: its lease directory goes when no lease is left in it, and the host's directory
     * when no network is left in that. A directory still holding a lease (of another JVM) stays.
     */
    static void forget(String host, String network) {
        StateDir.deleteIfEmpty(DIR.resolve(host).resolve(network));
        StateDir.deleteIfEmpty(DIR.resolve(host));
    }

    /** A host's namespace was deleted: every empty lease directory of it goes. */
    static void forgetHost(String host) {
        Path dir = DIR.resolve(host);
        try {
            for (Path n : StateDir.list(dir)) {
                StateDir.deleteIfEmpty(n);
            }
        } catch (NetnsException e) {
            return; // not ours to clean
        }
        StateDir.deleteIfEmpty(dir);
    }

    private static String holder(Path dir, InetAddress a) {
        String h = StateDir.readOrNull(dir.resolve(Inet.toText(a)));
        return h == null ? "?" : h;
    }

    /** Releases a lease if {@code owner} holds it. */
    static void release(String host, String network, InetAddress a, String owner) {
        Path f = DIR.resolve(host).resolve(network).resolve(Inet.toText(a));
        if (owner.equals(StateDir.readOrNull(f))) {
            StateDir.delete(f);
        }
    }
}
