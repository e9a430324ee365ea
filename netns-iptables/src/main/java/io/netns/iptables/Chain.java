package io.netns.iptables;

import java.util.Objects;

/**
 * A chain of a table: a built-in one, or a user chain such as the library's own {@code NETNS-*} chains.
 *
 * @param table the table
 * @param name 1 to 28 characters from {@code [A-Za-z0-9_.-]} (the kernel's limit is 28 plus the NUL)
 */
public record Chain(Table table, String name) {
    /** The longest chain name iptables accepts. */
    public static final int MAX_NAME = 28;

    /** filter {@code NETNS-INPUT}: host-mode openings. */
    public static final Chain NETNS_INPUT = new Chain(Table.FILTER, "NETNS-INPUT");
    /** filter {@code NETNS-FORWARD}: forwarding of bridge networks and published ports. */
    public static final Chain NETNS_FORWARD = new Chain(Table.FILTER, "NETNS-FORWARD");
    /**
     * filter {@code NETNS-ISOLATION}: the isolation between bridge networks (Docker's
     * {@code DOCKER-ISOLATION-STAGE-2}), jumped to from {@code NETNS-FORWARD} for traffic leaving a
     * network's bridge for another interface.
     */
    public static final Chain NETNS_ISOLATION = new Chain(Table.FILTER, "NETNS-ISOLATION");
    /** nat {@code NETNS-POSTROUTING}: masquerade of bridge networks, hairpin and localhost traffic. */
    public static final Chain NETNS_POSTROUTING = new Chain(Table.NAT, "NETNS-POSTROUTING");

    /**
     * Checks the values.
     *
     * @param table the table
     * @param name 1 to 28 characters from {@code [A-Za-z0-9_.-]} (the kernel's limit is 28 plus the NUL)
     */
    public Chain {
        Objects.requireNonNull(table, "table");
        checkName(name);
    }

    /**
     * @param table the table
     * @param name the chain name
     * @return the chain
     * @throws IllegalArgumentException if the name is not a valid chain name
     */
    public static Chain of(Table table, String name) {
        return new Chain(table, name);
    }

    /** @return whether this is one of the table's built-in chains */
    public boolean isBuiltin() {
        return table.builtins().contains(name);
    }

    /**
     * @return the built-in chain the library jumps to this chain from ({@code NETNS-INPUT} from
     *     {@code INPUT}), for the library's own chains; for {@link #NETNS_ISOLATION}, which the rules of
     *     each network jump to, no built-in chain
     * @throws IllegalStateException for another chain
     */
    public Chain parent() {
        if (!name.startsWith("NETNS-")) {
            throw new IllegalStateException(this + " is not a netns chain");
        }
        return new Chain(table, name.substring(6));
    }

    static String checkName(String name) {
        if (name == null || name.isEmpty() || name.length() > MAX_NAME) {
            throw new IllegalArgumentException("chain name must be 1.." + MAX_NAME + " characters: "
                    + (name == null ? "null" : "\"" + io.netns.internal.Names.printable(name) + "\""));
        }
        if (!Rule.isName(name) || name.charAt(0) == '-') {
            throw new IllegalArgumentException("chain name may contain only letters, digits, '_', '.' and '-' "
                    + "and must not start with '-': \"" + io.netns.internal.Names.printable(name) + "\"");
        }
        return name;
    }

    /** @return whether the library jumps to this chain once from a built-in chain (all but {@link #NETNS_ISOLATION}) */
    public boolean jumpedFromBuiltin() {
        return name.startsWith("NETNS-") && parent().isBuiltin();
    }

    /** @return {@code nat/NETNS-PREROUTING} */
    @Override
    public String toString() {
        return table.id() + "/" + name;
    }
}
