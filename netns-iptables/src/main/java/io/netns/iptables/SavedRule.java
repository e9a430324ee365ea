package io.netns.iptables;

import io.netns.Firewall;
import java.util.ArrayList;
import java.util.List;

/**
 * A rule as {@code iptables-save} printed it. Foreign rules are kept as they were printed: the line is
 * never rewritten, only read for its chain and comment, and handed back to {@code iptables-restore} as
 * {@code -D} only when its comment is a tag of ours.
 *
 * @param table the table's name ({@code filter}, {@code nat}, or one iptables does not know)
 * @param chain the chain's name
 * @param line the line, e.g. {@code -A NETNS-INPUT -p tcp -m tcp --dport 80 -m comment --comment "..." -j ACCEPT}
 * @param args the arguments after {@code -A CHAIN}, unquoted
 * @param comment the text of its {@code -m comment --comment}, or null
 */
public record SavedRule(String table, String chain, String line, List<String> args, String comment) {
    /**
     * Copies the arguments.
     *
     * @param table the table's name ({@code filter}, {@code nat}, or one iptables does not know)
     * @param chain the chain's name
     * @param line the line, e.g. {@code -A NETNS-INPUT -p tcp -m tcp --dport 80 -m comment --comment "..." -j ACCEPT}
     * @param args the arguments after {@code -A CHAIN}, unquoted
     * @param comment the text of its {@code -m comment --comment}, or null
     */
    public SavedRule {
        args = List.copyOf(args);
    }

    /**
     * Parses one {@code -A} line.
     *
     * @param table the table it is under
     * @param line the line
     * @return the rule
     * @throws IllegalArgumentException if the line is not {@code -A CHAIN ...}
     */
    public static SavedRule parse(String table, String line) {
        List<String> tokens = tokenize(line);
        if (tokens.size() < 2 || !tokens.get(0).equals("-A")) {
            throw new IllegalArgumentException("not an iptables-save rule line: " + line);
        }
        List<String> args = tokens.subList(2, tokens.size());
        String comment = null;
        for (int i = 0; i + 3 < args.size(); i++) {
            if (args.get(i).equals("-m") && args.get(i + 1).equals("comment") && args.get(i + 2).equals("--comment")) {
                comment = args.get(i + 3);
                break;
            }
        }
        return new SavedRule(table, tokens.get(1), line, args, comment);
    }

    /** @return the owner whose tag is this rule's comment, or null */
    public Firewall.Owner owner() {
        return Firewall.Owner.parse(comment);
    }

    /** @return the line that deletes exactly this rule: {@code -D CHAIN ...} as printed */
    public String deleteLine() {
        return "-D" + line.substring(2);
    }

    /** @return the target's name (after {@code -j}), or null when the rule has none */
    public String targetName() {
        int j = args.indexOf("-j");
        return j < 0 || j + 1 >= args.size() ? null : args.get(j + 1);
    }

    /**
     * @return this rule as a {@link Rule}, when it has a chain and values a {@code Rule} accepts and the
     *     table is known; else null (a foreign rule stays opaque)
     */
    public Rule toRule() {
        Table t = Table.byId(table);
        int j = args.lastIndexOf("-j");
        if (t == null || j < 0) {
            return null;
        }
        List<String> matches = new ArrayList<>(args.subList(0, j));
        String c = null;
        for (int i = 0; i + 3 < matches.size(); i++) {
            if (matches.get(i).equals("-m") && matches.get(i + 1).equals("comment") && matches.get(i + 2).equals("--comment")) {
                c = matches.get(i + 3);
                matches.subList(i, i + 4).clear();
                break;
            }
        }
        try {
            return new Rule(new Chain(t, chain), matches, c, args.subList(j + 1, args.size()));
        } catch (IllegalArgumentException foreign) {
            return null;
        }
    }

    /**
     * Splits a line the way iptables' restore parser does: on blanks, with double-quoted strings (and
     * {@code \"}, {@code \\} inside them) as one token.
     *
     * @param line the line
     * @return the tokens, unquoted
     */
    static List<String> tokenize(String line) {
        List<String> out = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        boolean quoted = false;
        boolean any = false;
        for (int i = 0; i < line.length(); i++) {
            char ch = line.charAt(i);
            if (quoted) {
                if (ch == '\\' && i + 1 < line.length()) {
                    cur.append(line.charAt(++i));
                } else if (ch == '"') {
                    quoted = false;
                } else {
                    cur.append(ch);
                }
            } else if (ch == '"') {
                quoted = true;
                any = true;
            } else if (ch == ' ' || ch == '\t') {
                if (any) {
                    out.add(cur.toString());
                    cur.setLength(0);
                    any = false;
                }
            } else {
                cur.append(ch);
                any = true;
            }
        }
        if (any) {
            out.add(cur.toString());
        }
        return out;
    }
}
