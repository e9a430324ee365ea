package io.netns.internal.nl;

import java.nio.ByteBuffer;

/**
 * Internal use only: the nf_tables netlink codec, beside the rtnetlink one: message headers, batch markers
 * and the expressions a DNAT rule is made of. It makes no system call; {@link NetlinkSocket#converse} sends
 * what it writes.
 *
 * <p>Numbers are named as in the kernel's UAPI headers: {@code include/uapi/linux/netfilter/nfnetlink.h}
 * ({@code NFNL_*}), {@code include/uapi/linux/netfilter/nf_tables.h} ({@code NFT_MSG_*}, {@code NFTA_*},
 * {@code NFT_*}) and {@code include/uapi/linux/netfilter.h} ({@code NFPROTO_*}, {@code NF_INET_*}).
 */
public final class NfTables {
    // nfnetlink.h
    /** {@code NFNL_SUBSYS_NFTABLES}: the high byte of an nf_tables message type. */
    public static final int NFNL_SUBSYS_NFTABLES = 10;
    /** {@code NFNL_MSG_BATCH_BEGIN}. */
    public static final int NFNL_MSG_BATCH_BEGIN = 0x10;
    /** {@code NFNL_MSG_BATCH_END}. */
    public static final int NFNL_MSG_BATCH_END = 0x11;
    /** {@code NFNETLINK_V0}: {@code nfgenmsg.version}. */
    public static final int NFNETLINK_V0 = 0;

    // netfilter.h
    /** {@code NFPROTO_IPV4}. */
    public static final int NFPROTO_IPV4 = 2;
    /** {@code NFPROTO_IPV6}. */
    public static final int NFPROTO_IPV6 = 10;
    /** {@code NF_INET_PRE_ROUTING}. */
    public static final int NF_INET_PRE_ROUTING = 0;
    /** {@code NF_INET_LOCAL_OUT}. */
    public static final int NF_INET_LOCAL_OUT = 3;
    /** {@code NF_IP_PRI_NAT_DST} ({@code netfilter_ipv4.h}): the priority {@code dstnat} names. */
    public static final int NF_IP_PRI_NAT_DST = -100;

    // nf_tables.h: enum nf_tables_msg_types
    /** {@code NFT_MSG_NEWTABLE}. */
    public static final int NFT_MSG_NEWTABLE = 0;
    /** {@code NFT_MSG_NEWCHAIN}. */
    public static final int NFT_MSG_NEWCHAIN = 3;
    /** {@code NFT_MSG_NEWRULE}. */
    public static final int NFT_MSG_NEWRULE = 6;
    /** {@code NFT_MSG_GETRULE}. */
    public static final int NFT_MSG_GETRULE = 7;
    /** {@code NFT_MSG_DELRULE}. */
    public static final int NFT_MSG_DELRULE = 8;
    /** {@code NFT_MSG_NEWSET}. */
    public static final int NFT_MSG_NEWSET = 9;
    /** {@code NFT_MSG_NEWSETELEM}. */
    public static final int NFT_MSG_NEWSETELEM = 12;
    /** {@code NFT_MSG_GETSETELEM}. */
    public static final int NFT_MSG_GETSETELEM = 13;
    /** {@code NFT_MSG_DELSETELEM}. */
    public static final int NFT_MSG_DELSETELEM = 14;
    /** {@code NFT_MSG_GETGEN}. */
    public static final int NFT_MSG_GETGEN = 16;

