package io.netns.bench;

import io.netns.Host;
import io.netns.NetNamespace;
import io.netns.NetnsException;

/**
 * A lab host for the benchmarks: {@link Host#createLab} when it works, else (while {@code lo} cannot be
 * brought up yet, before rtnetlink lands) {@link Host#of} over a fresh {@link NetNamespace#create namespace},
 * which is enough for the modes that do not need {@code lo}. Either way nothing touches the real machine's
 * stack, and {@link #close()} removes the lab namespace.
 */
public final class Lab implements AutoCloseable {
    private final Host host;
    private final NetNamespace own;

    private Lab(Host host, NetNamespace own) {
        this.host = host;
        this.own = own;
    }

    /**
     * @param tag a short tag for the name, {@code bench-lab<tag>...}
     * @return a lab host
     * @throws NetnsException if no namespace can be made
     */
    public static Lab open(String tag) throws NetnsException {
        String name = Names.unique("lab" + tag);
        try {
            return new Lab(Host.createLab(name), null);
        } catch (UnsupportedOperationException notYet) {
            NetNamespace ns = NetNamespace.create(name);
            try {
                return new Lab(Host.of(ns), ns);
            } catch (RuntimeException | Error e) {
                try {
                    ns.close();
                    ns.delete();
                } catch (NetnsException | RuntimeException undo) {
                    e.addSuppressed(undo);
                }
                throw e;
            }
        }
    }

    /** @return the host */
    public Host host() {
        return host;
    }

    /** @return whether this is a real {@link Host#createLab} lab ({@code lo} up) */
    public boolean isFullLab() {
        return own == null;
    }

    @Override
    public void close() throws NetnsException {
        try {
            host.close();
        } finally {
            if (own != null) {
                try {
                    own.close();
                } finally {
                    own.delete();
                }
            }
        }
    }
}
