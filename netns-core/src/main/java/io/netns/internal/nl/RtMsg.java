package io.netns.internal.nl;

import java.nio.ByteBuffer;

/**
 * Internal use only: the route message body.
 *
 * <pre>{@code
 * struct rtmsg {
 *     unsigned char rtm_family;
 *     unsigned char rtm_dst_len;
 *     unsigned char rtm_src_len;
 *     unsigned char rtm_tos;
 *     unsigned char rtm_table;     // RT_TABLE_*; RTA_TABLE carries ids above 255
 *     unsigned char rtm_protocol;  // RTPROT_*
 *     unsigned char rtm_scope;     // RT_SCOPE_*
 *     unsigned char rtm_type;      // RTN_*
 *     unsigned      rtm_flags;
 * };
 * }</pre>
 *
 * @param family {@code rtm_family}
 * @param dstLength {@code rtm_dst_len}
 * @param srcLength {@code rtm_src_len}
 * @param tos {@code rtm_tos}
 * @param table {@code rtm_table}
 * @param protocol {@code rtm_protocol}
 * @param scope {@code rtm_scope}
 * @param type {@code rtm_type}
 * @param flags {@code rtm_flags}
 */
public record RtMsg(int family, int dstLength, int srcLength, int tos, int table, int protocol, int scope,
        int type, int flags) {
    /** {@code sizeof(struct rtmsg)}. */
    public static final int SIZE = 12;

    /**
     * Writes this body at the position, which advances by 12.
     *
     * @param buf the buffer
     */
    public void write(ByteBuffer buf) {
        put(buf, family, dstLength, srcLength, tos, table, protocol, scope, type, flags);
    }

    /**
     * Writes a body at the position, which advances by 12.
     *
     * @param buf the buffer
     * @param family {@code rtm_family}
     * @param dstLength {@code rtm_dst_len}
     * @param srcLength {@code rtm_src_len}
     * @param tos {@code rtm_tos}
     * @param table {@code rtm_table}
     * @param protocol {@code rtm_protocol}
     * @param scope {@code rtm_scope}
     * @param type {@code rtm_type}
     * @param flags {@code rtm_flags}
     */
    public static void put(ByteBuffer buf, int family, int dstLength, int srcLength, int tos, int table,
            int protocol, int scope, int type, int flags) {
        buf.put((byte) family).put((byte) dstLength).put((byte) srcLength).put((byte) tos)
                .put((byte) table).put((byte) protocol).put((byte) scope).put((byte) type).putInt(flags);
    }

    /**
     * Reads the body of the message at {@code msg}.
     *
     * @param buf the buffer
     * @param msg the message's offset
     * @return the body
     * @throws NlFormatException if the message is too short
     */
    public static RtMsg read(ByteBuffer buf, int msg) {
        int at = body(buf, msg);
        return new RtMsg(buf.get(at) & 0xff, buf.get(at + 1) & 0xff, buf.get(at + 2) & 0xff,
                buf.get(at + 3) & 0xff, buf.get(at + 4) & 0xff, buf.get(at + 5) & 0xff, buf.get(at + 6) & 0xff,
                buf.get(at + 7) & 0xff, buf.getInt(at + 8));
    }

    static int body(ByteBuffer buf, int msg) {
        if (NlMsgHdr.length(buf, msg) < NlMsgHdr.SIZE + SIZE) {
            throw new NlFormatException("route message at offset " + msg + " too short for rtmsg: "
                    + NlMsgHdr.length(buf, msg) + " bytes");
        }
        return msg + NlMsgHdr.SIZE;
    }

    /**
     * @param buf the buffer
     * @param msg the message's offset
     * @return the attributes after the body
     */
    public static RtAttrs attributes(ByteBuffer buf, int msg) {
        return RtAttrs.parse(buf, body(buf, msg) + Nl.nlmsgAlign(SIZE), msg + NlMsgHdr.length(buf, msg));
    }
}
