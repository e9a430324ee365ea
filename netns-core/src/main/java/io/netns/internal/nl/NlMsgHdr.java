package io.netns.internal.nl;

import java.nio.ByteBuffer;

/**
 * Internal use only: the netlink message header, in the buffer's (native) byte order.
 *
 * <pre>{@code
 * struct nlmsghdr {
 *     __u32 nlmsg_len;    // length of the message, header included
 *     __u16 nlmsg_type;   // message content
 *     __u16 nlmsg_flags;  // NLM_F_*
 *     __u32 nlmsg_seq;    // sequence number
 *     __u32 nlmsg_pid;    // sending process port id
 * };
 * }</pre>
 *
 * <p>The value form ({@link #write}, {@link #read}) is for tests and diagnostics; the hot path uses the
 * static absolute accessors, which allocate nothing.
 *
 * @param length {@code nlmsg_len}
 * @param type {@code nlmsg_type}
 * @param flags {@code nlmsg_flags}
 * @param seq {@code nlmsg_seq}
 * @param pid {@code nlmsg_pid}
 */
public record NlMsgHdr(int length, int type, int flags, int seq, int pid) {
    /** {@code sizeof(struct nlmsghdr)}. */
    public static final int SIZE = 16;

    /**
     * Writes this header at the position, which advances by 16.
     *
     * @param buf the buffer
     */
    public void write(ByteBuffer buf) {
        int at = buf.position();
        put(buf, at, length, type, flags, seq, pid);
        buf.position(at + SIZE);
    }

    /**
     * Reads a header at the position, which advances by 16, and checks its length.
     *
     * @param buf the buffer
     * @return the header
     * @throws NlFormatException if fewer than 16 bytes remain or {@code nlmsg_len} is impossible
     */
    public static NlMsgHdr read(ByteBuffer buf) {
        int at = buf.position();
        check(buf, at, buf.limit());
        buf.position(at + SIZE);
        return new NlMsgHdr(length(buf, at), type(buf, at), flags(buf, at), seq(buf, at), pid(buf, at));
    }

    /**
     * Writes a header at an absolute offset.
     *
     * @param buf the buffer
     * @param at the offset
     * @param length {@code nlmsg_len}
     * @param type {@code nlmsg_type}
     * @param flags {@code nlmsg_flags}
     * @param seq {@code nlmsg_seq}
     * @param pid {@code nlmsg_pid}
     */
    public static void put(ByteBuffer buf, int at, int length, int type, int flags, int seq, int pid) {
        buf.putInt(at, length);
        buf.putShort(at + 4, (short) type);
        buf.putShort(at + 6, (short) flags);
        buf.putInt(at + 8, seq);
        buf.putInt(at + 12, pid);
    }

    /**
     * Checks that a whole message starts at {@code at} and ends by {@code end}.
     *
     * @param buf the buffer
     * @param at where the message starts
     * @param end where the data ends
     * @return the message's length ({@code nlmsg_len}), at least 16 and within {@code end}
     * @throws NlFormatException if it does not fit
     */
    public static int check(ByteBuffer buf, int at, int end) {
        if (end - at < SIZE) {
            throw new NlFormatException("truncated netlink header at offset " + at + ": " + (end - at)
                    + " bytes left, need " + SIZE);
        }
        int len = length(buf, at);
        if (len < SIZE || len > end - at) {
            throw new NlFormatException("bad nlmsg_len " + Integer.toUnsignedString(len) + " at offset " + at
                    + " (" + (end - at) + " bytes left)");
        }
        return len;
    }

    /** @param buf the buffer @param at the message's offset @return {@code nlmsg_len} */
    public static int length(ByteBuffer buf, int at) {
        return buf.getInt(at);
    }

    /** @param buf the buffer @param at the message's offset @return {@code nlmsg_type} */
    public static int type(ByteBuffer buf, int at) {
        return buf.getShort(at + 4) & 0xffff;
    }

    /** @param buf the buffer @param at the message's offset @return {@code nlmsg_flags} */
    public static int flags(ByteBuffer buf, int at) {
        return buf.getShort(at + 6) & 0xffff;
    }

    /** @param buf the buffer @param at the message's offset @return {@code nlmsg_seq} */
    public static int seq(ByteBuffer buf, int at) {
        return buf.getInt(at + 8);
    }

    /** @param buf the buffer @param at the message's offset @return {@code nlmsg_pid} */
    public static int pid(ByteBuffer buf, int at) {
        return buf.getInt(at + 12);
    }
}