    /** {@code NFTA_SET_TABLE}. */
    public static final int NFTA_SET_TABLE = 1;
    /** {@code NFTA_SET_NAME}. */
    public static final int NFTA_SET_NAME = 2;
    /** {@code NFTA_SET_FLAGS}. */
    public static final int NFTA_SET_FLAGS = 3;
    /** {@code NFTA_SET_KEY_TYPE}: nftables' datatype of the key (userspace's number, kept by the kernel). */
    public static final int NFTA_SET_KEY_TYPE = 4;
    /** {@code NFTA_SET_KEY_LEN}. */
    public static final int NFTA_SET_KEY_LEN = 5;
    /** {@code NFTA_SET_DATA_TYPE}. */
    public static final int NFTA_SET_DATA_TYPE = 6;
    /** {@code NFTA_SET_DATA_LEN}. */
    public static final int NFTA_SET_DATA_LEN = 7;
    /** {@code NFTA_SET_DESC}. */
    public static final int NFTA_SET_DESC = 9;
    /** {@code NFTA_SET_ID}: names a set made in the same batch. */
    public static final int NFTA_SET_ID = 10;
    /** {@code NFTA_SET_DESC_CONCAT}: the lengths of a concatenated key's fields. */
    public static final int NFTA_SET_DESC_CONCAT = 2;
    /** {@code NFTA_SET_FIELD_LEN}. */
    public static final int NFTA_SET_FIELD_LEN = 1;
    /** {@code NFT_SET_INTERVAL}. */
    public static final int NFT_SET_INTERVAL = 0x4;
    /** {@code NFT_SET_MAP}. */
    public static final int NFT_SET_MAP = 0x8;
    /** {@code NFT_SET_CONCAT}. */
    public static final int NFT_SET_CONCAT = 0x80;

    /** {@code NFTA_SET_ELEM_LIST_TABLE}. */
    public static final int NFTA_SET_ELEM_LIST_TABLE = 1;
    /** {@code NFTA_SET_ELEM_LIST_SET}. */
    public static final int NFTA_SET_ELEM_LIST_SET = 2;
    /** {@code NFTA_SET_ELEM_LIST_ELEMENTS}. */
    public static final int NFTA_SET_ELEM_LIST_ELEMENTS = 3;
    /** {@code NFTA_SET_ELEM_KEY}. */
    public static final int NFTA_SET_ELEM_KEY = 1;
    /** {@code NFTA_SET_ELEM_DATA}. */
    public static final int NFTA_SET_ELEM_DATA = 2;
    /** {@code NFTA_SET_ELEM_USERDATA}: what {@code nft} shows as the element's comment. */
    public static final int NFTA_SET_ELEM_USERDATA = 6;
    /** {@code NFTA_SET_ELEM_KEY_END}: the end of an interval of a concatenated key. */
    public static final int NFTA_SET_ELEM_KEY_END = 10;

    /** {@code NFTA_LOOKUP_SET}. */
    public static final int NFTA_LOOKUP_SET = 1;
    /** {@code NFTA_LOOKUP_SREG}. */
    public static final int NFTA_LOOKUP_SREG = 2;
    /** {@code NFTA_LOOKUP_DREG}. */
    public static final int NFTA_LOOKUP_DREG = 3;
    /** {@code NFTA_LOOKUP_SET_ID}. */
    public static final int NFTA_LOOKUP_SET_ID = 4;

    /** {@code NFTA_TABLE_NAME}. */
    public static final int NFTA_TABLE_NAME = 1;
    /** {@code NFTA_CHAIN_TABLE}. */
    public static final int NFTA_CHAIN_TABLE = 1;
    /** {@code NFTA_CHAIN_NAME}. */
    public static final int NFTA_CHAIN_NAME = 3;
    /** {@code NFTA_CHAIN_HOOK}. */
    public static final int NFTA_CHAIN_HOOK = 4;
    /** {@code NFTA_CHAIN_TYPE}. */
    public static final int NFTA_CHAIN_TYPE = 7;
    /** {@code NFTA_HOOK_HOOKNUM}. */
    public static final int NFTA_HOOK_HOOKNUM = 1;
    /** {@code NFTA_HOOK_PRIORITY}. */
    public static final int NFTA_HOOK_PRIORITY = 2;
    /** {@code NFTA_RULE_TABLE}. */
    public static final int NFTA_RULE_TABLE = 1;
    /** {@code NFTA_RULE_CHAIN}. */
    public static final int NFTA_RULE_CHAIN = 2;
    /** {@code NFTA_RULE_HANDLE}. */
    public static final int NFTA_RULE_HANDLE = 3;
    /** {@code NFTA_RULE_EXPRESSIONS}. */
    public static final int NFTA_RULE_EXPRESSIONS = 4;
    /** {@code NFTA_RULE_USERDATA}. */
    public static final int NFTA_RULE_USERDATA = 7;
    /** {@code NFTA_LIST_ELEM}. */
    public static final int NFTA_LIST_ELEM = 1;
    /** {@code NFTA_EXPR_NAME}. */
    public static final int NFTA_EXPR_NAME = 1;
    /** {@code NFTA_EXPR_DATA}. */
    public static final int NFTA_EXPR_DATA = 2;
    /** {@code NFTA_DATA_VALUE}. */
    public static final int NFTA_DATA_VALUE = 1;

