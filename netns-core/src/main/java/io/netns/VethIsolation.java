package io.netns;

import io.netns.internal.Inet;
import io.netns.rtnl.Link;
import io.netns.rtnl.RtnlClient;
import java.net.InetAddress;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Makes sure a closed bridge sandbox's namespace, should it outlive {@code close()} (a socket, thread or
 * process still holds it), can no longer answer for its address on the bridge once that address may be
 * somebody else's: the host side of its veth is set down (one netlink message; a delete would cost ≈15 ms).
 *
 * <p>Not at once: setting the link down at close would also stop the sandbox's TCP connections from
 * finishing their close handshake, and such orphaned sockets hold the namespace (and its veth) for up to a
 * minute. So closing remembers the veth (name and ifindex) and sets it down when the address is leased
 * again by this JVM, or after {@value #GRACE_MILLIS} ms if the veth is still there then (a namespace that
 * is not destroyed by then is held by something), whichever comes first. The ifindex check makes sure a
 * later veth of the same name is never touched.
 */
final class VethIsolation {
    /** How long a closed sandbox's veth may stay up while its namespace drains. */
    static final long GRACE_MILLIS = 2000;

    private record Closed(Host host, String veth, int index) {
    }

    private static final Map<String, Closed> CLOSED = new ConcurrentHashMap<>();

    private static final class Timer {
        static final ScheduledExecutorService TIMER =
                Executors.newSingleThreadScheduledExecutor(Netns.homeThreads("netns-veth-isolation"));
    }

    private VethIsolation() {
    }

    private static String key(Host host, String network, InetAddress ip) {
        return host.id() + "/" + network + "/" + Inet.toText(ip);
    }

    /** A sandbox closes, right before its lease is released: remember its veth, if it is still there. */
    static void closing(Host host, RtnlClient rtnl, String network, InetAddress ip, String veth) throws NetnsException {
        Optional<Link> l = rtnl.link(veth);
        if (l.isEmpty()) {
            return; // the namespace is gone already, and its veth with it
        }
        String key = key(host, network, ip);
        Closed c = new Closed(host, veth, l.get().index());
        CLOSED.put(key, c);
        Timer.TIMER.schedule(() -> {
            if (CLOSED.remove(key, c)) {
                try {
                    if (!host.isClosed()) {
                        isolate(host.rtnl(), c);
                    }
                } catch (NetnsException | RuntimeException e) {
                    // the host went away meanwhile: so did its bridge
                }
            }
        }, GRACE_MILLIS, TimeUnit.MILLISECONDS);
    }

    /** An address was just leased: a closed sandbox of this JVM that had it is cut off the bridge first. */
    static void leased(Host host, RtnlClient rtnl, String network, InetAddress ip) throws NetnsException {
        Closed c = CLOSED.remove(key(host, network, ip));
        if (c != null) {
            isolate(rtnl, c);
        }
    }

    private static void isolate(RtnlClient rtnl, Closed c) throws NetnsException {
        Optional<Link> l = rtnl.link(c.veth());
        if (l.isEmpty() || l.get().index() != c.index()) {
            return;
        }
        try {
            rtnl.setDown(c.veth());
        } catch (NetlinkException e) {
            if (!"ENODEV".equals(e.errnoName())) {
                throw e;
            }
        }
    }
}
