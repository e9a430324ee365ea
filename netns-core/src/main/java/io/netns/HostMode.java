package io.netns;

import io.netns.internal.OwnerRecord;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * {@code host}: the sandbox shares the host's stack, its interfaces and its port space. Optional
 * {@linkplain #expose firewall openings} are made while the sandbox lives (they need {@code netns-iptables}
 * on the class path). See {@link NetworkMode#host()}.
 */
public final class HostMode extends ModeSetup implements NetworkMode {
    static final HostMode DEFAULT = new HostMode(List.of());

    private final List<Exposure> exposures;

    private HostMode(List<Exposure> exposures) {
        this.exposures = List.copyOf(exposures);
    }

    /**
     * Opens TCP on these addresses in the host's INPUT chain while the sandbox lives; {@code close()}
     * removes the openings. Default: none.
     *
     * @param addresses IP literals with ports 1..65535
     * @return a new mode with the openings added
     */
    public HostMode expose(InetSocketAddress... addresses) {
        return expose(Protocol.TCP, addresses);
    }

    /**
     * Opens {@code protocol} on these addresses while the sandbox lives. Default: none.
     *
     * @param protocol TCP or UDP
     * @param addresses IP literals with ports 1..65535
     * @return a new mode with the openings added
     */
    public HostMode expose(Protocol protocol, InetSocketAddress... addresses) {
        Objects.requireNonNull(protocol, "protocol");
        List<Exposure> all = new ArrayList<>(exposures);
        for (InetSocketAddress a : addresses) {
            Exposure e = new Exposure(protocol, a);
            if (!all.contains(e)) {
                all.add(e);
            }
        }
        return new HostMode(all);
    }

    /** @return the openings, in the order given */
    public List<Exposure> exposures() {
        return exposures;
    }

    /** A handle on the host's own stack, and the firewall openings of {@link #exposures()}. */
    @Override
    Sandbox setUp(Host host, String name, OwnerRecord record, Cleanup cleanup) throws NetnsException {
        NetNamespace ns = host.namespace().reopen(); // by the held descriptor: the path may mean another now
        cleanup.push("handle " + ns, ns::close);
        if (!exposures.isEmpty()) {
            Firewall fw = Firewall.load();
            Firewall.Owner owner = Firewall.Owner.sandbox(host.id(), name);
            cleanup.push("firewall openings of " + name, () -> fw.remove(host.namespace(), owner));
            record.put("firewall", "1");
            fw.expose(host.namespace(), owner, exposures);
        }
        return new Sandbox(host, name, this, ns, cleanup, null);
    }

    @Override
    public String kind() {
        return "host";
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof HostMode && ((HostMode) o).exposures.equals(exposures);
    }

    @Override
    public int hashCode() {
        return exposures.hashCode();
    }

    @Override
    public String toString() {
        return exposures.isEmpty() ? "host" : "host expose " + exposures;
    }
}