    /** {@code NFT_REG_1}. */
    public static final int NFT_REG_1 = 1;
    /** {@code NFT_REG_2}. */
    public static final int NFT_REG_2 = 2;
    /**
     * {@code NFT_REG32_00}: the first 32-bit register (the first word of {@link #NFT_REG_1}); a concatenation
     * takes one 32-bit register per field, each field padded to 4 bytes.
     */
    public static final int NFT_REG32_00 = 8;

    /** {@code NFTA_PAYLOAD_DREG}. */
    public static final int NFTA_PAYLOAD_DREG = 1;
    /** {@code NFTA_PAYLOAD_BASE}. */
    public static final int NFTA_PAYLOAD_BASE = 2;
    /** {@code NFTA_PAYLOAD_OFFSET}. */
    public static final int NFTA_PAYLOAD_OFFSET = 3;
    /** {@code NFTA_PAYLOAD_LEN}. */
    public static final int NFTA_PAYLOAD_LEN = 4;
    /** {@code NFT_PAYLOAD_NETWORK_HEADER}. */
    public static final int NFT_PAYLOAD_NETWORK_HEADER = 1;
    /** {@code NFT_PAYLOAD_TRANSPORT_HEADER}. */
    public static final int NFT_PAYLOAD_TRANSPORT_HEADER = 2;

    /** {@code NFTA_CMP_SREG}. */
    public static final int NFTA_CMP_SREG = 1;
    /** {@code NFTA_CMP_OP}. */
    public static final int NFTA_CMP_OP = 2;
    /** {@code NFTA_CMP_DATA}. */
    public static final int NFTA_CMP_DATA = 3;
    /** {@code NFT_CMP_EQ}. */
    public static final int NFT_CMP_EQ = 0;
    /** {@code NFT_CMP_NEQ}. */
    public static final int NFT_CMP_NEQ = 1;

    /** {@code NFTA_BITWISE_SREG}. */
    public static final int NFTA_BITWISE_SREG = 1;
    /** {@code NFTA_BITWISE_DREG}. */
    public static final int NFTA_BITWISE_DREG = 2;
    /** {@code NFTA_BITWISE_LEN}. */
    public static final int NFTA_BITWISE_LEN = 3;
    /** {@code NFTA_BITWISE_MASK}. */
    public static final int NFTA_BITWISE_MASK = 4;
    /** {@code NFTA_BITWISE_XOR}. */
    public static final int NFTA_BITWISE_XOR = 5;

    /** {@code NFTA_IMMEDIATE_DREG}. */
    public static final int NFTA_IMMEDIATE_DREG = 1;
    /** {@code NFTA_IMMEDIATE_DATA}. */
    public static final int NFTA_IMMEDIATE_DATA = 2;

    /** {@code NFTA_META_DREG}. */
    public static final int NFTA_META_DREG = 1;
    /** {@code NFTA_META_KEY}. */
    public static final int NFTA_META_KEY = 2;
    /** {@code NFT_META_L4PROTO}. */
    public static final int NFT_META_L4PROTO = 16;

