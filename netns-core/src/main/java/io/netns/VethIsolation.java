package io.netns;

import io.netns.internal.Inet;
import io.netns.internal.OwnerRecord;
import io.netns.rtnl.RtnlClient;
import java.net.InetAddress;
import java.util.Map;
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
 * is not destroyed by then is held by something), whichever comes first. A veth of the same name that a
 * new sandbox of the same name made meanwhile is never touched.
 */
final class VethIsolation {
    /** How long a closed sandbox's veth may stay up while its namespace drains. */
    static final long GRACE_MILLIS = 2000;

    private record Closed(String sandbox, String veth) {
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

    /**
     * A sandbox closes, right before its lease is released: remember its veth (no system call here, so
     * closing costs what it did).
     */
    static void closing(Host host, String network, InetAddress ip, String sandbox, String veth) {
        String key = key(host, network, ip);
        Closed c = new Closed(sandbox, veth);
        CLOSED.put(key, c);
        Timer.TIMER.schedule(() -> {
            if (CLOSED.remove(key, c) && !host.isClosed()) {
                // Its own client: the kernel may keep this waiting for the RTNL lock (namespaces being
                // destroyed hold it), and the host's shared client must not wait with it.
                try (RtnlClient own = RtnlClient.open(host.namespace())) {
                    isolate(own, c, false);
                } catch (NetnsException | RuntimeException e) {
                    // the host went away meanwhile: so did its bridge
                }
            }
        }, GRACE_MILLIS, TimeUnit.MILLISECONDS);
    }

    /**
     * An address was just leased, before the leaser's veth is made: a closed sandbox of this JVM that had
     * it is cut off the bridge first.
     */
    static void leased(Host host, RtnlClient rtnl, String network, InetAddress ip, String leaser) throws NetnsException {
        Closed c = CLOSED.remove(key(host, network, ip));
        if (c != null) {
            // The same name again: its own veth is not made yet, so a veth of that name is the old one.
            isolate(rtnl, c, c.sandbox().equals(leaser));
        }
    }

    private static void isolate(RtnlClient rtnl, Closed c, boolean surelyOld) throws NetnsException {
        // Link names are unique in the host: a veth of that name is the closed sandbox's, unless that one is
        // gone and a new sandbox of the same name (whose record is made before its veth) took the name.
        if (!surelyOld && OwnerRecord.read(c.sandbox()) != null) {
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
