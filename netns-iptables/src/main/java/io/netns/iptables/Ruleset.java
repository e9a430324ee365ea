package io.netns.iptables;

import io.netns.Firewall;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What {@code iptables-save} printed, parsed: per table its chains (with their policies) and its rules.
 * Parsing is tolerant: tables iptables does not know, foreign chains and rules whose options this library
 * never writes are all kept, each rule as its opaque line; comments and unknown lines are skipped.
 */
public final class Ruleset {
    /** The comment on the library's jump rules from the built-in chains to its own. */
    public static final String JUMP_TAG = "netns:chain";

    /**
     * One table of the dump.
     *
     * @param name the table's name
     * @param chains chain name to policy ({@code ACCEPT}/{@code DROP} for built-ins, {@code -} for user chains)
     * @param rules the rules, in the printed order
     */
    public record TableDump(String name, Map<String, String> chains, List<SavedRule> rules) {
        /**
         * Copies the values.
         *
         * @param name the table's name
         * @param chains chain name to policy ({@code ACCEPT}/{@code DROP} for built-ins, {@code -} for user chains)
         * @param rules the rules, in the printed order
         */
        public TableDump {
            chains = Collections.unmodifiableMap(new LinkedHashMap<>(chains));
            rules = List.copyOf(rules);
        }
    }

    private static final Ruleset EMPTY = new Ruleset(Map.of());

    private final Map<String, TableDump> tables;

    private Ruleset(Map<String, TableDump> tables) {
        this.tables = tables;
    }

    /** @return a ruleset with no tables, as {@code iptables-save} prints when nothing is loaded */
    public static Ruleset empty() {
        return EMPTY;
    }

    /**
     * Parses {@code iptables-save} (or {@code ip6tables-save}) output.
     *
     * @param save the output
     * @return the ruleset
     * @throws IllegalArgumentException if a chain or rule line appears outside a table
     */
    public static Ruleset parse(String save) {
        Map<String, TableDump> tables = new LinkedHashMap<>();
        String table = null;
        Map<String, String> chains = null;
        List<SavedRule> rules = null;
        int n = 0;
        for (String raw : save.split("\n", -1)) {
            n++;
            String line = raw.strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            if (line.startsWith("*")) {
                table = line.substring(1);
                chains = new LinkedHashMap<>();
                rules = new ArrayList<>();
            } else if (line.equals("COMMIT")) {
                if (table != null) {
                    tables.put(table, new TableDump(table, chains, rules));
                }
                table = null;
            } else if (line.startsWith(":") || line.startsWith("-A ")) {
                if (table == null) {
                    throw new IllegalArgumentException("iptables-save line " + n + " is outside a table: " + line);
                }
                if (line.startsWith(":")) {
                    String[] p = line.substring(1).split(" ");
                    chains.put(p[0], p.length > 1 ? p[1] : "-");
                } else {
                    rules.add(SavedRule.parse(table, line));
                }
            }
        }
        return new Ruleset(Collections.unmodifiableMap(tables));
    }

    /** @return the tables, by name, in the printed order */
    public Map<String, TableDump> tables() {
        return tables;
    }

    /**
     * @param table a table
     * @return its rules, or an empty list when the dump has no such table
     */
    public List<SavedRule> rules(Table table) {
        TableDump t = tables.get(table.id());
        return t == null ? List.of() : t.rules();
    }

    /** @return every rule of every table */
    public List<SavedRule> rules() {
        List<SavedRule> all = new ArrayList<>();
        for (TableDump t : tables.values()) {
            all.addAll(t.rules());
        }
        return all;
    }

    /**
     * @param chain a chain
     * @return whether the dump declares it
     */
    public boolean hasChain(Chain chain) {
        TableDump t = tables.get(chain.table().id());
        return t != null && t.chains().containsKey(chain.name());
    }

    /**
     * @param chain a built-in chain
     * @return its policy, or null when the dump does not have it
     */
    public String policy(Chain chain) {
        TableDump t = tables.get(chain.table().id());
        return t == null ? null : t.chains().get(chain.name());
    }

    /**
     * @param chain one of the library's chains
     * @return whether its built-in parent jumps to it with the library's jump rule
     */
    public boolean hasJump(Chain chain) {
        String parent = chain.parent().name();
        for (SavedRule r : rules(chain.table())) {
            if (r.chain().equals(parent) && JUMP_TAG.equals(r.comment()) && chain.name().equals(r.targetName())) {
                return true;
            }
        }
        return false;
    }

    /**
     * @param tag an owner's tag
     * @return the rules whose comment is exactly that tag
     */
    public List<SavedRule> tagged(String tag) {
        List<SavedRule> out = new ArrayList<>();
        for (SavedRule r : rules()) {
            if (tag.equals(r.comment())) {
                out.add(r);
            }
        }
        return out;
    }

    /**
     * @param rule a rule
     * @return how many rules of the dump are equal to it
     */
    public int count(Rule rule) {
        int n = 0;
        for (SavedRule r : rules(rule.chain().table())) {
            if (r.chain().equals(rule.chain().name()) && java.util.Objects.equals(rule.comment(), r.comment())
                    && rule.equals(r.toRule())) {
                n++;
            }
        }
        return n;
    }

    /** @return every owner with a tagged rule */
    public Set<Firewall.Owner> owners() {
        Set<Firewall.Owner> out = new LinkedHashSet<>();
        for (SavedRule r : rules()) {
            Firewall.Owner o = r.owner();
            if (o != null) {
                out.add(o);
            }
        }
        return out;
    }
}
