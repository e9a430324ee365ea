package io.netns.iptables;

import io.netns.NetNamespace;
import io.netns.NetnsException;
import io.netns.Protocol;
import io.netns.internal.nl.Nl;
import io.netns.internal.nl.NlFormatException;
import io.netns.internal.nl.NlMsgErr;
import io.netns.internal.nl.NlMsgHdr;
import io.netns.internal.nl.RtAttr;
import io.netns.internal.nl.RtAttrs;
import io.netns.internal.posix.Native;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Internal use only: the DNAT rules of published ports, as native nf_tables rules in the library's own
 * table {@code netns} (family {@code ip}, and {@code ip6} for IPv6 sandboxes), written in one netlink
 * batch over a {@code NETLINK_NETFILTER} socket opened in the host's namespace.
 *
 * <h2>Why not iptables-restore</h2>
 * With the nf_tables backend, every iptables match or target that has no native translation ({@code -j DNAT},
 * {@code -m comment}, {@code -m addrtype}, {@code -m conntrack} in iptables 1.8.9) becomes an {@code nft_compat}
 * expression, and the kernel initialises each one only after the deferred release of every rule deleted
 * before it ({@code __nft_match_init} flushes the destroy work, which waits for an RCU grace period:
 * 10–20 ms here). So a published port added soon after another sandbox's close waited that long, whatever
 * the library did. Native expressions never wait. The rules stay owned and readable: each carries its
 * owner's tag as an nftables comment ({@code nft list table ip netns} shows them), and
 * {@link IptablesFirewall#remove} deletes exactly those.
 *
 * <h2>The table</h2>
 * <pre>
 * table ip netns {
 *     chain prerouting { type nat hook prerouting priority dstnat; policy accept; ... }
 *     chain output     { type nat hook output priority -100; policy accept; ... }
 * }
 * </pre>
 * Made at first use in a namespace and kept (like the iptables chains and their jumps). A DNAT in this
 * table and one in iptables' {@code nat} table both work: the first that maps a new flow wins.
 * Filtering stays in iptables' filter table, where an accept can get past a DROP policy.
 */
final class NatTable {
    /** The table's name in both families. */
    static final String TABLE = "netns";
    private static final int NETLINK_NETFILTER = 12;
    private static final int NFNL_SUBSYS_NFTABLES = 10;
    private static final int BATCH_BEGIN = 0x10;
    private static final int BATCH_END = 0x11;
    private static final int NEWTABLE = 0;
    private static final int NEWCHAIN = 3;
    private static final int NEWRULE = 6;
    private static final int GETRULE = 7;
    private static final int DELRULE = 8;
    private static final int NEWGEN = 15;
    private static final int GETGEN = 16;
    private static final int NFNL_BATCH_GENID = 1;
    /** The errno of a batch whose generation is no longer the kernel's. */
    static final int ERESTART = 85;
    /**
     * Rules per batch: a DNAT rule's message is under 600 bytes and its echo and acknowledgement under 700,
     * so a batch stays well within the request buffer ({@value #BUFFER} bytes) and the socket's buffers
     * (the kernel refuses a datagram larger than the send buffer and drops answers that overflow the
     * receive buffer).
     */
    static final int RULES_PER_BATCH = 64;
    /** Deletions per batch: a deletion's message is under 100 bytes, its acknowledgement takes about 1 KiB. */
    static final int DELETIONS_PER_BATCH = 128;
    private static final int SO_RCVBUFFORCE = 33;
    /** The socket's receive buffer: the answers of the largest batch (echoes of 4 KiB each) fit with room. */
    private static final int RECEIVE_BUFFER = 1 << 20;
    private static final int NFPROTO_IPV4 = 2;
    private static final int NFPROTO_IPV6 = 10;
    private static final int REG_1 = 1;
    private static final int REG_2 = 2;
    private static final int RTN_LOCAL = 2;
    private static final int PRIORITY_DSTNAT = -100;
    private static final int COMMENT = 0; // NFTNL_UDATA_RULE_COMMENT
    private static final int BUFFER = 1 << 16;

    /** The IPv4 filter chain holding the localnet guard. */
    static final String GUARD_CHAIN = "input";
    /**
     * The comment of the guard that comes with {@code route_localnet=1}: not an owner's tag, so no
     * owner's removal takes it; it goes when the last rule that needs {@code route_localnet} goes.
     */
    static final String GUARD_TAG = "netns:localnet-guard";
    private static final int HOOK_INPUT = 1;
    private static final int PRIORITY_FILTER = 0;
    private static final int CT_STATE = 0; // NFT_CT_STATE
    private static final int CT_STATUS = 2; // NFT_CT_STATUS (1 is NFT_CT_DIRECTION)
    private static final int CT_STATE_ESTABLISHED_RELATED = 2 | 4;
    private static final int IPS_DST_NAT = 1 << 5;
    private static final int NF_DROP = 0;

    /** (dev, ino, family) where this JVM made the table and its chains. */
    private static final Set<String> MADE = ConcurrentHashMap.newKeySet();

    private NatTable() {
    }

    /** The base chains. */
    enum Hook {
        /** Flows from other hosts and from sandboxes (hairpin). */
        PREROUTING("prerouting", 0),
        /** Flows from the host itself, 127.0.0.1 included. */
        OUTPUT("output", 3);

        final String chain;
        final int number;

        Hook(String chain, int number) {
            this.chain = chain;
            this.number = number;
        }
    }

    /**
     * One DNAT rule.
     *
     * @param hook its chain
     * @param protocol matched
     * @param port the host port matched
     * @param destination the host address matched; null for every local address of the host
     * @param notLoopback whether loopback destinations (127.0.0.0/8, ::1) are left alone
     * @param to the sandbox address
     * @param toPort the sandbox port
     * @param comment the owner's tag
     */
    record Dnat(Hook hook, Protocol protocol, int port, InetAddress destination, boolean notLoopback, InetAddress to,
            int toPort, String comment) {
        Dnat {
            Objects.requireNonNull(hook, "hook");
            Objects.requireNonNull(protocol, "protocol");
            Objects.requireNonNull(to, "to");
            Rule.checkComment(comment);
            if (port < 1 || port > 65535 || toPort < 1 || toPort > 65535) {
                throw new IllegalArgumentException("port out of range: " + port + " -> " + toPort);
            }
            if (destination != null && Family.of(destination) != Family.of(to)) {
                throw new IllegalArgumentException("destination and target of different families: " + destination + ", " + to);
            }
        }

        Family family() {
            return Family.of(to);
        }

        /** @return whether it DNATs packets the host sends to 127.0.0.0/8, which needs {@code route_localnet} */
        boolean needsLocalnet() {
            return hook == Hook.OUTPUT && family() == Family.IPV4 && (destination == null || destination.isLoopbackAddress());
        }

        /** @return the rule as {@code nft list table ip netns} prints it, for messages and tests */
        String text() {
            StringBuilder b = new StringBuilder();
            String ip = family() == Family.IPV4 ? "ip" : "ip6";
            if (destination != null) {
                b.append(ip).append(" daddr ").append(Addr.text(destination)).append(' ');
            } else {
                if (notLoopback) {
                    b.append(ip).append(" daddr != ").append(family() == Family.IPV4 ? "127.0.0.0/8" : "::1").append(' ');
                }
                b.append("fib daddr type local ");
            }
            b.append(protocol.id()).append(" dport ").append(port).append(" dnat to ")
                    .append(family() == Family.IPV6 ? "[" + Addr.text(to) + "]" : Addr.text(to)).append(':').append(toPort)
                    .append(" comment \"").append(comment).append('"');
            return b.toString();
        }
    }

    /**
     * A rule of the table.
     *
     * @param family its table's family
     * @param chain its chain
     * @param handle its handle
     * @param comment its comment, or null
     * @param rule what this JVM wrote, when it wrote the rule; null when it was read from the kernel
     * @param localnet whether it DNATs packets to 127.0.0.0/8 of the host, which needs {@code route_localnet}
     */
    record Entry(Family family, String chain, long handle, String comment, Dnat rule, boolean localnet) {
        Entry(Family family, String chain, long handle, String comment, Dnat rule) {
            this(family, chain, handle, comment, rule, rule != null && rule.needsLocalnet());
        }

        /** @return whether this is the localnet guard */
        boolean isGuard() {
            return GUARD_CHAIN.equals(chain) && GUARD_TAG.equals(comment);
        }
    }

    /**
     * Appends rules of one family in one batch, making the table and its chains first when this JVM has not
     * made them in that namespace. All or nothing.
     *
     * @return the rules made, with their handles
     * @throws NetnsException if the kernel refuses the batch (nothing of it is applied)
     */
    static List<Entry> add(NetNamespace host, Family family, List<Dnat> rules) throws NetnsException {
        return add(host, family, rules, false);
    }

    /**
     * Like {@link #add(NetNamespace, Family, List)}, with the localnet guard ({@link #guardText()}) in the
     * same batch when {@code guard} is set: the guard and the rules that need it are made together or not
     * at all.
     *
     * @return the DNAT rules made, with their handles (the guard is not among them)
     */
    static List<Entry> add(NetNamespace host, Family family, List<Dnat> rules, boolean guard) throws NetnsException {
        if (guard && family != Family.IPV4) {
            throw new IllegalArgumentException("the localnet guard is an IPv4 rule");
        }
        if (rules.isEmpty() && !guard) {
            return List.of();
        }
        for (Dnat d : rules) {
            if (d.family() != family) {
                throw new IllegalArgumentException("rule of another family: " + d.text());
            }
        }
        List<Entry> made = new ArrayList<>();
        try {
            for (int i = 0; i < rules.size() || i == 0; i += RULES_PER_BATCH) {
                List<Dnat> chunk = rules.subList(i, Math.min(rules.size(), i + RULES_PER_BATCH));
                made.addAll(addChunk(host, family, chunk, guard && i == 0));
            }
            return made;
        } catch (NetnsException | RuntimeException e) {
            if (!made.isEmpty()) { // the batches before: all or nothing
                try {
                    delete(host, made);
                    if (guard) {
                        delete(host, list(host, family).stream().filter(Entry::isGuard).toList());
                    }
                } catch (NetnsException | RuntimeException suppressed) {
                    e.addSuppressed(suppressed);
                }
            }
            throw e;
        }
    }

    private static List<Entry> addChunk(NetNamespace host, Family family, List<Dnat> rules, boolean guard)
            throws NetnsException {
        String key = host.device() + ":" + host.inode() + ":" + family;
        boolean known = MADE.contains(key);
        try {
            List<Entry> made = addBatch(host, family, rules, !known, guard);
            MADE.add(key);
            return made;
        } catch (NetnsException e) {
            if (!known || e.errno() != 2) { // ENOENT: the table or a chain went (nft flush ruleset)
                throw e;
            }
            MADE.remove(key);
            List<Entry> made = addBatch(host, family, rules, true, guard);
            MADE.add(key);
            return made;
        }
    }

    /** Forgets that this JVM made the tables in the namespace: the next addition makes them (again) first. */
    static void forget(NetNamespace host) {
        MADE.removeIf(k -> k.startsWith(host.device() + ":" + host.inode() + ":"));
    }

    /**
     * @return the namespace's nf_tables generation: every committed change of its ruleset, by anyone
     *     (nft, iptables-nft, firewalld, this library), makes it another
     * @throws NetnsException if it cannot be read
     */
    static long generation(NetNamespace host) throws NetnsException {
        return with(host, c -> {
            ByteBuffer b = c.request();
            int seq = c.seq++;
            end(b, message(b, GETGEN, 0, seq, 0));
            b.flip();
            Native.sendto(c.fd, b, KERNEL);
            long[] gen = {-1};
            readUntil(c, (r, at, len, type) -> {
                if (NlMsgHdr.seq(r, at) != seq) {
                    return false;
                }
                if (type == Nl.NLMSG_ERROR) {
                    c.clean = true;
                    throw error("read the nf_tables generation of " + host, NlMsgErr.read(r, at));
                }
                if (type == (NFNL_SUBSYS_NFTABLES << 8 | NEWGEN)) {
                    RtAttrs a = RtAttrs.parse(r, at + NlMsgHdr.SIZE + 4, at + len);
                    byte[] id = a.getBytes(1); // NFTA_GEN_ID, big-endian
                    if (id != null && id.length == 4) {
                        gen[0] = ByteBuffer.wrap(id).getInt() & 0xffffffffL;
                    }
                }
                return true;
            });
            if (gen[0] < 0) {
                throw NetnsException.failure("nf_tables", "no generation in the kernel's answer in " + host);
            }
            return gen[0];
        });
    }

    private static List<Entry> addBatch(NetNamespace host, Family family, List<Dnat> rules, boolean makeTable,
            boolean guard) throws NetnsException {
        int nfproto = nfproto(family);
        String what = "add " + rules.size() + " DNAT rule(s) to table " + name(family) + " in " + host;
        return with(host, c -> {
            ByteBuffer b = c.request();
            begin(b, c.seq++, -1);
            int acks = 0;
            if (makeTable) {
                int m = message(b, NEWTABLE, Nl.NLM_F_CREATE | Nl.NLM_F_ACK, c.seq++, nfproto);
                RtAttr.addString(b, 1, TABLE); // NFTA_TABLE_NAME
                end(b, m);
                acks++;
                for (Hook h : Hook.values()) {
                    m = message(b, NEWCHAIN, Nl.NLM_F_CREATE | Nl.NLM_F_ACK, c.seq++, nfproto);
                    RtAttr.addString(b, 1, TABLE); // NFTA_CHAIN_TABLE
                    RtAttr.addString(b, 3, h.chain); // NFTA_CHAIN_NAME
                    int hook = RtAttr.startNested(b, 4 | NESTED); // NFTA_CHAIN_HOOK
                    be32(b, 1, h.number); // NFTA_HOOK_HOOKNUM
                    be32(b, 2, PRIORITY_DSTNAT); // NFTA_HOOK_PRIORITY
                    RtAttr.endNested(b, hook);
                    RtAttr.addString(b, 7, "nat"); // NFTA_CHAIN_TYPE
                    end(b, m);
                    acks++;
                }
            }
            if (guard) {
                int m = message(b, NEWCHAIN, Nl.NLM_F_CREATE | Nl.NLM_F_ACK, c.seq++, nfproto);
                RtAttr.addString(b, 1, TABLE); // NFTA_CHAIN_TABLE
                RtAttr.addString(b, 3, GUARD_CHAIN); // NFTA_CHAIN_NAME
                int hook = RtAttr.startNested(b, 4 | NESTED); // NFTA_CHAIN_HOOK
                be32(b, 1, HOOK_INPUT); // NFTA_HOOK_HOOKNUM
                be32(b, 2, PRIORITY_FILTER); // NFTA_HOOK_PRIORITY
                RtAttr.endNested(b, hook);
                RtAttr.addString(b, 7, "filter"); // NFTA_CHAIN_TYPE
                end(b, m);
                acks++;
                m = message(b, NEWRULE, Nl.NLM_F_CREATE | Nl.NLM_F_APPEND | Nl.NLM_F_ECHO | Nl.NLM_F_ACK, c.seq++,
                        nfproto);
                RtAttr.addString(b, 1, TABLE); // NFTA_RULE_TABLE
                RtAttr.addString(b, 2, GUARD_CHAIN); // NFTA_RULE_CHAIN
                guardExpressions(b);
                RtAttr.addBytes(b, 7, comment(GUARD_TAG)); // NFTA_RULE_USERDATA
                end(b, m);
                acks++;
            }
            for (Dnat d : rules) {
                int m = message(b, NEWRULE, Nl.NLM_F_CREATE | Nl.NLM_F_APPEND | Nl.NLM_F_ECHO | Nl.NLM_F_ACK, c.seq++,
                        nfproto);
                RtAttr.addString(b, 1, TABLE); // NFTA_RULE_TABLE
                RtAttr.addString(b, 2, d.hook().chain); // NFTA_RULE_CHAIN
                expressions(b, d);
                RtAttr.addBytes(b, 7, comment(d.comment())); // NFTA_RULE_USERDATA
                end(b, m);
                acks++;
            }
            batchEnd(b, c.seq++);
            List<Entry> made = new ArrayList<>();
            talk(c, acks, what, family, made);
            if (guard && !made.isEmpty()) {
                made.remove(0); // echoed first: the guard
            }
            if (made.size() != rules.size()) {
                throw NetnsException.failure("nf_tables", "the kernel echoed " + made.size() + " of " + rules.size()
                        + " new rules in " + host + "; their handles are unknown");
            }
            List<Entry> out = new ArrayList<>();
            for (int i = 0; i < made.size(); i++) { // echoed in the order of the batch
                Entry e = made.get(i);
                out.add(new Entry(e.family(), e.chain(), e.handle(), e.comment(), rules.get(i)));
            }
            return out;
        });
    }

    /**
     * Deletes rules by handle, per family in batches of {@value #DELETIONS_PER_BATCH}.
     *
     * @throws NetnsException if one is gone or the kernel refuses (nothing of that batch applied)
     */
    static void delete(NetNamespace host, List<Entry> entries) throws NetnsException {
        delete(host, entries, -1);
    }

    /**
     * Deletes rules by handle, only while the namespace's ruleset is still at generation {@code generation}
     * (when not negative): the handles were read or made then, and a table made anew since (handles start
     * again) or any other change makes the kernel refuse the batch with {@link #ERESTART} instead of
     * deleting another owner's rule that has the same handle now.
     *
     * @throws NetnsException with errno {@link #ERESTART} when the generation changed; else if one is gone or
     *     the kernel refuses (nothing of that batch applied)
     */
    static void delete(NetNamespace host, List<Entry> entries, long generation) throws NetnsException {
        for (Family f : Family.values()) {
            List<Entry> mine = entries.stream().filter(e -> e.family() == f).toList();
            for (int i = 0; i < mine.size(); i += DELETIONS_PER_BATCH) {
                // after the first batch the generation is ours: the next batch checks against that one
                long gen = i == 0 ? generation : generation < 0 ? -1 : generation(host);
                deleteBatch(host, f, mine.subList(i, Math.min(mine.size(), i + DELETIONS_PER_BATCH)), gen);
            }
        }
    }

    private static void deleteBatch(NetNamespace host, Family f, List<Entry> mine, long generation) throws NetnsException {
        int nfproto = nfproto(f);
        String what = "delete " + mine.size() + " rule(s) from table " + name(f) + " in " + host;
        with(host, c -> {
            ByteBuffer b = c.request();
            begin(b, c.seq++, generation);
            for (Entry e : mine) {
                int m = message(b, DELRULE, Nl.NLM_F_ACK, c.seq++, nfproto);
                RtAttr.addString(b, 1, TABLE);
                RtAttr.addString(b, 2, e.chain());
                be64(b, 3, e.handle()); // NFTA_RULE_HANDLE
                end(b, m);
            }
            batchEnd(b, c.seq++);
            talk(c, mine.size(), what, f, null);
            return null;
        });
    }

    /**
     * @return the rules of the family's table in the namespace; empty when there is no table
     * @throws NetnsException if the dump fails
     */
    static List<Entry> list(NetNamespace host, Family family) throws NetnsException {
        return with(host, c -> {
            ByteBuffer b = c.request();
            int m = message(b, GETRULE, Nl.NLM_F_DUMP, c.seq++, nfproto(family));
            RtAttr.addString(b, 1, TABLE);
            end(b, m);
            b.flip();
            List<Entry> out = new ArrayList<>();
            Native.sendto(c.fd, b, KERNEL);
            readUntil(c, (r, at, len, type) -> {
                if (type == Nl.NLMSG_DONE) {
                    return true;
                }
                if (type == Nl.NLMSG_ERROR) {
                    NlMsgErr err = NlMsgErr.read(r, at);
                    if (err.errno() == 2) {
                        return true; // ENOENT: no table
                    }
                    c.clean = true; // the error ends the dump
                    throw error("list table " + name(family) + " in " + host, err);
                }
                if (type == (NFNL_SUBSYS_NFTABLES << 8 | NEWRULE)) {
                    out.add(entry(r, at, len, family));
                }
                return false;
            });
            return out;
        });
    }

    // ---- encoding ----------------------------------------------------------------------------------

    private static final int NESTED = 0x8000; // NLA_F_NESTED

    private static void expressions(ByteBuffer b, Dnat d) {
        boolean v4 = d.family() == Family.IPV4;
        int daddr = v4 ? 16 : 24;
        int alen = v4 ? 4 : 16;
        int list = RtAttr.startNested(b, 4 | NESTED); // NFTA_RULE_EXPRESSIONS
        if (d.destination() != null) {
            payload(b, 1, daddr, alen);
            cmp(b, 0, d.destination().getAddress());
        } else {
            if (d.notLoopback()) {
                payload(b, 1, daddr, alen);
                if (v4) {
                    bitwise(b, alen, new byte[] {(byte) 0xff, 0, 0, 0});
                    cmp(b, 1, new byte[] {127, 0, 0, 0});
                } else {
                    byte[] one = new byte[16];
                    one[15] = 1;
                    cmp(b, 1, one);
                }
            }
            int e = expr(b, "fib");
            be32(b, 1, REG_1); // NFTA_FIB_DREG
            be32(b, 2, 3); // NFTA_FIB_RESULT: NFT_FIB_RESULT_ADDRTYPE
            be32(b, 3, 2); // NFTA_FIB_FLAGS: NFTA_FIB_F_DADDR
            endExpr(b, e);
            // the address type lands in the register in host order
            cmp(b, 0, ByteBuffer.allocate(4).order(ByteOrder.nativeOrder()).putInt(RTN_LOCAL).array());
        }
        int e = expr(b, "meta");
        be32(b, 2, 16); // NFTA_META_KEY: NFT_META_L4PROTO
        be32(b, 1, REG_1); // NFTA_META_DREG
        endExpr(b, e);
        cmp(b, 0, new byte[] {(byte) (d.protocol() == Protocol.TCP ? 6 : 17)});
        payload(b, 2, 2, 2); // transport header, destination port
        cmp(b, 0, port(d.port()));
        immediate(b, REG_1, d.to().getAddress());
        immediate(b, REG_2, port(d.toPort()));
        e = expr(b, "nat");
        be32(b, 1, 1); // NFTA_NAT_TYPE: NFT_NAT_DNAT
        be32(b, 2, nfproto(d.family())); // NFTA_NAT_FAMILY
        be32(b, 3, REG_1); // NFTA_NAT_REG_ADDR_MIN
        be32(b, 5, REG_2); // NFTA_NAT_REG_PROTO_MIN
        endExpr(b, e);
        RtAttr.endNested(b, list);
    }

    /** @return the guard as {@code nft list table ip netns} prints it */
    static String guardText() {
        return "ip saddr != 127.0.0.0/8 ip daddr 127.0.0.0/8 ct status ! dnat ct state ! established,related counter drop";
    }

    /**
     * The guard that comes with {@code route_localnet=1} (CVE-2020-8558), like kube-proxy's: drop packets to
     * 127.0.0.0/8 that are neither from 127.0.0.0/8, nor DNATed, nor replies; with a counter. A drop in any
     * base chain of the hook is final, whatever other tables (iptables' filter) accept.
     */
    private static void guardExpressions(ByteBuffer b) {
        byte[] mask8 = {(byte) 0xff, 0, 0, 0};
        byte[] net127 = {127, 0, 0, 0};
        int list = RtAttr.startNested(b, 4 | NESTED); // NFTA_RULE_EXPRESSIONS
        payload(b, 1, 12, 4); // ip saddr
        bitwise(b, 4, mask8);
        cmp(b, 1, net127); // != 127.0.0.0/8
        payload(b, 1, 16, 4); // ip daddr
        bitwise(b, 4, mask8);
        cmp(b, 0, net127); // == 127.0.0.0/8
        ct(b, CT_STATUS);
        bitwise(b, 4, hostOrder(IPS_DST_NAT));
        cmp(b, 0, new byte[4]); // not DNATed
        ct(b, CT_STATE);
        bitwise(b, 4, hostOrder(CT_STATE_ESTABLISHED_RELATED));
        cmp(b, 0, new byte[4]); // neither established nor related
        int e = expr(b, "counter");
        endExpr(b, e);
        e = expr(b, "immediate");
        be32(b, 1, 0); // NFTA_IMMEDIATE_DREG: NFT_REG_VERDICT
        int data = RtAttr.startNested(b, 2 | NESTED); // NFTA_IMMEDIATE_DATA
        int verdict = RtAttr.startNested(b, 2 | NESTED); // NFTA_DATA_VERDICT
        be32(b, 1, NF_DROP); // NFTA_VERDICT_CODE
        RtAttr.endNested(b, verdict);
        RtAttr.endNested(b, data);
        endExpr(b, e);
        RtAttr.endNested(b, list);
    }

    private static void ct(ByteBuffer b, int key) {
        int e = expr(b, "ct");
        be32(b, 1, REG_1); // NFTA_CT_DREG
        be32(b, 2, key); // NFTA_CT_KEY
        endExpr(b, e);
    }

    private static byte[] hostOrder(int v) {
        return ByteBuffer.allocate(4).order(ByteOrder.nativeOrder()).putInt(v).array();
    }

    private static int expr(ByteBuffer b, String name) {
        int elem = RtAttr.startNested(b, 1 | NESTED); // NFTA_LIST_ELEM
        RtAttr.addString(b, 1, name); // NFTA_EXPR_NAME
        int data = RtAttr.startNested(b, 2 | NESTED); // NFTA_EXPR_DATA
        return elem << 16 | data; // both offsets fit: a batch is < 64 KiB
    }

    private static void endExpr(ByteBuffer b, int e) {
        RtAttr.endNested(b, e & 0xffff);
        RtAttr.endNested(b, e >>> 16);
    }

    private static void payload(ByteBuffer b, int base, int offset, int len) {
        int e = expr(b, "payload");
        be32(b, 1, REG_1); // NFTA_PAYLOAD_DREG
        be32(b, 2, base); // NFTA_PAYLOAD_BASE
        be32(b, 3, offset); // NFTA_PAYLOAD_OFFSET
        be32(b, 4, len); // NFTA_PAYLOAD_LEN
        endExpr(b, e);
    }

    private static void cmp(ByteBuffer b, int op, byte[] value) {
        int e = expr(b, "cmp");
        be32(b, 1, REG_1); // NFTA_CMP_SREG
        be32(b, 2, op); // NFTA_CMP_OP: NFT_CMP_EQ or NFT_CMP_NEQ
        data(b, 3, value); // NFTA_CMP_DATA
        endExpr(b, e);
    }

    private static void bitwise(ByteBuffer b, int len, byte[] mask) {
        int e = expr(b, "bitwise");
        be32(b, 1, REG_1); // NFTA_BITWISE_SREG
        be32(b, 2, REG_1); // NFTA_BITWISE_DREG
        be32(b, 3, len); // NFTA_BITWISE_LEN
        data(b, 4, mask); // NFTA_BITWISE_MASK
        data(b, 5, new byte[len]); // NFTA_BITWISE_XOR
        endExpr(b, e);
    }

    private static void immediate(ByteBuffer b, int reg, byte[] value) {
        int e = expr(b, "immediate");
        be32(b, 1, reg); // NFTA_IMMEDIATE_DREG
        data(b, 2, value); // NFTA_IMMEDIATE_DATA
        endExpr(b, e);
    }

    private static void data(ByteBuffer b, int type, byte[] value) {
        int n = RtAttr.startNested(b, type | NESTED);
        RtAttr.addBytes(b, 1, value); // NFTA_DATA_VALUE
        RtAttr.endNested(b, n);
    }

    private static byte[] port(int port) {
        return new byte[] {(byte) (port >>> 8), (byte) port};
    }

    private static void be32(ByteBuffer b, int type, int value) {
        RtAttr.addBytes(b, type, new byte[] {(byte) (value >>> 24), (byte) (value >>> 16), (byte) (value >>> 8), (byte) value});
    }

    private static void be64(ByteBuffer b, int type, long value) {
        byte[] v = new byte[8];
        for (int i = 0; i < 8; i++) {
            v[i] = (byte) (value >>> (56 - 8 * i));
        }
        RtAttr.addBytes(b, type, v);
    }

    /** The rule's userdata: one libnftnl TLV, the NUL-terminated comment, as {@code nft} writes it. */
    static byte[] comment(String text) {
        byte[] t = text.getBytes(StandardCharsets.US_ASCII);
        if (t.length > 253) { // the TLV's length byte counts the NUL too; the kernel takes 256 bytes of userdata
            throw new IllegalArgumentException("an nftables comment has at most 253 characters: " + t.length);
        }
        byte[] u = new byte[t.length + 3];
        u[0] = COMMENT;
        u[1] = (byte) (t.length + 1);
        System.arraycopy(t, 0, u, 2, t.length);
        return u;
    }

    /** @return the comment in a rule's userdata, or null */
    static String comment(ByteBuffer b, int at, int len) {
        int end = at + len;
        while (end - at >= 2) {
            int type = b.get(at) & 0xff;
            int n = b.get(at + 1) & 0xff;
            if (n > end - at - 2) {
                return null;
            }
            if (type == COMMENT) {
                int k = 0;
                while (k < n && b.get(at + 2 + k) != 0) {
                    k++;
                }
                byte[] t = new byte[k];
                b.get(at + 2, t);
                return new String(t, StandardCharsets.US_ASCII);
            }
            at += 2 + n;
        }
        return null;
    }

    private static ByteBuffer buffer() {
        return ByteBuffer.allocateDirect(BUFFER).order(ByteOrder.nativeOrder());
    }

    private static int message(ByteBuffer b, int msg, int flags, int seq, int nfproto) {
        int at = b.position();
        NlMsgHdr.put(b, at, 0, NFNL_SUBSYS_NFTABLES << 8 | msg, Nl.NLM_F_REQUEST | flags, seq, 0);
        b.position(at + NlMsgHdr.SIZE);
        b.put((byte) nfproto).put((byte) 0).putShort((short) 0); // nfgenmsg: family, NFNETLINK_V0, res_id
        return at;
    }

    private static void end(ByteBuffer b, int at) {
        b.putInt(at, b.position() - at);
    }

    /** The batch's first message; with {@code NFNL_BATCH_GENID} when {@code generation} is not negative. */
    private static void begin(ByteBuffer b, int seq, long generation) {
        int at = b.position();
        batchMarker(b, BATCH_BEGIN, seq);
        if (generation >= 0) {
            be32(b, NFNL_BATCH_GENID, (int) generation);
            end(b, at);
        }
    }

    private static void batchEnd(ByteBuffer b, int seq) {
        batchMarker(b, BATCH_END, seq);
    }

    private static void batchMarker(ByteBuffer b, int type, int seq) {
        int at = b.position();
        NlMsgHdr.put(b, at, NlMsgHdr.SIZE + 4, type, Nl.NLM_F_REQUEST, seq, 0);
        b.position(at + NlMsgHdr.SIZE);
        b.put((byte) 0).put((byte) 0).put((byte) 0).put((byte) NFNL_SUBSYS_NFTABLES); // res_id, big-endian
    }

    // ---- the conversation ---------------------------------------------------------------------------

    private static final ByteBuffer KERNEL = Nl.kernelAddress();
    /** Per namespace (dev:ino), the socket to its nf_tables. */
    private static final Map<String, Channel> CHANNELS = new ConcurrentHashMap<>();

    static {
        Idle.every(NatTable::closeIdle);
    }

    /**
     * One {@code NETLINK_NETFILTER} socket in a namespace, kept while it is used: closing such a socket
     * waits for the kernel to free the rules deleted before (an RCU grace period), so a socket per change
     * would pay that on every removal. Closed by {@link Idle} after its last use
     * (until then it holds a reference to its namespace, like {@code RestoreSession}).
     */
    private static final class Channel {
        final String key;
        final int fd;
        final ByteBuffer out = buffer();
        final ByteBuffer in = buffer();
        int seq = 1;
        long lastUse = System.nanoTime();
        /** False while a conversation has not read its last answer. */
        boolean clean = true;
        boolean open = true;

        Channel(String key, int fd) {
            this.key = key;
            this.fd = fd;
        }

        ByteBuffer request() {
            out.clear();
            clean = false;
            return out;
        }

        int receive() throws NetnsException {
            in.clear();
            int n = Native.recv(fd, in, Native.MSG_TRUNC);
            if (n > in.capacity()) {
                throw NetnsException.failure("nf_tables", "a netlink reply of " + n + " bytes did not fit " + in.capacity());
            }
            return n;
        }
    }

    @FunctionalInterface
    private interface Conversation<T> {
        T run(Channel c) throws NetnsException;
    }

    private static <T> T with(NetNamespace host, Conversation<T> conversation) throws NetnsException {
        String key = host.device() + ":" + host.inode();
        while (true) {
            Channel c = CHANNELS.get(key);
            if (c == null) {
                Channel made = new Channel(key, open(host));
                c = CHANNELS.putIfAbsent(key, made);
                if (c == null) {
                    c = made;
                } else {
                    Native.close(made.fd);
                }
            }
            synchronized (c) {
                if (!c.open) {
                    continue; // closed as idle right then: take another
                }
                try {
                    return conversation.run(c);
                } catch (NetnsException | RuntimeException e) {
                    if (!c.clean) {
                        discard(c); // answers may be left unread: never reuse it
                    }
                    if (e instanceof NlFormatException) {
                        throw NetnsException.failure("nf_tables", "unreadable reply from the kernel in " + host + ": "
                                + e.getMessage());
                    }
                    throw e;
                } finally {
                    c.lastUse = System.nanoTime();
                }
            }
        }
    }

    private static void discard(Channel c) {
        c.open = false;
        CHANNELS.remove(c.key, c);
        Native.close(c.fd);
    }

    private static void closeIdle() {
        long now = System.nanoTime();
        for (Channel c : CHANNELS.values()) {
            synchronized (c) {
                if (c.open && Idle.expired(c.lastUse, now)) {
                    discard(c);
                }
            }
        }
    }

    private static int open(NetNamespace host) throws NetnsException {
        int fd = host.call(() -> Native.netlinkSocket(NETLINK_NETFILTER));
        try {
            Native.setsockopt(fd, Native.SOL_NETLINK, Nl.NETLINK_EXT_ACK, 1);
            Native.setsockopt(fd, Native.SOL_NETLINK, Nl.NETLINK_CAP_ACK, 1);
            // Room for a batch's answers: each echo or acknowledgement takes a buffer of up to a few KiB
            // of the socket's receive budget, and what does not fit is dropped (ENOBUFS).
            try {
                Native.setsockopt(fd, Native.SOL_SOCKET, SO_RCVBUFFORCE, RECEIVE_BUFFER);
            } catch (NetnsException notAdmin) {
                Native.setsockopt(fd, Native.SOL_SOCKET, Native.SO_RCVBUF, RECEIVE_BUFFER);
            }
        } catch (NetnsException e) {
            Native.close(fd);
            throw e;
        }
        return fd;
    }

    /**
     * Sends the batch in {@code c.out}, then a {@code GETGEN} request whose answer comes after every answer
     * to the batch (the kernel handles a socket's requests in order, while the sender waits), and reads up
     * to it: the acknowledgements (the first error is thrown once all is read) and, into {@code echoed},
     * the rules the kernel echoes.
     */
    private static void talk(Channel c, int acks, String what, Family family, List<Entry> echoed) throws NetnsException {
        ByteBuffer b = c.out;
        b.flip();
        Native.sendto(c.fd, b, KERNEL); // a batch ends its datagram: the request goes on its own
        int sentinel = c.seq++;
        b.clear();
        end(b, message(b, GETGEN, 0, sentinel, 0));
        b.flip();
        Native.sendto(c.fd, b, KERNEL);
        NlMsgErr[] failed = {null};
        int[] acked = {0};
        readUntil(c, (r, at, len, type) -> {
            if (NlMsgHdr.seq(r, at) == sentinel) {
                if (failed[0] == null && type == Nl.NLMSG_ERROR && NlMsgErr.read(r, at).errno() != 0) {
                    failed[0] = NlMsgErr.read(r, at);
                }
                return true;
            }
            if (type == Nl.NLMSG_ERROR) {
                NlMsgErr err = NlMsgErr.read(r, at);
                acked[0]++;
                if (err.errno() != 0 && failed[0] == null) {
                    failed[0] = err;
                }
            } else if (type == (NFNL_SUBSYS_NFTABLES << 8 | NEWRULE) && echoed != null) {
                echoed.add(entry(r, at, len, family));
            }
            return false;
        });
        if (failed[0] != null) {
            throw error(what, failed[0]);
        }
        if (acked[0] < acks) {
            throw NetnsException.failure("nf_tables", what + ": " + acked[0] + " of " + acks + " messages acknowledged");
        }
    }

    /** Looks at one received message; true when it is the conversation's last. */
    @FunctionalInterface
    private interface Reader {
        boolean read(ByteBuffer r, int at, int len, int type) throws NetnsException;
    }

    /** Receives and hands every message to the reader until it says the conversation is over. */
    private static void readUntil(Channel c, Reader reader) throws NetnsException {
        while (true) {
            ByteBuffer r = c.in;
            int end = c.receive();
            for (int at = 0; at < end; ) {
                int len = NlMsgHdr.check(r, at, end);
                if (reader.read(r, at, len, NlMsgHdr.type(r, at))) {
                    c.clean = true;
                    return;
                }
                at += Nl.nlmsgAlign(len);
            }
        }
    }

    private static Entry entry(ByteBuffer r, int at, int len, Family family) {
        RtAttrs a = RtAttrs.parse(r, at + NlMsgHdr.SIZE + 4, at + len);
        String chain = a.getString(2);
        int h = a.payloadOffset(3);
        if (chain == null || h < 0 || a.payloadLength(3) != 8) {
            throw new NlFormatException("a rule without chain or handle");
        }
        long handle = 0;
        for (int i = 0; i < 8; i++) {
            handle = handle << 8 | (r.get(h + i) & 0xff);
        }
        int u = a.payloadOffset(7);
        String comment = u < 0 ? null : comment(r, u, a.payloadLength(7));
        boolean localnet = family == Family.IPV4 && chain.equals(Hook.OUTPUT.chain) && a.has(4)
                && matchesLoopback(r, a.payloadOffset(4), a.payloadOffset(4) + a.payloadLength(4));
        return new Entry(family, chain, handle, comment, null, localnet);
    }

    /**
     * Whether a DNAT rule of the output chain, as {@link #expressions} writes them, matches 127.0.0.0/8: it
     * starts with {@code fib} (every local address), or with the destination compared to a 127.x address.
     *
     * @param r the buffer
     * @param from where the expression list's elements start
     * @param to where they end
     */
    private static boolean matchesLoopback(ByteBuffer r, int from, int to) {
        RtAttrs first = element(r, from, to);
        String name = first == null ? null : first.getString(1);
        if ("fib".equals(name)) {
            return true;
        }
        if (!"payload".equals(name)) {
            return false;
        }
        int next = from + Nl.rtaAlign(r.getShort(from) & 0xffff);
        RtAttrs second = element(r, next, to);
        if (second == null || !"cmp".equals(second.getString(1)) || !second.has(2)) {
            return false;
        }
        RtAttrs cmp = second.nested(2);
        byte[] op = cmp.getBytes(2);
        RtAttrs data = cmp.has(3) ? cmp.nested(3) : null;
        byte[] v = data == null ? null : data.getBytes(1);
        return op != null && op.length == 4 && op[3] == 0 && v != null && v.length == 4 && v[0] == 127;
    }

    /** @return the attributes of the expression element at {@code at} (name, data), or null past the end */
    private static RtAttrs element(ByteBuffer r, int at, int to) {
        if (to - at < Nl.RTA_HDRLEN) {
            return null;
        }
        int len = r.getShort(at) & 0xffff;
        if (len < Nl.RTA_HDRLEN || len > to - at) {
            throw new NlFormatException("bad expression length " + len);
        }
        return RtAttrs.parse(r, at + Nl.RTA_HDRLEN, at + len);
    }

    private static NetnsException error(String what, NlMsgErr err) {
        String detail = err.message() == null ? "" : " (" + err.message() + ")";
        return NetnsException.of(what + detail, err.errno(), null);
    }

    private static int nfproto(Family f) {
        return f == Family.IPV4 ? NFPROTO_IPV4 : NFPROTO_IPV6;
    }

    private static String name(Family f) {
        return (f == Family.IPV4 ? "ip " : "ip6 ") + TABLE;
    }
}
