package io.netns.planner;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * The result of {@link ListenerPlanner#plan()}: one {@link Outcome} per service, their bindings, and renderings
 * as httpd {@code Listen} and nginx {@code listen} lines. Immutable and deterministic: the same inputs in any order
 * give byte-identical results.
 */
public final class ListenerPlan {

    /** Iterates in service-name order. */
    private final Map<String, Outcome> outcomes;

    /** @param outcomes by service name, iterating in name order (a sorted or insertion-ordered map) */
    ListenerPlan(Map<String, Outcome> outcomes) {
        this.outcomes = Collections.unmodifiableMap(outcomes);
    }

    /** @return whether every service is {@link Status#OK} (warnings allowed) */
    public boolean isFeasible() {
        for (Outcome o : outcomes.values()) {
            if (!o.isOk()) {
                return false;
            }
        }
        return true;
    }

    /** @return the service names, sorted */
    public List<String> services() {
        return List.copyOf(outcomes.keySet());
    }

    /** @return every outcome, sorted by service name */
    public List<Outcome> outcomes() {
        return List.copyOf(outcomes.values());
    }

    /**
     * @param name a requested service
     * @return its outcome
     * @throws IllegalArgumentException when no service has that name
     */
    public Outcome outcome(String name) {
        Outcome o = outcomes.get(name);
        if (o == null) {
            throw new IllegalArgumentException("no service named '" + name + "' was requested; services: "
                    + outcomes.keySet());
        }
        return o;
    }

    /**
     * @param name a requested service
     * @return its bindings, sorted by port, address, protocol; empty unless the service is OK
     * @throws IllegalArgumentException when no service has that name
     */
    public List<Binding> bindings(String name) {
        return outcome(name).bindings();
    }

    /** @return every binding of every OK service, sorted by port, address, protocol, service */
    public List<Binding> bindings() {
        List<Binding> all = new ArrayList<>();
        for (Outcome o : outcomes.values()) {
            all.addAll(o.bindings());
        }
        all.sort(null);
        return List.copyOf(all);
    }

    /**
     * Renders httpd 2.4 {@code Listen} directives for one configuration holding the named services: sorted by
     * (port, IPv4 before IPv6, address), never a duplicate line. "All interfaces" becomes {@code Listen N}
     * ({@code Listen 0.0.0.0:N} when only IPv4 is claimed); IPv6 as {@code Listen [2001:db8::1]:80}; {@code https}
     * is appended for TLS on ports other than 443 and {@code http} for plain 443.
     *
     * @param names services to include; none means every service
     * @return the lines, e.g. {@code ["Listen 10.20.30.100:80"]}
     * @throws IllegalArgumentException when a name is unknown
     * @throws IllegalStateException when a named service is not OK (it has no bindings to render)
     * @throws UnsupportedOperationException for what httpd 2.4 cannot express: UDP (Listen is TCP only),
     *     SO_REUSEPORT, IP_FREEBIND, and an IPv6-only {@code [::]} (a v4-mapped build makes it dual-stack)
     */
    public List<String> apacheListen(String... names) {
        return Renderer.apache(select(names));
    }

    /**
     * Renders nginx {@code listen} directives: sorted by (port, IPv4 before IPv6, address, TCP before UDP), never
     * a duplicate line. "All interfaces" becomes {@code listen N;} plus {@code listen [::]:N;}; TLS adds
     * {@code ssl}, SO_REUSEPORT adds {@code reuseport}; UDP lines carry {@code udp} and belong in a
     * {@code stream} server block.
     *
     * @param names services to include; none means every service
     * @return the lines, e.g. {@code ["listen 10.20.30.100:80;"]}
     * @throws IllegalArgumentException when a name is unknown
     * @throws IllegalStateException when a named service is not OK
     * @throws UnsupportedOperationException for what nginx cannot express: IP_FREEBIND and IPv6 zone ids
     */
    public List<String> nginxListen(String... names) {
        return Renderer.nginx(select(names));
    }

    private List<Outcome> select(String... names) {
        List<Outcome> sel = new ArrayList<>();
        if (names == null || names.length == 0) {
            sel.addAll(outcomes.values());
        } else {
            for (String n : names) {
                sel.add(outcome(n));
            }
        }
        for (Outcome o : sel) {
            if (!o.isOk()) {
                throw new IllegalStateException("service " + o.name() + " has no bindings to render: "
                        + o.explanation());
            }
        }
        return sel;
    }

    /**
     * A full, deterministic report: one block per service with status, warnings, bindings and explanation.
     *
     * @return the report
     */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        for (Map.Entry<String, Outcome> e : outcomes.entrySet()) {
            Outcome o = e.getValue();
            sb.append(o.name()).append(' ').append(o.status()).append(' ').append(o.warnings()).append(' ')
                    .append(o.bindings()).append('\n').append("  ").append(o.explanation()).append('\n');
        }
        return sb.toString();
    }
}
