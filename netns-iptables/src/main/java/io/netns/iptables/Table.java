package io.netns.iptables;

import java.util.List;
import java.util.Locale;

/** An iptables table, with its built-in chains in the order {@code iptables-save} prints them. */
public enum Table {
    /** {@code filter}: INPUT, FORWARD, OUTPUT. */
    FILTER(List.of("INPUT", "FORWARD", "OUTPUT")),
    /** {@code nat}: PREROUTING, INPUT, OUTPUT, POSTROUTING. */
    NAT(List.of("PREROUTING", "INPUT", "OUTPUT", "POSTROUTING")),
    /** {@code mangle}: every hook. */
    MANGLE(List.of("PREROUTING", "INPUT", "FORWARD", "OUTPUT", "POSTROUTING")),
    /** {@code raw}: PREROUTING, OUTPUT. */
    RAW(List.of("PREROUTING", "OUTPUT")),
    /** {@code security}: INPUT, FORWARD, OUTPUT. */
    SECURITY(List.of("INPUT", "FORWARD", "OUTPUT"));

    private final List<String> builtins;

    Table(List<String> builtins) {
        this.builtins = builtins;
    }

    /** @return the name as iptables spells it: {@code filter}, {@code nat}, ... */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** @return the built-in chains */
    public List<String> builtins() {
        return builtins;
    }

    /**
     * @param id a table name as {@code iptables-save} prints it after {@code *}
     * @return the table, or null for a name iptables does not know
     */
    public static Table byId(String id) {
        for (Table t : values()) {
            if (t.id().equals(id)) {
                return t;
            }
        }
        return null;
    }
}
