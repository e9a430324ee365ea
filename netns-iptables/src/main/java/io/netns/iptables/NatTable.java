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
import java.util.EnumMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import static io.netns.internal.nl.NfTables.*;

/**
 * Internal use only: the DNAT of published ports, as elements of nf_tables maps in the library's own table
 * {@code netns} (family {@code ip}, and {@code ip6} for IPv6 sandboxes), written in netlink batches over a
 * {@code NETLINK_NETFILTER} socket opened in the host's namespace.
 *
 * <h2>The table</h2>
 * A constant number of rules, whatever the number of published ports: each looks the packet's destination
 * up in one map, and a published port is one element of one map (a range of ports is one interval
 * element when it maps port for port to the same numbers).
 * <pre>
 * table ip netns {
 *     map ports            { type inet_proto . inet_service : ipv4_addr . inet_service }                     # every host address
 *     map port_ranges      { type inet_proto . inet_service : ipv4_addr; flags interval }                    # every host address, ranges
 *     map addr_ports       { type ipv4_addr . inet_proto . inet_service : ipv4_addr . inet_service }         # one host address
 *     map addr_port_ranges { type ipv4_addr . inet_proto . inet_service : ipv4_addr; flags interval }        # one host address, ranges
 *     chain prerouting { type nat hook prerouting priority dstnat; policy accept;
 *         ip daddr != 127.0.0.0/8 fib daddr type local dnat ip to meta l4proto . th dport map @ports
 *         ip daddr != 127.0.0.0/8 fib daddr type local dnat to meta l4proto . th dport map @port_ranges
 *         ip daddr != 127.0.0.0/8 dnat ip to ip daddr . meta l4proto . th dport map @addr_ports
 *         ip daddr != 127.0.0.0/8 dnat to ip daddr . meta l4proto . th dport map @addr_port_ranges }
 *     chain output { type nat hook output priority -100; policy accept;
 *         the same four without the loopback exclusion (the host itself, 127.0.0.1 included) }
 * }
 * </pre>
 * {@code ip6 netns} is the same with {@code ipv6_addr} and {@code ip6 daddr != ::1}, in the output chain
 * too: a DNAT of the host's {@code [::1]} to a sandbox would leave with the source {@code ::1}, which the
 * sandbox's kernel drops (IPv6 has no {@code route_localnet}). The single-port maps
 * are hash tables (a lookup and an update cost the same with 10 or 10,000 elements); the range maps are
 * interval maps of concatenated keys ({@code pipapo}, kernel 5.6 and later), which hold only ranges. An
 * element of a range map DNATs the address only, so the port is kept: the kernel's {@code nat} expression
 * cannot shift a port range by an offset (its {@code nf_nat_range2.base_proto} is not settable from
 * nf_tables: no {@code NFTA_NAT_REG_PROTO_BASE} in mainline), so a range mapped to other port numbers
 * ({@code 8000-8099:9000-9099}) is one element per port in the single-port map.
 *
 * <p>Every element carries its owner's tag as its comment ({@code NFTA_SET_ELEM_USERDATA}, shown by
 * {@code nft list table ip netns}); {@link IptablesFirewall#remove} deletes exactly the owner's elements, by
 * key, in a batch bound to the ruleset generation in which they were made or read (the kernel refuses the
 * batch if anything changed since; then the maps are read again).
 *
 * <h2>Why not iptables-restore</h2>
 * With the nf_tables backend, every iptables match or target that has no native translation ({@code -j DNAT},
 * {@code -m comment}, {@code -m addrtype}, {@code -m conntrack} in iptables 1.8.9) becomes an {@code nft_compat}
 * expression, and the kernel initialises each one only after the deferred release of every rule deleted
 * before it ({@code __nft_match_init} flushes the destroy work, which waits for an RCU grace period:
 * 10–20 ms here). Native expressions never wait; set elements have no expressions at all.
 *
 * <p>The table, its maps and chains are made at first use in a namespace (and whenever someone else
 * changed the ruleset since this JVM last wrote there): in the same batch as the first elements, the chains
 * are flushed and their rules written again, so the rules are always exactly the ones above. A DNAT in this
 * table and one in iptables' {@code nat} table both work: the first that maps a new flow wins. Filtering
 * stays in iptables' filter table, where an accept can get past a DROP policy.
 */
final class NatTable {
    /** The table's name in both families. */
    static final String TABLE = "netns";
    /** {@code NFTNL_UDATA_RULE_COMMENT} and {@code NFTNL_UDATA_SET_ELEM_COMMENT} of libnftnl: both 0. */
    private static final int COMMENT = 0;

    private static final Set<String> MADE = ConcurrentHashMap.newKeySet();

