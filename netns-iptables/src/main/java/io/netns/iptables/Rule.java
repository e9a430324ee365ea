package io.netns.iptables;

import io.netns.Protocol;
import io.netns.internal.Inet;
import io.netns.internal.Names;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * One iptables rule as an immutable value: its chain, its match arguments, the owner comment and the
 * target, rendered to the line {@code iptables-restore} reads and {@code iptables-save} prints.
 *
 * <p>Every value is checked when the rule is made, so a rule can never smuggle a second line, a quote or
 * an option into the restore input: arguments are tokens of {@code [A-Za-z0-9_.:/,\[\]!+-]}, the comment
 * is 1 to 255 characters of {@code [A-Za-z0-9_.:/@=+,-]}. The {@link Builder} makes rules from typed
 * values (addresses, ports, interface names) and writes the arguments in the order {@code iptables-save}
 * prints them, so a written rule and the rule read back are {@linkplain #equals equal}.
 *
 * <pre>{@code
 * Rule r = Rule.in(Chain.NETNS_POSTROUTING).source("10.89.0.0/24")
 *         .notOutInterface("nsbr0").comment("netns:lab/network/nsbr0").jump("MASQUERADE");
 * r.spec(); // -s 10.89.0.0/24 ! -o nsbr0 -m comment --comment "netns:lab/network/nsbr0" -j MASQUERADE
 * }</pre>
 *
 * @param chain the chain
 * @param matches the match arguments, before the comment, e.g. {@code [-p, tcp, -m, tcp, --dport, 80]}
 * @param comment the comment, or null
 * @param target the target and its arguments, e.g. {@code [DNAT, --to-destination, 10.89.0.2:80]}
 */
public record Rule(Chain chain, List<String> matches, String comment, List<String> target) {
    private static final Pattern TOKEN = Pattern.compile("[A-Za-z0-9_.:/,\\[\\]!+-]+");
    private static final Pattern COMMENT = Pattern.compile("[A-Za-z0-9_.:/@=+,-]{1,255}");
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_.-]+");

    /**
     * Checks and copies the values.
     *
     * @param chain the chain
     * @param matches the match arguments, before the comment, e.g. {@code [-p, tcp, -m, tcp, --dport, 80]}
     * @param comment the comment, or null
     * @param target the target and its arguments, e.g. {@code [DNAT, --to-destination, 10.89.0.2:80]}
     */
    public Rule {
        Objects.requireNonNull(chain, "chain");
        matches = List.copyOf(matches);
        target = List.copyOf(target);
        for (String t : matches) {
            checkToken("match argument", t);
        }
        if (target.isEmpty()) {
            throw new IllegalArgumentException("a rule needs a target");
        }
        for (String t : target) {
            checkToken("target argument", t);
        }
        if (comment != null) {
            checkComment(comment);
        }
    }

    /**
     * Starts a rule.
     *
     * @param chain its chain
     * @return a builder
     */
    public static Builder in(Chain chain) {
        return new Builder(chain);
    }

    /**
     * Checks a comment.
     *
     * @param comment the text
     * @return the comment
     * @throws IllegalArgumentException if it is empty, longer than 255 or has a character outside
     *     {@code [A-Za-z0-9_.:/@=+,-]} (spaces, quotes, backslashes and control characters among them)
     */
    public static String checkComment(String comment) {
        if (comment == null || !COMMENT.matcher(comment).matches()) {
            throw new IllegalArgumentException("firewall comment must be 1..255 characters of [A-Za-z0-9_.:/@=+,-]: "
                    + (comment == null ? "null" : "\"" + Names.printable(comment) + "\""));
        }
        return comment;
    }

    /**
     * Checks an interface name: 1 to 15 characters of {@code [A-Za-z0-9_.-]}.
     *
     * @param what what the name is, for the message
     * @param name the name
     * @return the name
     */
    public static String checkInterface(String what, String name) {
        if (name == null || name.isEmpty() || name.length() > 15 || !isName(name) || name.charAt(0) == '-') {
            throw new IllegalArgumentException(what + " must be an interface name of 1..15 characters of "
                    + "[A-Za-z0-9_.-]: " + (name == null ? "null" : "\"" + Names.printable(name) + "\""));
        }
        return name;
    }

    static boolean isName(String s) {
        return NAME.matcher(s).matches();
    }

    private static void checkToken(String what, String t) {
        if (t == null || !TOKEN.matcher(t).matches()) {
            throw new IllegalArgumentException(what + " must be a token of [A-Za-z0-9_.:/,[]!+-]: "
                    + (t == null ? "null" : "\"" + Names.printable(t) + "\""));
        }
    }

    /**
     * @return the rule without its chain, as {@code iptables-save} prints it after {@code -A CHAIN}:
     *     {@code -p tcp -m tcp --dport 80 -m comment --comment "netns:lab/sandbox/web" -j ACCEPT}
     */
    public String spec() {
        StringBuilder b = new StringBuilder();
        for (String m : matches) {
            b.append(m).append(' ');
        }
        if (comment != null) {
            b.append("-m comment --comment \"").append(comment).append("\" ");
        }
        b.append("-j");
        for (String t : target) {
            b.append(' ').append(t);
        }
        return b.toString();
    }

    /** @return the line that appends this rule: {@code -A CHAIN spec} */
    public String appendLine() {
        return "-A " + chain.name() + " " + spec();
    }

    /** @return the line that inserts this rule first in its chain: {@code -I CHAIN 1 spec} */
    public String insertLine() {
        return "-I " + chain.name() + " 1 " + spec();
    }

    /** @return the line that deletes this rule: {@code -D CHAIN spec} */
    public String deleteLine() {
        return "-D " + chain.name() + " " + spec();
    }

    /** @return the target's name: {@code ACCEPT}, {@code DNAT}, a chain */
    public String targetName() {
        return target.get(0);
    }

    /**
     * @param option an option such as {@code --dport} or {@code -d}
     * @return the value after the option among the matches, or null
     */
    public String matchValue(String option) {
        int i = matches.indexOf(option);
        return i < 0 || i + 1 >= matches.size() ? null : matches.get(i + 1);
    }

    /** @return {@code nat/NETNS-OUTPUT: spec} */
    @Override
    public String toString() {
        return chain + ": " + spec();
    }

    /**
     * Makes a rule from typed values. Options come out in {@code iptables-save}'s order: {@code -s},
     * {@code -d}, {@code -i}, {@code -o}, {@code -p}, the matches in the order given, the comment, the target.
     */
    public static final class Builder {
        private final Chain chain;
        private final List<String> src = new ArrayList<>(3);
        private final List<String> dst = new ArrayList<>(3);
        private final List<String> in = new ArrayList<>(3);
        private final List<String> out = new ArrayList<>(3);
        private Protocol protocol;
        private final List<String> matches = new ArrayList<>();
        private String comment;

        private Builder(Chain chain) {
            this.chain = Objects.requireNonNull(chain, "chain");
        }

        /**
         * Matches packets from a network: {@code -s 10.89.0.0/24}.
         *
         * @param cidr the source network, such as {@code 10.89.0.0/24} or {@code fd00:89::/64}
         * @return this
         * @throws IllegalArgumentException if {@code cidr} is not a CIDR block or has host bits set
         */
        public Builder source(String cidr) {
            return source(Inet.Cidr.parse("source", cidr));
        }

        /**
         * Matches packets not from a network: {@code ! -s 127.0.0.0/8}.
         *
         * @param cidr a network the source must not be in, such as {@code 127.0.0.0/8}
         * @return this
         * @throws IllegalArgumentException if {@code cidr} is not a CIDR block or has host bits set
         */
        public Builder notSource(String cidr) {
            return notSource(Inet.Cidr.parse("source", cidr));
        }

        /**
         * Matches packets to a network: {@code -d 10.89.0.0/24}.
         *
         * @param cidr the destination network, such as {@code 10.89.0.0/24}
         * @return this
         * @throws IllegalArgumentException if {@code cidr} is not a CIDR block or has host bits set
         */
        public Builder destination(String cidr) {
            return destination(Inet.Cidr.parse("destination", cidr));
        }

        /**
         * Matches packets not to a network: {@code ! -d 127.0.0.0/8}.
         *
         * @param cidr a network the destination must not be in
         * @return this
         * @throws IllegalArgumentException if {@code cidr} is not a CIDR block or has host bits set
         */
        public Builder notDestination(String cidr) {
            return notDestination(Inet.Cidr.parse("destination", cidr));
        }

        // The Inet.Cidr overloads are package-private: Inet is internal, and netns-iptables' own rules use them.
        Builder source(Inet.Cidr cidr) {
            return set(src, false, "-s", Addr.cidr(cidr));
        }

        Builder notSource(Inet.Cidr cidr) {
            return set(src, true, "-s", Addr.cidr(cidr));
        }

        Builder destination(Inet.Cidr cidr) {
            return set(dst, false, "-d", Addr.cidr(cidr));
        }

        Builder notDestination(Inet.Cidr cidr) {
            return set(dst, true, "-d", Addr.cidr(cidr));
        }

        /**
         * Matches packets from one host: {@code -s 10.89.0.2/32}.
         *
         * @param address the source host
         * @return this
         */
        public Builder source(InetAddress address) {
            return set(src, false, "-s", host(address));
        }

        /**
         * Matches packets to one host: {@code -d 10.20.30.100/32}.
         *
         * @param address the destination host
         * @return this
         */
        public Builder destination(InetAddress address) {
            return set(dst, false, "-d", host(address));
        }

        /**
         * @param name the input interface
         * @return this
         */
        public Builder inInterface(String name) {
            return set(in, false, "-i", checkInterface("input interface", name));
        }

        /**
         * @param name an interface the packet must not come in on
         * @return this
         */
        public Builder notInInterface(String name) {
            return set(in, true, "-i", checkInterface("input interface", name));
        }

        /**
         * @param name the output interface
         * @return this
         */
        public Builder outInterface(String name) {
            return set(out, false, "-o", checkInterface("output interface", name));
        }

        /**
         * @param name an interface the packet must not leave on
         * @return this
         */
        public Builder notOutInterface(String name) {
            return set(out, true, "-o", checkInterface("output interface", name));
        }

        /**
         * Matches a protocol and destination port: {@code -p tcp -m tcp --dport 80}.
         *
         * @param protocol TCP or UDP
         * @param port 1..65535
         * @return this
         */
        public Builder dport(Protocol protocol, int port) {
            if (port < 1 || port > 65535) {
                throw new IllegalArgumentException("port must be 1..65535: " + port);
            }
            this.protocol = Objects.requireNonNull(protocol, "protocol");
            matches.addAll(List.of("-m", protocol.id(), "--dport", Integer.toString(port)));
            return this;
        }

        /**
         * Matches packets to an address of the host itself: {@code -m addrtype --dst-type LOCAL}.
         *
         * @return this
         */
        public Builder dstTypeLocal() {
            matches.addAll(List.of("-m", "addrtype", "--dst-type", "LOCAL"));
            return this;
        }

        /**
         * Matches connection tracking states: {@code -m conntrack --ctstate RELATED,ESTABLISHED}.
         *
         * @param states among NEW, ESTABLISHED, RELATED, INVALID, UNTRACKED, SNAT, DNAT
         * @return this
         */
        public Builder ctstate(String... states) {
            return ctstate(false, states);
        }

        /**
         * Matches connections in none of the states: {@code -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT}.
         *
         * @param states among NEW, ESTABLISHED, RELATED, INVALID, UNTRACKED, SNAT, DNAT
         * @return this
         */
        public Builder notCtstate(String... states) {
            return ctstate(true, states);
        }

        private Builder ctstate(boolean negate, String... states) {
            if (states.length == 0) {
                throw new IllegalArgumentException("ctstate needs a state");
            }
            for (String s : states) {
                if (!List.of("NEW", "ESTABLISHED", "RELATED", "INVALID", "UNTRACKED", "SNAT", "DNAT").contains(s)) {
                    throw new IllegalArgumentException("unknown conntrack state: \"" + Names.printable(s) + "\"");
                }
            }
            matches.addAll(List.of("-m", "conntrack"));
            if (negate) {
                matches.add("!");
            }
            matches.addAll(List.of("--ctstate", String.join(",", states)));
            return this;
        }

        /**
         * @param text the comment, see {@link Rule#checkComment}
         * @return this
         */
        public Builder comment(String text) {
            this.comment = checkComment(text);
            return this;
        }

        /**
         * @param target {@code ACCEPT}, {@code DROP}, {@code RETURN}, {@code MASQUERADE} or a chain name
         * @return the rule
         */
        public Rule jump(String target) {
            Chain.checkName(target);
            return build(List.of(target));
        }

        /**
         * @param address where to send the packet
         * @param port its port
         * @return the rule, {@code -j DNAT --to-destination 10.89.0.2:80} ({@code [fd00::2]:80} for IPv6)
         */
        public Rule dnat(InetAddress address, int port) {
            if (port < 1 || port > 65535) {
                throw new IllegalArgumentException("port must be 1..65535: " + port);
            }
            String ip = Addr.text(address);
            String to = Family.of(address) == Family.IPV6 ? "[" + ip + "]:" + port : ip + ":" + port;
            return build(List.of("DNAT", "--to-destination", to));
        }

        private Rule build(List<String> target) {
            List<String> all = new ArrayList<>(src);
            all.addAll(dst);
            all.addAll(in);
            all.addAll(out);
            if (protocol != null) {
                all.add("-p");
                all.add(protocol.id());
            }
            all.addAll(matches);
            return new Rule(chain, all, comment, target);
        }

        private Builder set(List<String> slot, boolean negate, String option, String value) {
            slot.clear();
            if (negate) {
                slot.add("!");
            }
            slot.add(option);
            slot.add(value);
            return this;
        }

        private static String host(InetAddress a) {
            return Addr.text(a) + "/" + Family.of(a).hostPrefix();
        }
    }
}
