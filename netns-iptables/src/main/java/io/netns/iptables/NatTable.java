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
     */
    record Entry(Family family, String chain, long handle, String comment, Dnat rule) {
    }

    /**
     * Appends rules of one family in one batch, making the table and its chains first when this JVM has not
     * made them in that namespace. All or nothing.
     *
     * @return the rules made, with their handles
     * @throws NetnsException if the kernel refuses the batch (nothing of it is applied)
     */
    static List<Entry> add(NetNamespace host, Family family, List<Dnat> rules) throws NetnsException {
        if (rules.isEmpty()) {
            return List.of();
        }
        for (Dnat d : rules) {
            if (d.family() != family) {
                throw new IllegalArgumentException("rule of another family: " + d.text());
            }
        }
        String key = host.device() + ":" + host.inode() + ":" + family;
        boolean known = MADE.contains(key);
        try {
            List<Entry> made = addBatch(host, family, rules, !known);
            MADE.add(key);
            return made;
        } catch (NetnsException e) {
            if (!known || e.errno() != Native.ENOENT) { // the table or a chain went (nft flush ruleset)
                throw e;
            }
            MADE.remove(key);
            List<Entry> made = addBatch(host, family, rules, true);
            MADE.add(key);
            return made;
        }
    }

    private static List<Entry> addBatch(NetNamespace host, Family family, List<Dnat> rules, boolean makeTable)
            throws NetnsException {
        int nfproto = nfproto(family);
        String what = "add " + rules.size() + " DNAT rule(s) to table " + name(family) + " in " + host;
        int acks = (makeTable ? 1 + Hook.values().length : 0) + rules.size();
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
                for (Dnat d : rules) {
                    newRule(b, d, socket.nextSeq());
                }
                batchMarker(b, NFNL_MSG_BATCH_END, socket.nextSeq());
            };
            List<Entry> made = new ArrayList<>();
            talk(c, batch, acks, what, family, made);
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
     * Deletes rules by handle, per family in one batch each.
     *
     * @throws NetnsException if one is gone or the kernel refuses (nothing of that family's batch applied)
     */
    static void delete(NetNamespace host, List<Entry> entries) throws NetnsException {
        for (Family f : Family.values()) {
            List<Entry> mine = entries.stream().filter(e -> e.family() == f).toList();
            if (mine.isEmpty()) {
                continue;
            }
            int nfproto = nfproto(f);
            String what = "delete " + mine.size() + " rule(s) from table " + name(f) + " in " + host;
            with(host, c -> {
                talk(c, (b, socket) -> {
                    batchMarker(b, NFNL_MSG_BATCH_BEGIN, socket.nextSeq());
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
        return new Entry(family, chain, handle, comment, null);
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