    /** The IPv4 filter chain holding the localnet guard. */
    static final String GUARD_CHAIN = "input";
    /**
     * The comment of the guard that comes with {@code route_localnet=1}: not an owner's tag, so no
     * owner's removal takes it; it goes when the last element that needs {@code route_localnet} goes.
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
     * Elements per {@code NEWSETELEM}/{@code DELSETELEM} message: the element list is one attribute, whose
     * length is 16 bits (an element with its comment is under 150 bytes).
     */
    static final int ELEMENTS_PER_MESSAGE = 256;
    /**
     * Elements per batch: a batch is one datagram, which must fit the socket's send buffer (≈ 200 KiB by
     * default); its acknowledgements are one per message.
     */
    static final int ELEMENTS_PER_BATCH = 1024;

    /** nftables' datatypes ({@code nftables/include/datatype.h}), kept by the kernel for {@code nft} to print keys. */
    private static final int TYPE_IPADDR = 7;
    private static final int TYPE_IP6ADDR = 8;
    private static final int TYPE_INET_PROTOCOL = 12;
    private static final int TYPE_INET_SERVICE = 13;
    /** {@code TYPE_BITS}: a concatenation's type is its fields' types, 6 bits each. */
    private static final int TYPE_BITS = 6;

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

    /** The four maps of each family's table. */
    enum PortMap {
        /** One port on every host address: {@code proto . port : addr . port}. */
        PORTS("ports", false, false),
        /** A range of ports on every host address, same numbers in the sandbox: {@code proto . port-port : addr}. */
        PORT_RANGES("port_ranges", false, true),
        /** One port on one host address: {@code addr . proto . port : addr . port}. */
        ADDR_PORTS("addr_ports", true, false),
        /** A range on one host address: {@code addr . proto . port-port : addr}. */
        ADDR_PORT_RANGES("addr_port_ranges", true, true);

        /** The map's name in the table. */
        final String set;
        /** Whether its key starts with the destination address. */
        final boolean byAddress;
        /** Whether its elements are intervals, mapped to an address only. */
        final boolean ranges;

        PortMap(String set, boolean byAddress, boolean ranges) {
            this.set = set;
            this.byAddress = byAddress;
            this.ranges = ranges;
        }

        /** @return its {@code NFTA_SET_ID} in a batch that makes it */
        int id() {
            return ordinal() + 1;
        }

        /** @return the length of its key: one 4-byte register per field (an IPv6 address takes four) */
        int keyLength(Family f) {
            return (byAddress ? addressLength(f) : 0) + 8;
        }

        /** @return the length of its value */
        int dataLength(Family f) {
            return addressLength(f) + (ranges ? 0 : 4);
        }

        int keyType(Family f) {
            int t = byAddress ? addressType(f) << TYPE_BITS | TYPE_INET_PROTOCOL : TYPE_INET_PROTOCOL;
            return t << TYPE_BITS | TYPE_INET_SERVICE;
        }

        int dataType(Family f) {
            return ranges ? addressType(f) : addressType(f) << TYPE_BITS | TYPE_INET_SERVICE;
        }

        int flags() {
            return NFT_SET_MAP | (ranges ? NFT_SET_INTERVAL | NFT_SET_CONCAT : 0);
        }

        /** @return the map of that name, or null */
        static PortMap named(String name) {
            for (PortMap m : values()) {
                if (m.set.equals(name)) {
                    return m;
                }
            }
            return null;
        }
    }

    private static int addressLength(Family f) {
        return f == Family.IPV4 ? 4 : 16;
    }

    private static int addressType(Family f) {
        return f == Family.IPV4 ? TYPE_IPADDR : TYPE_IP6ADDR;
    }