    /** {@code NFTA_FIB_DREG}. */
    public static final int NFTA_FIB_DREG = 1;
    /** {@code NFTA_FIB_RESULT}. */
    public static final int NFTA_FIB_RESULT = 2;
    /** {@code NFTA_FIB_FLAGS}. */
    public static final int NFTA_FIB_FLAGS = 3;
    /** {@code NFT_FIB_RESULT_ADDRTYPE}. */
    public static final int NFT_FIB_RESULT_ADDRTYPE = 3;
    /** {@code NFTA_FIB_F_DADDR}. */
    public static final int NFTA_FIB_F_DADDR = 2;

    /** {@code NFTA_NAT_TYPE}. */
    public static final int NFTA_NAT_TYPE = 1;
    /** {@code NFTA_NAT_FAMILY}. */
    public static final int NFTA_NAT_FAMILY = 2;
    /** {@code NFTA_NAT_REG_ADDR_MIN}. */
    public static final int NFTA_NAT_REG_ADDR_MIN = 3;
    /** {@code NFTA_NAT_REG_PROTO_MIN}. */
    public static final int NFTA_NAT_REG_PROTO_MIN = 5;
    /** {@code NFT_NAT_DNAT}. */
    public static final int NFT_NAT_DNAT = 1;

    /** {@code NLA_F_NESTED} ({@code include/uapi/linux/netlink.h}): nf_tables requires it on nests. */
    public static final int NLA_F_NESTED = 0x8000;

    private NfTables() {
    }

    /**
     * Starts an nf_tables message: {@code nlmsghdr} (length fixed by {@link #end}) and
     * {@code struct nfgenmsg { __u8 nfgen_family; __u8 version; __be16 res_id; }}.
     *
     * @param b the buffer, at the message's start
     * @param msg an {@code NFT_MSG_*} type
     * @param flags flags besides {@code NLM_F_REQUEST}
     * @param seq the sequence number
     * @param nfproto {@link #NFPROTO_IPV4} or {@link #NFPROTO_IPV6}
     * @return the message's offset, for {@link #end}
     */
    public static int message(ByteBuffer b, int msg, int flags, int seq, int nfproto) {
        int at = b.position();
        NlMsgHdr.put(b, at, 0, NFNL_SUBSYS_NFTABLES << 8 | msg, Nl.NLM_F_REQUEST | flags, seq, 0);
        b.position(at + NlMsgHdr.SIZE);
        b.put((byte) nfproto).put((byte) NFNETLINK_V0).putShort((short) 0);
        return at;
    }

    /**
     * Writes the length of the message begun at {@code at}.
     *
     * @param b the buffer, positioned after the message
     * @param at what {@link #message} returned
     */
    public static void end(ByteBuffer b, int at) {
        b.putInt(at, b.position() - at);
    }

    /**
     * Writes a batch marker ({@link #NFNL_MSG_BATCH_BEGIN} or {@link #NFNL_MSG_BATCH_END}): an
     * {@code nfgenmsg} of family {@code AF_UNSPEC} whose {@code res_id} (big-endian) names the subsystem.
     *
     * @param b the buffer
     * @param type the marker
     * @param seq its sequence number
     */
    public static void batchMarker(ByteBuffer b, int type, int seq) {
        int at = b.position();
        NlMsgHdr.put(b, at, NlMsgHdr.SIZE + 4, type, Nl.NLM_F_REQUEST, seq, 0);
        b.position(at + NlMsgHdr.SIZE);
        b.put((byte) 0).put((byte) NFNETLINK_V0).put((byte) 0).put((byte) NFNL_SUBSYS_NFTABLES);
    }

