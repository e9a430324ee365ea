package io.netns.internal.nl;

import java.nio.ByteBuffer;

/**
 * Internal use only: the address message body.
 *
 * <pre>{@code
 * struct ifaddrmsg {
 *     __u8  ifa_family;     // AF_INET or AF_INET6
 *     __u8  ifa_prefixlen;  // prefix length
 *     __u8  ifa_flags;      // IFA_F_*
 *     __u8  ifa_scope;      // RT_SCOPE_*
 *     __u32 ifa_index;      // link index
 * };
 * }</pre>
 *
 * @param family {@code ifa_family}
 * @param prefixLength {@code ifa_prefixlen}
 * @param flags {@code ifa_flags}
 * @param scope {@code ifa_scope}
 * @param index {@code ifa_index}
 */
public record IfAddrMsg(int family, int prefixLength, int flags, int scope, int index) {
    /** {@code sizeof(struct ifaddrmsg)}. */
    public static final int SIZE = 8;

    /**
     * Writes this body at the position, which advances by 8.
     *
     * @param buf the buffer
     */
    public void write(ByteBuffer buf) {
        put(buf, family, prefixLength, flags, scope, index);
    }

    /**
     * Writes a body at the position, which advances by 8.
     *
     * @param buf the buffer
     * @param family {@code ifa_family}
     * @param prefixLength {@code ifa_prefixlen}
     * @param flags {@code ifa_flags}
     * @param scope {@code ifa_scope}
     * @param index {@code ifa_index}
     */
    public static void put(ByteBuffer buf, int family, int prefixLength, int flags, int scope, int index) {
        buf.put((byte) family).put((byte) prefixLength).put((byte) flags).put((byte) scope).putInt(index);
    }

    /**
     * Reads the body of the message at {@code msg}.
     *
     * @param buf the buffer
     * @param msg the message's offset
     * @return the body
     * @throws NlFormatException if the message is too short
     */
    public static IfAddrMsg read(ByteBuffer buf, int msg) {
        int at = body(buf, msg);
        return new IfAddrMsg(buf.get(at) & 0xff, buf.get(at + 1) & 0xff, buf.get(at + 2) & 0xff,
                buf.get(at + 3) & 0xff, buf.getInt(at + 4));
    }

    static int body(ByteBuffer buf, int msg) {
        if (NlMsgHdr.length(buf, msg) < NlMsgHdr.SIZE + SIZE) {
            throw new NlFormatException("address message at offset " + msg + " too short for ifaddrmsg: "
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