    /**
     * One published port, or range of ports, as one element of one map.
     *
     * @param protocol matched
     * @param destination the host address matched; null for every local address of the host
     * @param port the (first) host port
     * @param portEnd the last host port ({@code port} for one port)
     * @param to the sandbox address
     * @param toPort the sandbox port; 0 for a range, whose ports stay what they are (only the address is
     *     changed)
     * @param comment the owner's tag
     */
    record Mapping(Protocol protocol, InetAddress destination, int port, int portEnd, InetAddress to, int toPort,
            String comment) {
        Mapping {
            Objects.requireNonNull(protocol, "protocol");
            Objects.requireNonNull(to, "to");
            Rule.checkComment(comment);
            if (port < 1 || port > 65535 || portEnd < port || portEnd > 65535 || toPort < 0 || toPort > 65535) {
                throw new IllegalArgumentException("port out of range: " + port + "-" + portEnd + " -> " + toPort);
            }
            if ((toPort == 0) != (portEnd > port)) {
                throw new IllegalArgumentException("a range keeps its ports, one port has a target port: " + port + "-"
                        + portEnd + " -> " + toPort);
            }
            if (destination != null && Family.of(destination) != Family.of(to)) {
                throw new IllegalArgumentException("destination and target of different families: " + destination + ", " + to);
            }
        }

        /**
         * @param protocol matched
         * @param destination the host address matched; null for every local address of the host
         * @param port the host port
         * @param to the sandbox address
         * @param toPort the sandbox port
         * @param comment the owner's tag
         * @return one port
         */
        static Mapping port(Protocol protocol, InetAddress destination, int port, InetAddress to, int toPort, String comment) {
            return new Mapping(protocol, destination, port, port, to, toPort, comment);
        }

        Family family() {
            return Family.of(to);
        }

        /** @return the map it is an element of */
        PortMap map() {
            return destination == null ? (toPort == 0 ? PortMap.PORT_RANGES : PortMap.PORTS)
                    : (toPort == 0 ? PortMap.ADDR_PORT_RANGES : PortMap.ADDR_PORTS);
        }

        /** @return whether it DNATs packets the host sends to 127.0.0.0/8, which needs {@code route_localnet} */
        boolean needsLocalnet() {
            return family() == Family.IPV4 && (destination == null || destination.isLoopbackAddress());
        }

        /** @return the key (the first of the interval for a range) */
        byte[] key() {
            return key(port);
        }

        /** @return the last key of the interval, for a range; null for one port */
        byte[] keyEnd() {
            return toPort == 0 ? key(portEnd) : null;
        }

        private byte[] key(int p) {
            ByteBuffer b = ByteBuffer.allocate(map().keyLength(family()));
            if (destination != null) {
                b.put(destination.getAddress());
            }
            b.put((byte) (protocol == Protocol.TCP ? SockDiag.IPPROTO_TCP : SockDiag.IPPROTO_UDP)).put(new byte[3]);
            b.put(NatTable.port(p));
            return b.array();
        }

        /** @return the value: the sandbox address, and its port unless a range */
        byte[] data() {
            ByteBuffer b = ByteBuffer.allocate(map().dataLength(family()));
            b.put(to.getAddress());
            if (toPort != 0) {
                b.put(NatTable.port(toPort));
            }
            return b.array();
        }

        /** @return the element as {@code nft list table ip netns} prints it, with its map's name first */
        String text() {
            StringBuilder b = new StringBuilder(map().set).append(": ");
            if (destination != null) {
                b.append(Addr.text(destination)).append(" . ");
            }
            b.append(protocol.id()).append(" . ").append(port);
            if (portEnd != port) {
                b.append('-').append(portEnd);
            }
            b.append(" comment \"").append(comment).append("\" : ").append(Addr.text(to));
            if (toPort != 0) {
                b.append(" . ").append(toPort);
            }
            return b.toString();
        }
    }

    /**
     * An element of one of the maps.
     *
     * @param family its table's family
     * @param map its map
     * @param key its key (the first of its interval)
     * @param keyEnd the last key of its interval, or null
     * @param comment its comment, or null
     * @param mapping what this JVM wrote, when it wrote the element; null when it was read from the kernel
     */
    record Element(Family family, PortMap map, byte[] key, byte[] keyEnd, String comment, Mapping mapping) {
        /** @return whether it DNATs packets to 127.0.0.0/8 of the host, which needs {@code route_localnet} */
        boolean localnet() {
            return family == Family.IPV4 && (!map.byAddress || key[0] == 127);
        }

        @Override
        public String toString() {
            return mapping != null ? mapping.text() : map.set + ": key " + HexFormat.of().formatHex(key)
                    + (keyEnd == null ? "" : "-" + HexFormat.of().formatHex(keyEnd)) + " comment \"" + comment + "\"";
        }
    }

    /**
     * Adds elements of one family, making the table, its maps and rules first when this JVM has not made them
     * in that namespace; in batches of {@value #ELEMENTS_PER_BATCH}, all or nothing (a failed batch takes
     * back the ones before).
     *
     * @return the elements made
     * @throws NetnsException if the kernel refuses a batch (nothing of the call is left)
     */
    static List<Element> add(NetNamespace host, Family family, List<Mapping> mappings) throws NetnsException {
        return add(host, family, mappings, false);
    }

    /**
     * Like {@link #add(NetNamespace, Family, List)}, with the localnet guard ({@link #guardText()}) in the
     * first batch when {@code guard} is set: the guard and the elements that need it are made together.
     *
     * @return the elements made (the guard is not among them)
     */
    static List<Element> add(NetNamespace host, Family family, List<Mapping> mappings, boolean guard) throws NetnsException {
        if (guard && family != Family.IPV4) {
            throw new IllegalArgumentException("the localnet guard is an IPv4 rule");
        }
        if (mappings.isEmpty() && !guard) {
            return List.of();
        }
        for (Mapping m : mappings) {
            if (m.family() != family) {
                throw new IllegalArgumentException("element of another family: " + m.text());
            }
        }
        List<Element> made = new ArrayList<>();
        try {
            for (int i = 0; i < mappings.size() || i == 0; i += ELEMENTS_PER_BATCH) {
                List<Mapping> chunk = mappings.subList(i, Math.min(mappings.size(), i + ELEMENTS_PER_BATCH));
                addChunk(host, family, chunk, guard && i == 0);
                for (Mapping m : chunk) {
                    made.add(new Element(family, m.map(), m.key(), m.keyEnd(), m.comment(), m));
                }
            }
            return made;
        } catch (NetnsException | RuntimeException e) {
            if (!made.isEmpty() || guard) { // the batches before: all or nothing
                try {
                    delete(host, made);
                    if (guard && !made.isEmpty()) {
                        deleteGuard(host);
                    }
                } catch (NetnsException | RuntimeException suppressed) {
                    e.addSuppressed(suppressed);
                }
            }
            throw e;
        }
    }

