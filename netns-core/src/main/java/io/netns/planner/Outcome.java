package io.netns.planner;

import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/** The planner's verdict for one service: status, warnings, explanation and (when OK) bindings. Immutable. */
public final class Outcome {

    private final ListenRequest request;
    private final Status status;
    private final Set<Warning> warnings;
    private final String explanation;
    private final List<Binding> bindings;

    Outcome(ListenRequest request, Status status, Set<Warning> warnings, String explanation, List<Binding> bindings) {
        this.request = request;
        this.status = status;
        this.warnings = Collections.unmodifiableSet(warnings.isEmpty() ? EnumSet.noneOf(Warning.class)
                : EnumSet.copyOf(warnings));
        this.explanation = explanation;
        this.bindings = List.copyOf(bindings);
    }

    /** @return the service name */
    public String name() {
        return request.name;
    }

    /** @return the request this outcome answers */
    public ListenRequest request() {
        return request;
    }

    /** @return the verdict */
    public Status status() {
        return status;
    }

    /** @return whether the status is {@link Status#OK} (warnings allowed) */
    public boolean isOk() {
        return status == Status.OK;
    }

    /** @return the warnings, in declaration order; empty when there are none */
    public Set<Warning> warnings() {
        return warnings;
    }

    /**
     * @return for a non-OK outcome: the blocker (an existing socket in notation, or the planned service that took
     *     the address), the rule that applied and a concrete remedy; for OK: what was chosen and why any warning
     *     was raised
     */
    public String explanation() {
        return explanation;
    }

    /** @return the bindings, sorted by port, address and protocol; empty unless OK */
    public List<Binding> bindings() {
        return bindings;
    }

    /** @return {@code name: STATUS [WARNINGS] bindings — explanation} */
    @Override
    public String toString() {
        return request.name + ": " + status + " " + warnings + " " + bindings + " - " + explanation;
    }
}