    /**
     * Opens one expression: {@code NFTA_LIST_ELEM { NFTA_EXPR_NAME name, NFTA_EXPR_DATA { ... } }}.
     *
     * @param b the buffer
     * @param name the expression's name, e.g. {@code "payload"}
     * @return the two nests' offsets, for {@link #endExpr}
     */
    public static long expr(ByteBuffer b, String name) {
        int elem = RtAttr.startNested(b, NFTA_LIST_ELEM | NLA_F_NESTED);
        RtAttr.addString(b, NFTA_EXPR_NAME, name);
        int data = RtAttr.startNested(b, NFTA_EXPR_DATA | NLA_F_NESTED);
        return (long) elem << 32 | data;
    }

    /**
     * Closes what {@link #expr} opened.
     *
     * @param b the buffer
     * @param e what {@link #expr} returned
     */
    public static void endExpr(ByteBuffer b, long e) {
        RtAttr.endNested(b, (int) e);
        RtAttr.endNested(b, (int) (e >>> 32));
    }

    /**
     * {@code payload load len b @ base + offset => reg 1}.
     *
     * @param b the buffer
     * @param base {@link #NFT_PAYLOAD_NETWORK_HEADER} or {@link #NFT_PAYLOAD_TRANSPORT_HEADER}
     * @param offset the offset in that header
     * @param len how many bytes
     */
    public static void payload(ByteBuffer b, int base, int offset, int len) {
        payload(b, base, offset, len, NFT_REG_1);
    }

    /**
     * {@code payload load len b @ base + offset => reg}.
     *
     * @param b the buffer
     * @param base {@link #NFT_PAYLOAD_NETWORK_HEADER} or {@link #NFT_PAYLOAD_TRANSPORT_HEADER}
     * @param offset the offset in that header
     * @param len how many bytes
     * @param reg the register
     */
    public static void payload(ByteBuffer b, int base, int offset, int len, int reg) {
        long e = expr(b, "payload");
        be32(b, NFTA_PAYLOAD_DREG, reg);
        be32(b, NFTA_PAYLOAD_BASE, base);
        be32(b, NFTA_PAYLOAD_OFFSET, offset);
        be32(b, NFTA_PAYLOAD_LEN, len);
        endExpr(b, e);
    }

    /**
     * {@code cmp op reg 1 value}.
     *
     * @param b the buffer
     * @param op {@link #NFT_CMP_EQ} or {@link #NFT_CMP_NEQ}
     * @param value the bytes compared
     */
    public static void cmp(ByteBuffer b, int op, byte[] value) {
        long e = expr(b, "cmp");
        be32(b, NFTA_CMP_SREG, NFT_REG_1);
        be32(b, NFTA_CMP_OP, op);
        data(b, NFTA_CMP_DATA, value);
        endExpr(b, e);
    }

    /**
     * {@code bitwise reg 1 = (reg 1 & mask) ^ 0}.
     *
     * @param b the buffer
     * @param len the operand's length
     * @param mask the mask
     */
    public static void bitwise(ByteBuffer b, int len, byte[] mask) {
        long e = expr(b, "bitwise");
        be32(b, NFTA_BITWISE_SREG, NFT_REG_1);
        be32(b, NFTA_BITWISE_DREG, NFT_REG_1);
        be32(b, NFTA_BITWISE_LEN, len);
        data(b, NFTA_BITWISE_MASK, mask);
        data(b, NFTA_BITWISE_XOR, new byte[len]);
        endExpr(b, e);
    }

    /**
     * {@code immediate reg = value}.
     *
     * @param b the buffer
     * @param reg the register
     * @param value the bytes
     */
    public static void immediate(ByteBuffer b, int reg, byte[] value) {
        long e = expr(b, "immediate");
        be32(b, NFTA_IMMEDIATE_DREG, reg);
        data(b, NFTA_IMMEDIATE_DATA, value);
        endExpr(b, e);
    }

    /**
     * {@code meta load key => reg 1}.
     *
     * @param b the buffer
     * @param key e.g. {@link #NFT_META_L4PROTO}
     */
    public static void meta(ByteBuffer b, int key) {
        meta(b, key, NFT_REG_1);
    }

