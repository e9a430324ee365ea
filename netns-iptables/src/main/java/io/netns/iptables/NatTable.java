package io.netns.iptables;

import io.netns.NetNamespace;
import io.netns.NetlinkException;
import io.netns.NetnsException;
import io.netns.Protocol;
import io.netns.internal.nl.NetlinkSocket;
import io.netns.internal.nl.Nl;
import io.netns.internal.nl.NlFormatException;
import io.netns.internal.nl.NlMsgErr;
import io.netns.internal.nl.NlMsgHdr;
import io.netns.internal.nl.RtAttr;
import io.netns.internal.nl.RtAttrs;
import io.netns.internal.nl.SockDiag;
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

import static io.netns.internal.nl.NfTables.*;

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
    /** {@code NFNL_UDATA_RULE_COMMENT}-style TLV type of libnftnl ({@code libnftnl/udata.h}: NFTNL_UDATA_RULE_COMMENT). */
    private static final int COMMENT = 0;

    private static final Set<String> MADE = ConcurrentHashMap.newKeySet();

    /** The IPv4 filter chain holding the localnet guard. */
    static final String GUARD_CHAIN = "input";
    /**
     * The comment of the guard that comes with {@code route_localnet=1}: not an owner's tag, so no
     * owner's removal takes it; it goes when the last rule that needs {@code route_localnet} goes.
     */
    static final String GUARD_TAG = "netns:localnet-guard";
    /** {@code NF_INET_LOCAL_IN}. */
    private static final int HOOK_INPUT = 1;
    /** {@code NF_IP_PRI_FILTER}. */
    private static final int PRIORITY_FILTER = 0;
    /** {@code NFT_CT_STATE} ({@code enum nft_ct_keys}). */
    private static final int CT_STATE = 0;
    /** {@code NFT_CT_STATUS} (1 is {@code NFT_CT_DIRECTION}). */
    private static final int CT_STATUS = 2;
    private static final int NFTA_CT_DREG = 1;
    private static final int NFTA_CT_KEY = 2;
    /** {@code NF_CT_STATE_BIT(IP_CT_ESTABLISHED) | NF_CT_STATE_BIT(IP_CT_RELATED)}. */
    private static final int CT_STATE_ESTABLISHED_RELATED = 2 | 4;
    /** {@code IPS_DST_NAT}. */
    private static final int IPS_DST_NAT = 1 << 5;
    private static final int NFTA_DATA_VERDICT = 2;
    private static final int NFTA_VERDICT_CODE = 1;
    private static final int NF_DROP = 0;
    private static final int NFT_REG_VERDICT = 0;
    private static final int NFT_MSG_NEWGEN = 15;
    private static final int NFTA_GEN_ID = 1;
    private static final int NFNL_BATCH_GENID = 1;
    /** The errno of a batch whose generation is no longer the kernel's. */
    static final int ERESTART = 85;
    /**
     * Rules per batch: a DNAT rule's message is under 600 bytes and its echo and acknowledgement take a few
     * KiB of the socket's receive budget, so a batch stays within the kernel's limits (a datagram larger
     * than the socket's send buffer is refused; answers that overflow the receive buffer are dropped).
     */
    static final int RULES_PER_BATCH = 64;
    /** Deletions per batch: a deletion's message is under 100 bytes, its acknowledgement about 1 KiB. */
    static final int DELETIONS_PER_BATCH = 128;

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
     * Appends rules of one family, making the table and its chains first when this JVM has not made them in
     * that namespace; in batches of {@value #RULES_PER_BATCH}, all or nothing (a failed batch takes back the
     * ones before).
     *
     * @return the rules made, with their handles
     * @throws NetnsException if the kernel refuses a batch (nothing of the call is left)
     */
    static List<Entry> add(NetNamespace host, Family family, List<Dnat> rules) throws NetnsException {
        return add(host, family, rules, false);
    }

    /**
     * Like {@link #add(NetNamespace, Family, List)}, with the localnet guard ({@link #guardText()}) in the
     * first batch when {@code guard} is set: the guard and the rules that need it are made together.
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
            if (!known || e.errno() != Native.ENOENT) { // the table or a chain went (nft flush ruleset)
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
            int[] seq = {0};
            long[] gen = {-1};
            NlMsgErr[] failed = {null};
            c.socket.converse(() -> "read the nf_tables generation of " + host, (r, at, len, type) -> {
                if (NlMsgHdr.seq(r, at) != seq[0]) {
                    return false;
                }
                if (type == Nl.NLMSG_ERROR) {
                    failed[0] = NlMsgErr.read(r, at);
                } else if (type == (NFNL_SUBSYS_NFTABLES << 8 | NFT_MSG_NEWGEN)) {
                    RtAttrs a = RtAttrs.parse(r, at + NlMsgHdr.SIZE + 4, at + len);
                    byte[] id = a.getBytes(NFTA_GEN_ID); // big-endian
                    if (id != null && id.length == 4) {
                        gen[0] = ByteBuffer.wrap(id).getInt() & 0xffffffffL;
                    }
                }
                return true;
            }, (b, socket) -> {
                seq[0] = socket.nextSeq();
                end(b, message(b, NFT_MSG_GETGEN, 0, seq[0], 0));
            });
            c.clean = true;
            if (failed[0] != null) {
                throw error("read the nf_tables generation of " + host, failed[0]);
            }
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
        int acks = (makeTable ? 1 + Hook.values().length : 0) + (guard ? 2 : 0) + rules.size();
        return with(host, c -> {
            NetlinkSocket.Messages batch = (b, socket) -> {
                batchMarker(b, NFNL_MSG_BATCH_BEGIN, socket.nextSeq());
                if (makeTable) {
                    int m = message(b, NFT_MSG_NEWTABLE, Nl.NLM_F_CREATE | Nl.NLM_F_ACK, socket.nextSeq(), nfproto);
                    RtAttr.addString(b, NFTA_TABLE_NAME, TABLE);
                    end(b, m);
                    for (Hook h : Hook.values()) {
                        m = message(b, NFT_MSG_NEWCHAIN, Nl.NLM_F_CREATE | Nl.NLM_F_ACK, socket.nextSeq(), nfproto);
                        RtAttr.addString(b, NFTA_CHAIN_TABLE, TABLE);
                        RtAttr.addString(b, NFTA_CHAIN_NAME, h.chain);
                        int hook = RtAttr.startNested(b, NFTA_CHAIN_HOOK | NLA_F_NESTED);
                        be32(b, NFTA_HOOK_HOOKNUM, h.number);
                        be32(b, NFTA_HOOK_PRIORITY, NF_IP_PRI_NAT_DST);
                        RtAttr.endNested(b, hook);
                        RtAttr.addString(b, NFTA_CHAIN_TYPE, "nat");
                        end(b, m);
                    }
                }
                if (guard) {
                    int m = message(b, NFT_MSG_NEWCHAIN, Nl.NLM_F_CREATE | Nl.NLM_F_ACK, socket.nextSeq(), nfproto);
                    RtAttr.addString(b, NFTA_CHAIN_TABLE, TABLE);
                    RtAttr.addString(b, NFTA_CHAIN_NAME, GUARD_CHAIN);
                    int hook = RtAttr.startNested(b, NFTA_CHAIN_HOOK | NLA_F_NESTED);
                    be32(b, NFTA_HOOK_HOOKNUM, HOOK_INPUT);
                    be32(b, NFTA_HOOK_PRIORITY, PRIORITY_FILTER);
                    RtAttr.endNested(b, hook);
                    RtAttr.addString(b, NFTA_CHAIN_TYPE, "filter");
                    end(b, m);
                    m = message(b, NFT_MSG_NEWRULE, Nl.NLM_F_CREATE | Nl.NLM_F_APPEND | Nl.NLM_F_ECHO | Nl.NLM_F_ACK,
                            socket.nextSeq(), nfproto);
                    RtAttr.addString(b, NFTA_RULE_TABLE, TABLE);
                    RtAttr.addString(b, NFTA_RULE_CHAIN, GUARD_CHAIN);
                    guardExpressions(b);
                    RtAttr.addBytes(b, NFTA_RULE_USERDATA, comment(GUARD_TAG));
                    end(b, m);
                }
                for (Dnat d : rules) {
                    newRule(b, d, socket.nextSeq());
                }
                batchMarker(b, NFNL_MSG_BATCH_END, socket.nextSeq());
            };
            List<Entry> made = new ArrayList<>();
            talk(c, batch, acks, what, family, made);
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
            talk(c, (b, socket) -> {
                int begin = b.position();
                batchMarker(b, NFNL_MSG_BATCH_BEGIN, socket.nextSeq());
                if (generation >= 0) {
                    be32(b, NFNL_BATCH_GENID, (int) generation);
                    end(b, begin);
                }
                for (Entry e : mine) {
                    int m = message(b, NFT_MSG_DELRULE, Nl.NLM_F_ACK, socket.nextSeq(), nfproto);
                    RtAttr.addString(b, NFTA_RULE_TABLE, TABLE);
                    RtAttr.addString(b, NFTA_RULE_CHAIN, e.chain());
                    be64(b, NFTA_RULE_HANDLE, e.handle());
                    end(b, m);
                }
                batchMarker(b, NFNL_MSG_BATCH_END, socket.nextSeq());
            }, mine.size(), what, f, null);
            return null;
        });
    }

    /**
     * @return the rules of the family's table in the namespace; empty when there is no table
     * @throws NetnsException if the dump fails
     */
    static List<Entry> list(NetNamespace host, Family family) throws NetnsException {
        return with(host, c -> {
            List<Entry> out = new ArrayList<>();
            try {
                c.socket.dump(() -> "list table " + name(family) + " in " + host,
                        NFNL_SUBSYS_NFTABLES << 8 | NFT_MSG_GETRULE, 0, b -> {
                            b.put((byte) nfproto(family)).put((byte) NFNETLINK_V0).putShort((short) 0); // nfgenmsg
                            RtAttr.addString(b, NFTA_RULE_TABLE, TABLE);
                        }, out::clear, (r, at, type) -> {
                            if (type == (NFNL_SUBSYS_NFTABLES << 8 | NFT_MSG_NEWRULE)) {
                                out.add(entry(r, at, NlMsgHdr.length(r, at), family));
                            }
                        });
            } catch (NetlinkException e) {
                if (e.errno() == Native.ENOENT) {
                    return List.of(); // no table
                }
                throw e;
            }
            return out;
        });
    }

    // ---- encoding (the primitives are internal.nl.NfTables) ------------------------------------------

    /** One {@code NFT_MSG_NEWRULE} of a batch, echoed back so its handle is learned. */
    static void newRule(ByteBuffer b, Dnat d, int seq) {
        int m = message(b, NFT_MSG_NEWRULE, Nl.NLM_F_CREATE | Nl.NLM_F_APPEND | Nl.NLM_F_ECHO | Nl.NLM_F_ACK, seq,
                nfproto(d.family()));
        RtAttr.addString(b, NFTA_RULE_TABLE, TABLE);
        RtAttr.addString(b, NFTA_RULE_CHAIN, d.hook().chain);
        expressions(b, d);
        RtAttr.addBytes(b, NFTA_RULE_USERDATA, comment(d.comment()));
        end(b, m);
    }

    /** {@code RTN_LOCAL} ({@code include/uapi/linux/rtnetlink.h}): what {@code fib daddr type local} matches. */
    private static final int RTN_LOCAL = 2;
    /** The offsets of the destination address in the IPv4 and IPv6 headers. */
    private static final int IPV4_SADDR = 12;
    private static final int IPV4_DADDR = 16;
    private static final int IPV6_DADDR = 24;
    /** The offset of the destination port in the TCP and UDP headers. */
    private static final int L4_DPORT = 2;

    private static void expressions(ByteBuffer b, Dnat d) {
        boolean v4 = d.family() == Family.IPV4;
        int daddr = v4 ? IPV4_DADDR : IPV6_DADDR;
        int alen = v4 ? 4 : 16;
        int list = RtAttr.startNested(b, NFTA_RULE_EXPRESSIONS | NLA_F_NESTED);
        if (d.destination() != null) {
            payload(b, NFT_PAYLOAD_NETWORK_HEADER, daddr, alen);
            cmp(b, NFT_CMP_EQ, d.destination().getAddress());
        } else {
            if (d.notLoopback()) {
                payload(b, NFT_PAYLOAD_NETWORK_HEADER, daddr, alen);
                if (v4) {
                    bitwise(b, alen, new byte[] {(byte) 0xff, 0, 0, 0});
                    cmp(b, NFT_CMP_NEQ, new byte[] {127, 0, 0, 0});
                } else {
                    byte[] one = new byte[16];
                    one[15] = 1;
                    cmp(b, NFT_CMP_NEQ, one);
                }
            }
            fibDaddrType(b);
            // the address type lands in the register in host order
            cmp(b, NFT_CMP_EQ, ByteBuffer.allocate(4).order(ByteOrder.nativeOrder()).putInt(RTN_LOCAL).array());
        }
        meta(b, NFT_META_L4PROTO);
        cmp(b, NFT_CMP_EQ, new byte[] {(byte) (d.protocol() == Protocol.TCP ? SockDiag.IPPROTO_TCP : SockDiag.IPPROTO_UDP)});
        payload(b, NFT_PAYLOAD_TRANSPORT_HEADER, L4_DPORT, 2);
        cmp(b, NFT_CMP_EQ, port(d.port()));
        immediate(b, NFT_REG_1, d.to().getAddress());
        immediate(b, NFT_REG_2, port(d.toPort()));
        dnat(b, nfproto(d.family()));
        RtAttr.endNested(b, list);
    }

    /** @return the guard as {@code nft list table ip netns} prints it (without its counter's values) */
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
        int list = RtAttr.startNested(b, NFTA_RULE_EXPRESSIONS | NLA_F_NESTED);
        payload(b, NFT_PAYLOAD_NETWORK_HEADER, IPV4_SADDR, 4);
        bitwise(b, 4, mask8);
        cmp(b, NFT_CMP_NEQ, net127);
        payload(b, NFT_PAYLOAD_NETWORK_HEADER, IPV4_DADDR, 4);
        bitwise(b, 4, mask8);
        cmp(b, NFT_CMP_EQ, net127);
        ct(b, CT_STATUS);
        bitwise(b, 4, hostOrder(IPS_DST_NAT));
        cmp(b, NFT_CMP_EQ, new byte[4]); // not DNATed
        ct(b, CT_STATE);
        bitwise(b, 4, hostOrder(CT_STATE_ESTABLISHED_RELATED));
        cmp(b, NFT_CMP_EQ, new byte[4]); // neither established nor related
        endExpr(b, expr(b, "counter"));
        long e = expr(b, "immediate");
        be32(b, NFTA_IMMEDIATE_DREG, NFT_REG_VERDICT);
        int data = RtAttr.startNested(b, NFTA_IMMEDIATE_DATA | NLA_F_NESTED);
        int verdict = RtAttr.startNested(b, NFTA_DATA_VERDICT | NLA_F_NESTED);
        be32(b, NFTA_VERDICT_CODE, NF_DROP);
        RtAttr.endNested(b, verdict);
        RtAttr.endNested(b, data);
        endExpr(b, e);
        RtAttr.endNested(b, list);
    }

    private static void ct(ByteBuffer b, int key) {
        long e = expr(b, "ct");
        be32(b, NFTA_CT_DREG, NFT_REG_1);
        be32(b, NFTA_CT_KEY, key);
        endExpr(b, e);
    }

    /** Conntrack state and status land in the register in host order. */
    private static byte[] hostOrder(int v) {
        return ByteBuffer.allocate(4).order(ByteOrder.nativeOrder()).putInt(v).array();
    }

    private static byte[] port(int port) {
        return new byte[] {(byte) (port >>> 8), (byte) port};
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

    // ---- the conversation ---------------------------------------------------------------------------

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
        final NetlinkSocket socket;
        long lastUse = System.nanoTime();
        /** False while a conversation has not read its last answer. */
        boolean clean = true;
        boolean open = true;

        Channel(String key, NetlinkSocket socket) {
            this.key = key;
            this.socket = socket;
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
                Channel made = new Channel(key, NetlinkSocket.open(host, Nl.NETLINK_NETFILTER, "nf_tables", null));
                c = CHANNELS.putIfAbsent(key, made);
                if (c == null) {
                    c = made;
                } else {
                    made.socket.close();
                }
            }
            synchronized (c) {
                if (!c.open) {
                    continue; // closed as idle right then: take another
                }
                c.clean = false;
                try {
                    T result = conversation.run(c);
                    c.clean = true;
                    return result;
                } catch (NetlinkException e) {
                    throw e; // an error answer, read to its end: the socket stays usable
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
        c.socket.close();
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

    /**
     * Sends the batch, then a {@code GETGEN} request whose answer comes after every answer to the batch
     * (the kernel handles a socket's requests in order, while the sender waits), and reads up to it: the
     * acknowledgements (the first error is thrown once all is read) and, into {@code echoed}, the rules the
     * kernel echoes.
     */
    private static void talk(Channel c, NetlinkSocket.Messages batch, int acks, String what, Family family,
            List<Entry> echoed) throws NetnsException {
        int[] sentinel = {0};
        NlMsgErr[] failed = {null};
        int[] acked = {0};
        if (echoed != null) {
            echoed.clear();
        }
        c.socket.converse(() -> what, (r, at, len, type) -> {
            if (NlMsgHdr.seq(r, at) == sentinel[0]) {
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
            } else if (type == (NFNL_SUBSYS_NFTABLES << 8 | NFT_MSG_NEWRULE) && echoed != null) {
                echoed.add(entry(r, at, len, family));
            }
            return false;
        }, batch, (b, socket) -> { // a batch ends its datagram: the sentinel goes on its own
            sentinel[0] = socket.nextSeq();
            end(b, message(b, NFT_MSG_GETGEN, 0, sentinel[0], 0));
        });
        c.clean = true; // read up to the sentinel: nothing of this conversation is left
        if (failed[0] != null) {
            throw error(what, failed[0]);
        }
        if (acked[0] < acks) {
            throw NetnsException.failure("nf_tables", what + ": " + acked[0] + " of " + acks + " messages acknowledged");
        }
    }

    private static Entry entry(ByteBuffer r, int at, int len, Family family) {
        RtAttrs a = RtAttrs.parse(r, at + NlMsgHdr.SIZE + 4, at + len);
        String chain = a.getString(NFTA_RULE_CHAIN);
        int h = a.payloadOffset(NFTA_RULE_HANDLE);
        if (chain == null || h < 0 || a.payloadLength(NFTA_RULE_HANDLE) != 8) {
            throw new NlFormatException("a rule without chain or handle");
        }
        long handle = 0;
        for (int i = 0; i < 8; i++) {
            handle = handle << 8 | (r.get(h + i) & 0xff);
        }
        int u = a.payloadOffset(NFTA_RULE_USERDATA);
        String comment = u < 0 ? null : comment(r, u, a.payloadLength(NFTA_RULE_USERDATA));
        int x = a.payloadOffset(NFTA_RULE_EXPRESSIONS);
        boolean localnet = family == Family.IPV4 && chain.equals(Hook.OUTPUT.chain) && x >= 0
                && matchesLoopback(r, x, x + a.payloadLength(NFTA_RULE_EXPRESSIONS));
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
        String name = first == null ? null : first.getString(NFTA_EXPR_NAME);
        if ("fib".equals(name)) {
            return true;
        }
        if (!"payload".equals(name)) {
            return false;
        }
        int next = from + Nl.rtaAlign(r.getShort(from) & 0xffff);
        RtAttrs second = element(r, next, to);
        if (second == null || !"cmp".equals(second.getString(NFTA_EXPR_NAME)) || !second.has(NFTA_EXPR_DATA)) {
            return false;
        }
        RtAttrs cmp = second.nested(NFTA_EXPR_DATA);
        byte[] op = cmp.getBytes(NFTA_CMP_OP);
        RtAttrs data = cmp.has(NFTA_CMP_DATA) ? cmp.nested(NFTA_CMP_DATA) : null;
        byte[] v = data == null ? null : data.getBytes(NFTA_DATA_VALUE);
        return op != null && op.length == 4 && op[3] == NFT_CMP_EQ && v != null && v.length == 4 && v[0] == 127;
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