    private static void addChunk(NetNamespace host, Family family, List<Mapping> mappings, boolean guard)
            throws NetnsException {
        String key = host.device() + ":" + host.inode() + ":" + family;
        boolean known = MADE.contains(key);
        try {
            addBatch(host, family, mappings, !known, guard);
            MADE.add(key);
        } catch (NetnsException e) {
            if (!known || e.errno() != Native.ENOENT) { // the table or a map went (nft flush ruleset)
                throw e;
            }
            MADE.remove(key);
            addBatch(host, family, mappings, true, guard);
            MADE.add(key);
        }
    }

    /**
     * Makes the table's base (maps, chains and their lookup rules) what it must be when its rules are not
     * exactly one lookup per map in each chain (someone flushed or edited a chain, or the table is gone).
     *
     * @return whether the base was written
     * @throws NetnsException if the rules cannot be read or the kernel refuses the batch
     */
    static boolean repairBase(NetNamespace host, Family family) throws NetnsException {
        Map<String, Integer> lookups = with(host, c -> {
            Map<String, Integer> out = new java.util.HashMap<>();
            try {
                c.socket.dump(() -> "list table " + name(family) + " in " + host,
                        NFNL_SUBSYS_NFTABLES << 8 | NFT_MSG_GETRULE, 0, b -> {
                            b.put((byte) nfproto(family)).put((byte) NFNETLINK_V0).putShort((short) 0); // nfgenmsg
                            RtAttr.addString(b, NFTA_RULE_TABLE, TABLE);
                        }, out::clear, (r, at, type) -> {
                            if (type == (NFNL_SUBSYS_NFTABLES << 8 | NFT_MSG_NEWRULE)) {
                                RtAttrs a = RtAttrs.parse(r, at + NlMsgHdr.SIZE + 4, at + NlMsgHdr.length(r, at));
                                out.merge(String.valueOf(a.getString(NFTA_RULE_CHAIN)), 1, Integer::sum);
                            }
                        });
            } catch (NetlinkException e) {
                if (e.errno() != Native.ENOENT) {
                    throw e;
                }
            }
            return out;
        });
        boolean intact = true;
        for (Hook h : Hook.values()) {
            intact &= lookups.getOrDefault(h.chain, 0) == PortMap.values().length;
        }
        if (intact) {
            return false;
        }
        String what = "write the maps and rules of table " + name(family) + " in " + host;
        with(host, c -> {
            talk(c, (b, socket) -> {
                batchMarker(b, NFNL_MSG_BATCH_BEGIN, socket.nextSeq());
                base(b, socket, family);
                batchMarker(b, NFNL_MSG_BATCH_END, socket.nextSeq());
            }, baseMessages(), what);
            return null;
        });
        MADE.add(host.device() + ":" + host.inode() + ":" + family);
        return true;
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

    private static void addBatch(NetNamespace host, Family family, List<Mapping> mappings, boolean makeTable,
            boolean guard) throws NetnsException {
        int nfproto = nfproto(family);
        String what = "add " + mappings.size() + " element(s) to the maps of table " + name(family) + " in " + host;
        Map<PortMap, List<Mapping>> byMap = new EnumMap<>(PortMap.class);
        for (Mapping m : mappings) {
            byMap.computeIfAbsent(m.map(), k -> new ArrayList<>()).add(m);
        }
        int acks = (makeTable ? baseMessages() : 0) + (guard ? 2 : 0);
        for (List<Mapping> l : byMap.values()) {
            acks += (l.size() + ELEMENTS_PER_MESSAGE - 1) / ELEMENTS_PER_MESSAGE;
        }
        int messages = acks;
        with(host, c -> {
            NetlinkSocket.Messages batch = (b, socket) -> {
                batchMarker(b, NFNL_MSG_BATCH_BEGIN, socket.nextSeq());
                if (makeTable) {
                    base(b, socket, family);
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
                    m = message(b, NFT_MSG_NEWRULE, Nl.NLM_F_CREATE | Nl.NLM_F_APPEND | Nl.NLM_F_ACK, socket.nextSeq(),
                            nfproto);
                    RtAttr.addString(b, NFTA_RULE_TABLE, TABLE);
                    RtAttr.addString(b, NFTA_RULE_CHAIN, GUARD_CHAIN);
                    guardExpressions(b);
                    RtAttr.addBytes(b, NFTA_RULE_USERDATA, comment(GUARD_TAG));
                    end(b, m);
                }
                for (Map.Entry<PortMap, List<Mapping>> en : byMap.entrySet()) {
                    List<Mapping> all = en.getValue();
                    for (int i = 0; i < all.size(); i += ELEMENTS_PER_MESSAGE) {
                        newElements(b, family, en.getKey(), all.subList(i, Math.min(all.size(), i + ELEMENTS_PER_MESSAGE)),
                                socket.nextSeq());
                    }
                }
                batchMarker(b, NFNL_MSG_BATCH_END, socket.nextSeq());
            };
            talk(c, batch, messages, what);
            return null;
        });
    }

    /** @return the number of messages {@link #base} writes: table, chains, maps, two flushes, the rules */
    private static int baseMessages() {
        return 1 + Hook.values().length + PortMap.values().length + Hook.values().length
                + Hook.values().length * PortMap.values().length;
    }

    /**
     * Writes the table, its chains and maps (made when missing, kept when there) and the chains' rules (the
     * chains are flushed first, so they hold exactly these).
     *
     * Writes {@link #baseMessages()} messages, each acknowledged.
     */
    private static void base(ByteBuffer b, NetlinkSocket socket, Family family) {
        int nfproto = nfproto(family);
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
        for (PortMap map : PortMap.values()) {
            newSet(b, family, map, socket.nextSeq());
        }
        for (Hook h : Hook.values()) {
            m = message(b, NFT_MSG_DELRULE, Nl.NLM_F_ACK, socket.nextSeq(), nfproto); // no handle: every rule
            RtAttr.addString(b, NFTA_RULE_TABLE, TABLE);
            RtAttr.addString(b, NFTA_RULE_CHAIN, h.chain);
            end(b, m);
        }
        for (Hook h : Hook.values()) {
            for (PortMap map : PortMap.values()) {
                newRule(b, family, h, map, socket.nextSeq());
            }
        }
    }

    /** One {@code NFT_MSG_NEWSET}: a map, made unless it exists with the same properties. */
    static void newSet(ByteBuffer b, Family family, PortMap map, int seq) {
        int m = message(b, NFT_MSG_NEWSET, Nl.NLM_F_CREATE | Nl.NLM_F_ACK, seq, nfproto(family));
        RtAttr.addString(b, NFTA_SET_TABLE, TABLE);
        RtAttr.addString(b, NFTA_SET_NAME, map.set);
        be32(b, NFTA_SET_FLAGS, map.flags());
        be32(b, NFTA_SET_KEY_TYPE, map.keyType(family));
        be32(b, NFTA_SET_KEY_LEN, map.keyLength(family));
        be32(b, NFTA_SET_DATA_TYPE, map.dataType(family));
        be32(b, NFTA_SET_DATA_LEN, map.dataLength(family));
        if (map.ranges) { // the fields of the concatenation, for the interval lookup
            int desc = RtAttr.startNested(b, NFTA_SET_DESC | NLA_F_NESTED);
            int concat = RtAttr.startNested(b, NFTA_SET_DESC_CONCAT | NLA_F_NESTED);
            int[] fields = map.byAddress ? new int[] {addressLength(family), 1, 2} : new int[] {1, 2};
            for (int len : fields) {
                int f = RtAttr.startNested(b, NFTA_LIST_ELEM | NLA_F_NESTED);
                be32(b, NFTA_SET_FIELD_LEN, len);
                RtAttr.endNested(b, f);
            }
            RtAttr.endNested(b, concat);
            RtAttr.endNested(b, desc);
        }
        be32(b, NFTA_SET_ID, map.id());
        end(b, m);
    }

    /** One {@code NFT_MSG_NEWRULE} of the base rules: the lookup of the packet in {@code map}, and its DNAT. */
    static void newRule(ByteBuffer b, Family family, Hook hook, PortMap map, int seq) {
        int m = message(b, NFT_MSG_NEWRULE, Nl.NLM_F_CREATE | Nl.NLM_F_APPEND | Nl.NLM_F_ACK, seq, nfproto(family));
        RtAttr.addString(b, NFTA_RULE_TABLE, TABLE);
        RtAttr.addString(b, NFTA_RULE_CHAIN, hook.chain);
        boolean v4 = family == Family.IPV4;
        int daddr = v4 ? IPV4_DADDR : IPV6_DADDR;
        int alen = addressLength(family);
        int list = RtAttr.startNested(b, NFTA_RULE_EXPRESSIONS | NLA_F_NESTED);
        // 127.0.0.0/8 and ::1 are the host's own: never from outside; and ::1 not from the host either: the kernel
        // drops a DNAT from ::1 to a sandbox (a loopback source off the loopback interface; no route_localnet)
        if (hook == Hook.PREROUTING || !v4) {
            if (v4) {
                payload(b, NFT_PAYLOAD_NETWORK_HEADER, daddr, 1);
                cmp(b, NFT_CMP_NEQ, new byte[] {127});
            } else {
                payload(b, NFT_PAYLOAD_NETWORK_HEADER, daddr, alen);
                byte[] one = new byte[16];
                one[15] = 1;
                cmp(b, NFT_CMP_NEQ, one);
            }
        }
        int reg = NFT_REG32_00; // the key, one 32-bit register per field
        if (map.byAddress) {
            payload(b, NFT_PAYLOAD_NETWORK_HEADER, daddr, alen, NFT_REG_1);
            reg += alen / 4;
        } else {
            fibDaddrType(b);
            // the address type lands in the register in host order
            cmp(b, NFT_CMP_EQ, ByteBuffer.allocate(4).order(ByteOrder.nativeOrder()).putInt(RTN_LOCAL).array());
        }
        meta(b, NFT_META_L4PROTO, reg);
        payload(b, NFT_PAYLOAD_TRANSPORT_HEADER, L4_DPORT, 2, reg + 1);
        lookup(b, map.set, map.id());
        dnat(b, nfproto(family), map.ranges ? 0 : NFT_REG32_00 + alen / 4);
        RtAttr.endNested(b, list);
        end(b, m);
    }

    /** One {@code NFT_MSG_NEWSETELEM}: elements of one map, each with its owner's tag as comment. */
    static void newElements(ByteBuffer b, Family family, PortMap map, List<Mapping> mappings, int seq) {
        int m = message(b, NFT_MSG_NEWSETELEM, Nl.NLM_F_CREATE | Nl.NLM_F_EXCL | Nl.NLM_F_ACK, seq, nfproto(family));
        RtAttr.addString(b, NFTA_SET_ELEM_LIST_TABLE, TABLE);
        RtAttr.addString(b, NFTA_SET_ELEM_LIST_SET, map.set);
        int list = RtAttr.startNested(b, NFTA_SET_ELEM_LIST_ELEMENTS | NLA_F_NESTED);
        for (Mapping x : mappings) {
            int e = RtAttr.startNested(b, NFTA_LIST_ELEM | NLA_F_NESTED);
            data(b, NFTA_SET_ELEM_KEY, x.key());
            if (x.keyEnd() != null) {
                data(b, NFTA_SET_ELEM_KEY_END, x.keyEnd());
            }
            data(b, NFTA_SET_ELEM_DATA, x.data());
            RtAttr.addBytes(b, NFTA_SET_ELEM_USERDATA, comment(x.comment()));
            RtAttr.endNested(b, e);
        }
        RtAttr.endNested(b, list);
        end(b, m);
    }

    /**
     * Deletes elements by key, per family in batches of {@value #ELEMENTS_PER_BATCH}.
     *
     * @throws NetnsException if one is gone or the kernel refuses (nothing of that batch applied)
     */
    static void delete(NetNamespace host, List<Element> elements) throws NetnsException {
        delete(host, elements, -1);
    }

    /**
     * Deletes elements by key, only while the namespace's ruleset is still at generation {@code generation}
     * (when not negative): the elements were read or made then, and any change since (another owner's
     * element with the same key, after a flush) makes the kernel refuse the batch with {@link #ERESTART}
     * instead of deleting what is not the owner's.
     *
     * @throws NetnsException with errno {@link #ERESTART} when the generation changed; else if one is gone or
     *     the kernel refuses (nothing of that batch applied)
     */
    static void delete(NetNamespace host, List<Element> elements, long generation) throws NetnsException {
        for (Family f : Family.values()) {
            List<Element> mine = elements.stream().filter(e -> e.family() == f).toList();
            for (int i = 0; i < mine.size(); i += ELEMENTS_PER_BATCH) {
                // after the first batch the generation is ours: the next batch checks against that one
                long gen = i == 0 ? generation : generation < 0 ? -1 : generation(host);
                deleteBatch(host, f, mine.subList(i, Math.min(mine.size(), i + ELEMENTS_PER_BATCH)), gen);
            }
        }
    }

    private static void deleteBatch(NetNamespace host, Family f, List<Element> mine, long generation) throws NetnsException {
        int nfproto = nfproto(f);
        String what = "delete " + mine.size() + " element(s) from the maps of table " + name(f) + " in " + host;
        Map<PortMap, List<Element>> byMap = new EnumMap<>(PortMap.class);
        for (Element e : mine) {
            byMap.computeIfAbsent(e.map(), k -> new ArrayList<>()).add(e);
        }
        int acks = 0;
        for (List<Element> l : byMap.values()) {
            acks += (l.size() + ELEMENTS_PER_MESSAGE - 1) / ELEMENTS_PER_MESSAGE;
        }
        int messages = acks;
        with(host, c -> {
            talk(c, (b, socket) -> {
                int begin = b.position();
                batchMarker(b, NFNL_MSG_BATCH_BEGIN, socket.nextSeq());
                if (generation >= 0) {
                    be32(b, NFNL_BATCH_GENID, (int) generation);
                    end(b, begin);
                }
                for (Map.Entry<PortMap, List<Element>> en : byMap.entrySet()) {
                    List<Element> all = en.getValue();
                    for (int i = 0; i < all.size(); i += ELEMENTS_PER_MESSAGE) {
                        int m = message(b, NFT_MSG_DELSETELEM, Nl.NLM_F_ACK, socket.nextSeq(), nfproto);
                        RtAttr.addString(b, NFTA_SET_ELEM_LIST_TABLE, TABLE);
                        RtAttr.addString(b, NFTA_SET_ELEM_LIST_SET, en.getKey().set);
                        int list = RtAttr.startNested(b, NFTA_SET_ELEM_LIST_ELEMENTS | NLA_F_NESTED);
                        for (Element e : all.subList(i, Math.min(all.size(), i + ELEMENTS_PER_MESSAGE))) {
                            int n = RtAttr.startNested(b, NFTA_LIST_ELEM | NLA_F_NESTED);
                            data(b, NFTA_SET_ELEM_KEY, e.key());
                            if (e.keyEnd() != null) {
                                data(b, NFTA_SET_ELEM_KEY_END, e.keyEnd());
                            }
                            RtAttr.endNested(b, n);
                        }
                        RtAttr.endNested(b, list);
                        end(b, m);
                    }
                }
                batchMarker(b, NFNL_MSG_BATCH_END, socket.nextSeq());
            }, messages, what);
            return null;
        });
    }

    /**
     * @return the elements of the family's maps in the namespace; empty when there is no table
     * @throws NetnsException if a dump fails
     */
    static List<Element> list(NetNamespace host, Family family) throws NetnsException {
        List<Element> out = new ArrayList<>();
        for (PortMap map : PortMap.values()) {
            out.addAll(list(host, family, map));
        }
        return out;
    }

    private static List<Element> list(NetNamespace host, Family family, PortMap map) throws NetnsException {
        return with(host, c -> {
            List<Element> out = new ArrayList<>();
            try {
                c.socket.dump(() -> "list map " + map.set + " of table " + name(family) + " in " + host,
                        NFNL_SUBSYS_NFTABLES << 8 | NFT_MSG_GETSETELEM, 0, b -> {
                            b.put((byte) nfproto(family)).put((byte) NFNETLINK_V0).putShort((short) 0); // nfgenmsg
                            RtAttr.addString(b, NFTA_SET_ELEM_LIST_TABLE, TABLE);
                            RtAttr.addString(b, NFTA_SET_ELEM_LIST_SET, map.set);
                        }, out::clear, (r, at, type) -> {
                            if (type == (NFNL_SUBSYS_NFTABLES << 8 | NFT_MSG_NEWSETELEM)) {
                                elements(r, at, NlMsgHdr.length(r, at), family, map, out);
                            }
                        });
            } catch (NetlinkException e) {
                if (e.errno() == Native.ENOENT) {
                    return List.of(); // no table or no such map
                }
                throw e;
            }
            return out;
        });
    }

    private static void elements(ByteBuffer r, int at, int len, Family family, PortMap map, List<Element> out) {
        RtAttrs a = RtAttrs.parse(r, at + NlMsgHdr.SIZE + 4, at + len);
        int from = a.payloadOffset(NFTA_SET_ELEM_LIST_ELEMENTS);
        if (from < 0) {
            return;
        }
        int to = from + a.payloadLength(NFTA_SET_ELEM_LIST_ELEMENTS);
        for (int e = from; to - e >= Nl.RTA_HDRLEN; ) {
            int elen = r.getShort(e) & 0xffff;
            if (elen < Nl.RTA_HDRLEN || elen > to - e) {
                throw new NlFormatException("bad set element length " + elen);
            }
            RtAttrs x = RtAttrs.parse(r, e + Nl.RTA_HDRLEN, e + elen);
            byte[] key = x.has(NFTA_SET_ELEM_KEY) ? x.nested(NFTA_SET_ELEM_KEY).getBytes(NFTA_DATA_VALUE) : null;
            byte[] keyEnd = x.has(NFTA_SET_ELEM_KEY_END) ? x.nested(NFTA_SET_ELEM_KEY_END).getBytes(NFTA_DATA_VALUE) : null;
            int u = x.payloadOffset(NFTA_SET_ELEM_USERDATA);
            String comment = u < 0 ? null : comment(r, u, x.payloadLength(NFTA_SET_ELEM_USERDATA));
            if (key == null || key.length != map.keyLength(family)) {
                throw new NlFormatException("an element of map " + map.set + " without a key of " + map.keyLength(family)
                        + " bytes");
            }
            out.add(new Element(family, map, key, keyEnd, comment, null));
            e += Nl.rtaAlign(elen);
        }
    }

    // ---- the localnet guard: a rule of its own chain ---------------------------------------------------

    /** @return whether the IPv4 table holds the localnet guard */
    static boolean guarded(NetNamespace host) throws NetnsException {
        return !guardHandles(host).isEmpty();
    }

    /**
     * Deletes the localnet guard (every copy), by handle, in a batch bound to the generation of the read;
     * read again when the ruleset changed in between.
     */
    static void deleteGuard(NetNamespace host) throws NetnsException {
        for (int attempt = 0; ; attempt++) {
            long gen = generation(host);
            List<Long> handles = guardHandles(host);
            if (handles.isEmpty()) {
                return;
            }
            try {
                with(host, c -> {
                    talk(c, (b, socket) -> {
                        int begin = b.position();
                        batchMarker(b, NFNL_MSG_BATCH_BEGIN, socket.nextSeq());
                        be32(b, NFNL_BATCH_GENID, (int) gen);
                        end(b, begin);
                        for (long h : handles) {
                            int m = message(b, NFT_MSG_DELRULE, Nl.NLM_F_ACK, socket.nextSeq(), NFPROTO_IPV4);
                            RtAttr.addString(b, NFTA_RULE_TABLE, TABLE);
                            RtAttr.addString(b, NFTA_RULE_CHAIN, GUARD_CHAIN);
                            be64(b, NFTA_RULE_HANDLE, h);
                            end(b, m);
                        }
                        batchMarker(b, NFNL_MSG_BATCH_END, socket.nextSeq());
                    }, handles.size(), "delete the localnet guard from table " + name(Family.IPV4) + " in " + host);
                    return null;
                });
                return;
            } catch (NetnsException e) {
                if (e.errno() != ERESTART || attempt >= 4) {
                    throw e;
                }
            }
        }
    }

    private static List<Long> guardHandles(NetNamespace host) throws NetnsException {
        return with(host, c -> {
            List<Long> out = new ArrayList<>();
            try {
                c.socket.dump(() -> "list chain " + GUARD_CHAIN + " of table " + name(Family.IPV4) + " in " + host,
                        NFNL_SUBSYS_NFTABLES << 8 | NFT_MSG_GETRULE, 0, b -> {
                            b.put((byte) NFPROTO_IPV4).put((byte) NFNETLINK_V0).putShort((short) 0); // nfgenmsg
                            RtAttr.addString(b, NFTA_RULE_TABLE, TABLE);
                            RtAttr.addString(b, NFTA_RULE_CHAIN, GUARD_CHAIN);
                        }, out::clear, (r, at, type) -> {
                            if (type != (NFNL_SUBSYS_NFTABLES << 8 | NFT_MSG_NEWRULE)) {
                                return;
                            }
                            RtAttrs a = RtAttrs.parse(r, at + NlMsgHdr.SIZE + 4, at + NlMsgHdr.length(r, at));
                            int h = a.payloadOffset(NFTA_RULE_HANDLE);
                            int u = a.payloadOffset(NFTA_RULE_USERDATA);
                            if (!GUARD_CHAIN.equals(a.getString(NFTA_RULE_CHAIN)) || h < 0 || u < 0
                                    || a.payloadLength(NFTA_RULE_HANDLE) != 8
                                    || !GUARD_TAG.equals(comment(r, u, a.payloadLength(NFTA_RULE_USERDATA)))) {
                                return;
                            }
                            long handle = 0;
                            for (int i = 0; i < 8; i++) {
                                handle = handle << 8 | (r.get(h + i) & 0xff);
                            }
                            out.add(handle);
                        });
            } catch (NetlinkException e) {
                if (e.errno() == Native.ENOENT) {
                    return List.of(); // no table or no chain
                }
                throw e;
            }
            return out;
        });
    }

    /** {@code RTN_LOCAL} ({@code include/uapi/linux/rtnetlink.h}): what {@code fib daddr type local} matches. */
    private static final int RTN_LOCAL = 2;
    /** The offsets of the destination address in the IPv4 and IPv6 headers. */
    private static final int IPV4_SADDR = 12;
    private static final int IPV4_DADDR = 16;
    private static final int IPV6_DADDR = 24;
    /** The offset of the destination port in the TCP and UDP headers. */
    private static final int L4_DPORT = 2;

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

    static byte[] port(int port) {
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
     * acknowledgements (the first error is thrown once all is read).
     */
    private static void talk(Channel c, NetlinkSocket.Messages batch, int acks, String what) throws NetnsException {
        int[] sentinel = {0};
        NlMsgErr[] failed = {null};
        int[] acked = {0};
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