    /**
     * {@code meta load key => reg}.
     *
     * @param b the buffer
     * @param key e.g. {@link #NFT_META_L4PROTO}
     * @param reg the register
     */
    public static void meta(ByteBuffer b, int key, int reg) {
        long e = expr(b, "meta");
        be32(b, NFTA_META_KEY, key);
        be32(b, NFTA_META_DREG, reg);
        endExpr(b, e);
    }

    /**
     * {@code lookup reg 1 set name dreg 1}: the map's value for the key in {@link #NFT_REG_1} (and the
     * registers after it) goes to {@link #NFT_REG_1}; no element, and the rule ends there.
     *
     * @param b the buffer
     * @param set the map's name
     * @param setId the map's {@link #NFTA_SET_ID}, for a map made in the same batch
     */
    public static void lookup(ByteBuffer b, String set, int setId) {
        long e = expr(b, "lookup");
        RtAttr.addString(b, NFTA_LOOKUP_SET, set);
        be32(b, NFTA_LOOKUP_SET_ID, setId);
        be32(b, NFTA_LOOKUP_SREG, NFT_REG_1);
        be32(b, NFTA_LOOKUP_DREG, NFT_REG_1);
        endExpr(b, e);
    }

    /**
     * {@code fib daddr type => reg 1}: the address type of the packet's destination.
     *
     * @param b the buffer
     */
    public static void fibDaddrType(ByteBuffer b) {
        long e = expr(b, "fib");
        be32(b, NFTA_FIB_DREG, NFT_REG_1);
        be32(b, NFTA_FIB_RESULT, NFT_FIB_RESULT_ADDRTYPE);
        be32(b, NFTA_FIB_FLAGS, NFTA_FIB_F_DADDR);
        endExpr(b, e);
    }

    /**
     * {@code nat dnat family addr reg 1 [proto reg protoReg]}.
     *
     * @param b the buffer
     * @param nfproto the family
     * @param protoReg the register of the port, or 0 to keep the packet's port
     */
    public static void dnat(ByteBuffer b, int nfproto, int protoReg) {
        long e = expr(b, "nat");
        be32(b, NFTA_NAT_TYPE, NFT_NAT_DNAT);
        be32(b, NFTA_NAT_FAMILY, nfproto);
        be32(b, NFTA_NAT_REG_ADDR_MIN, NFT_REG_1);
        if (protoReg != 0) {
            be32(b, NFTA_NAT_REG_PROTO_MIN, protoReg);
        }
        endExpr(b, e);
    }

    /**
     * A data nest: {@code type { NFTA_DATA_VALUE value }}.
     *
     * @param b the buffer
     * @param type the attribute
     * @param value the bytes
     */
    public static void data(ByteBuffer b, int type, byte[] value) {
        int n = RtAttr.startNested(b, type | NLA_F_NESTED);
        RtAttr.addBytes(b, NFTA_DATA_VALUE, value);
        RtAttr.endNested(b, n);
    }

    /**
     * A big-endian u32 attribute, as nf_tables wants its numbers.
     *
     * @param b the buffer
     * @param type the attribute
     * @param value the number
     */
    public static void be32(ByteBuffer b, int type, int value) {
        RtAttr.addBytes(b, type, new byte[] {(byte) (value >>> 24), (byte) (value >>> 16), (byte) (value >>> 8), (byte) value});
    }

    /**
     * A big-endian u64 attribute (a rule handle).
     *
     * @param b the buffer
     * @param type the attribute
     * @param value the number
     */
    public static void be64(ByteBuffer b, int type, long value) {
        byte[] v = new byte[8];
        for (int i = 0; i < 8; i++) {
            v[i] = (byte) (value >>> (56 - 8 * i));
        }
        RtAttr.addBytes(b, type, v);
    }
}
