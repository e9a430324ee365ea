package io.netns.internal.nl;

import java.nio.ByteBuffer;

/**
 * Internal use only: the link message body.
 *
 * <pre>{@code
 * struct ifinfomsg {
 *     unsigned char  ifi_family;   // AF_UNSPEC
 *     unsigned char  __ifi_pad;
 *     unsigned short ifi_type;     // ARPHRD_*
 *     int            ifi_index;    // link index
 *     unsigned       ifi_flags;    // IFF_* flags
 *     unsigned       ifi_change;   // IFF_* change mask
 * };
 * }</pre>
 *
 * @param family {@code ifi_family}
 * @param type {@code ifi_type}
 * @param index {@code ifi_index}
 * @param flags {@code ifi_flags}
 * @param change {@code ifi_change}
 */
public record IfInfoMsg(int family, int type, int index, int flags, int change) {
    /** {@code sizeof(struct ifinfomsg)}. */
    public static final int SIZE = 16;

    /**
     * Writes this body at the position, which advances by 16.
     *
     * @param buf the buffer
     */
    public void write(ByteBuffer buf) {
        put(buf, family, type, index, flags, change);
    }

    /**
     * Writes a body at the position, which advances by 16; allocates nothing.
     *
     * @param buf the buffer
     * @param family {@code ifi_family}
     * @param type {@code ifi_type}
     * @param index {@code ifi_index}
     * @param flags {@code ifi_flags}
     * @param change {@code ifi_change}
     */
    public static void put(ByteBuffer buf, int family, int type, int index, int flags, int change) {
        buf.put((byte) family).put((byte) 0).putShort((short) type).putInt(index).putInt(flags).putInt(change);
    }

    /**
     * Reads the body of the message at {@code msg}.
     *
     * @param buf the buffer
     * @param msg the message's offset (its header's)
     * @return the body
     * @throws NlFormatException if the message is too short for it
     */
    public static IfInfoMsg read(ByteBuffer buf, int msg) {
        int at = body(buf, msg);
        return new IfInfoMsg(buf.get(at) & 0xff, buf.getShort(at + 2) & 0xffff, buf.getInt(at + 4),
                buf.getInt(at + 8), buf.getInt(at + 12));
    }

    /**
     * @param buf the buffer
     * @param msg the message's offset
     * @return the offset of the body, checked to fit in the message
     */
    static int body(ByteBuffer buf, int msg) {
        if (NlMsgHdr.length(buf, msg) < NlMsgHdr.SIZE + SIZE) {
            throw new NlFormatException("link message at offset " + msg + " too short for ifinfomsg: "
                    + NlMsgHdr.length(buf, msg) + " bytes");
        }
        return msg + NlMsgHdr.SIZE;
    }

    /**
     * Parses the attributes that follow the body.
     *
     * @param buf the buffer
     * @param msg the message's offset
     * @return its attributes
     */
    public static RtAttrs attributes(ByteBuffer buf, int msg) {
        int at = body(buf, msg) + Nl.nlmsgAlign(SIZE);
        return RtAttrs.parse(buf, at, msg + NlMsgHdr.length(buf, msg));
    }
}
