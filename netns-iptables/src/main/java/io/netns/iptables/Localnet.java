package io.netns.iptables;

import io.netns.NetNamespace;
import io.netns.NetnsException;
import io.netns.Sysctl;
import io.netns.internal.StateDir;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * Internal use only: {@code net.ipv4.conf.all.route_localnet} of a host, which lets the host DNAT its own
 * 127.0.0.1 to a sandbox. Switched on by the first publication that needs it, after its guard exists
 * ({@link NatTable#GUARD_TAG}); switched back to the value it had before when the last rule that needs it
 * goes. The value before is kept in {@code /run/netns.d/localnet/<host id>} (with the namespace's inode,
 * so a file of an earlier namespace of the same name is not taken for this one's), so every JVM and a
 * flushed firewall agree on it. Called with the firewall lock held.
 */
final class Localnet {
    static final String SYSCTL = "net.ipv4.conf.all.route_localnet";

    private Localnet() {
    }

    static Path file(String hostId) {
        return StateDir.path("localnet", hostId);
    }

    /**
     * Records the current value (unless recorded already), then sets 1.
     *
     * @return whether the sysctl was changed now
     * @throws NetnsException if it cannot be set; nothing is recorded then
     */
    static boolean enable(NetNamespace host, String hostId) throws NetnsException {
        String now = Sysctl.read(host, SYSCTL).strip();
        Path f = file(hostId);
        String recorded = previous(host, f);
        if (now.equals("1")) {
            return false; // on already: by us (recorded) or by someone else (left to them)
        }
        if (recorded == null) {
            StateDir.delete(f); // a stale record of an earlier namespace of this name
            StateDir.createExclusive(f, ("inode=" + host.inode() + "\nprevious=" + now + "\n")
                    .getBytes(StandardCharsets.US_ASCII));
        }
        try {
            Sysctl.write(host, SYSCTL, "1");
        } catch (NetnsException | RuntimeException e) {
            if (recorded == null) {
                StateDir.delete(f);
            }
            throw e;
        }
        return true;
    }

    /**
     * Puts the value recorded by {@link #enable} back and forgets it; nothing when there is no record.
     *
     * @return whether the sysctl was changed
     */
    static boolean restore(NetNamespace host, String hostId) throws NetnsException {
        Path f = file(hostId);
        String previous = previous(host, f);
        if (previous == null) {
            return false;
        }
        boolean changed = false;
        if (!previous.equals(Sysctl.read(host, SYSCTL).strip())) {
            Sysctl.write(host, SYSCTL, previous);
            changed = true;
        }
        StateDir.delete(f);
        return changed;
    }

    /** @return the value recorded for this namespace, or null */
    static String previous(NetNamespace host, Path f) throws NetnsException {
        String text = StateDir.read(f);
        if (text == null || !text.startsWith("inode=" + host.inode() + "\n")) {
            return null;
        }
        for (String line : text.split("\n")) {
            if (line.startsWith("previous=") && line.substring(9).matches("[0-9]+")) {
                return line.substring(9);
            }
        }
        return null;
    }
}
