package io.netns.iptables;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Builds the input of one {@code iptables-restore --noflush} transaction: per table, the chains to
 * declare, the rules to delete, insert and append, and {@code COMMIT}.
 *
 * <p>Declare only chains that do not exist yet: under {@code --noflush}, {@code :CHAIN - [0:0]} for an
 * existing chain <em>flushes</em> it (iptables-nft 1.8.9 does). Within a table, deletions come first,
 * then insertions, then appends. {@code iptables-restore} commits each table on its own, so a change
 * spanning filter and nat is atomic per table only.
 *
 * <pre>{@code
 * *filter
 * :NETNS-INPUT - [0:0]
 * -I INPUT 1 -m comment --comment "netns:chain" -j NETNS-INPUT
 * -A NETNS-INPUT -d 10.20.30.100/32 -p tcp -m tcp --dport 80 -m comment --comment "netns:lab/sandbox/h1" -j ACCEPT
 * COMMIT
 * }</pre>
 */
public final class IptablesRestoreWriter {
    private static final class Section {
        final Set<String> declare = new LinkedHashSet<>();
        final List<String> delete = new ArrayList<>();
        final List<String> insert = new ArrayList<>();
        final List<String> append = new ArrayList<>();

        boolean isEmpty() {
            return declare.isEmpty() && delete.isEmpty() && insert.isEmpty() && append.isEmpty();
        }
    }

    private final Map<Table, Section> sections = new EnumMap<>(Table.class);

    /** Starts an empty transaction. */
    public IptablesRestoreWriter() {
    }

    private Section section(Table t) {
        return sections.computeIfAbsent(t, k -> new Section());
    }

    /**
     * Declares a user chain. Call it only for a chain that does not exist.
     *
     * @param chain the chain
     * @return this
     * @throws IllegalArgumentException for a built-in chain
     */
    public IptablesRestoreWriter declare(Chain chain) {
        if (chain.isBuiltin()) {
            throw new IllegalArgumentException("built-in chains are never declared (their policy would be reset): " + chain);
        }
        section(chain.table()).declare.add(chain.name());
        return this;
    }

    /**
     * @param rule a rule to insert first in its chain
     * @return this
     */
    public IptablesRestoreWriter insert(Rule rule) {
        section(rule.chain().table()).insert.add(rule.insertLine());
        return this;
    }

    /**
     * @param rule a rule to append to its chain
     * @return this
     */
    public IptablesRestoreWriter append(Rule rule) {
        section(rule.chain().table()).append.add(rule.appendLine());
        return this;
    }

    /**
     * @param rule a rule to delete (one instance)
     * @return this
     */
    public IptablesRestoreWriter delete(Rule rule) {
        section(rule.chain().table()).delete.add(rule.deleteLine());
        return this;
    }

    /**
     * Deletes a rule as {@code iptables-save} printed it. The line is the dump's own; callers pass only
     * rules whose comment is one of the library's tags.
     *
     * @param rule the rule
     * @return this
     * @throws IllegalArgumentException if the rule's table is not one iptables knows
     */
    public IptablesRestoreWriter delete(SavedRule rule) {
        Table t = Table.byId(rule.table());
        if (t == null) {
            throw new IllegalArgumentException("unknown table: " + rule.table());
        }
        String line = rule.deleteLine();
        if (line.indexOf('\n') >= 0 || line.indexOf('\r') >= 0) {
            throw new IllegalArgumentException("a rule line must be one line");
        }
        section(t).delete.add(line);
        return this;
    }

    /** @return whether there is nothing to change */
    public boolean isEmpty() {
        return sections.values().stream().allMatch(Section::isEmpty);
    }

    /** @return the tables this change touches */
    public Set<Table> tables() {
        Set<Table> out = new LinkedHashSet<>();
        sections.forEach((t, s) -> {
            if (!s.isEmpty()) {
                out.add(t);
            }
        });
        return out;
    }

    /** @return the restore input, tables in {@link Table} order, each ending with {@code COMMIT} */
    public String render() {
        StringBuilder b = new StringBuilder();
        sections.forEach((t, s) -> {
            if (s.isEmpty()) {
                return;
            }
            b.append('*').append(t.id()).append('\n');
            for (String c : s.declare) {
                b.append(':').append(c).append(" - [0:0]\n");
            }
            for (String l : s.delete) {
                b.append(l).append('\n');
            }
            for (String l : s.insert) {
                b.append(l).append('\n');
            }
            for (String l : s.append) {
                b.append(l).append('\n');
            }
            b.append("COMMIT\n");
        });
        return b.toString();
    }

    @Override
    public String toString() {
        return render();
    }
}
