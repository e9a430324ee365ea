package io.netns.internal.nl;

import java.nio.ByteBuffer;

/**
 * Internal use only: the body of {@code NLMSG_ERROR} (an ACK when {@code error} is 0) and of
 * {@code NLMSG_DONE}, with the kernel's extended-ack TLVs.
 *
 * <pre>{@code
 * struct nlmsgerr {
 *     int             error;  // 0 or -errno
 *     struct nlmsghdr msg;    // the request's header, followed by its payload unless NLM_F_CAPPED
 * };                          // then, if NLM_F_ACK_TLVS: NLMSGERR_ATTR_MSG, NLMSGERR_ATTR_OFFS, ...
 * }</pre>
 *
 * <p>{@code NLMSG_DONE} carries only the {@code int} (a dump's final status), followed by TLVs when
 * {@code NLM_F_ACK_TLVS} is set.
 *
 * @param errno the positive errno, 0 for an ACK or a clean end of dump
 * @param requestType the type of the request it answers ({@code NLMSG_ERROR} only, else 0)
 * @param message the {@code NLMSGERR_ATTR_MSG} text, or null
 * @param offset the {@code NLMSGERR_ATTR_OFFS} value (offset of the bad attribute in the request), or -1
 */
public record NlMsgErr(int errno, int requestType, String message, int offset) {
    /** {@code sizeof(struct nlmsgerr)}. */
    public static final int SIZE = 4 + NlMsgHdr.SIZE;

    /**
     * Decodes the {@code NLMSG_ERROR} or {@code NLMSG_DONE} message at {@code msg}.
     *
     * @param buf the buffer
     * @param msg the message's offset; the message must have been checked with {@link NlMsgHdr#check}
     * @return the decoded status
     * @throws NlFormatException if it is too short or its TLVs are malformed
     */
    public static NlMsgErr read(ByteBuffer buf, int msg) {
        int type = NlMsgHdr.type(buf, msg);
        int flags = NlMsgHdr.flags(buf, msg);
        int len = NlMsgHdr.length(buf, msg);
        int end = msg + len;
        int body = msg + NlMsgHdr.SIZE;
        int tlvs;
        int requestType = 0;
        if (type == Nl.NLMSG_ERROR) {
            if (len < NlMsgHdr.SIZE + SIZE) {
                throw new NlFormatException("NLMSG_ERROR at offset " + msg + " too short: " + len + " bytes");
            }
            requestType = NlMsgHdr.type(buf, body + 4);
            int echoed = (flags & Nl.NLM_F_CAPPED) != 0 ? NlMsgHdr.SIZE : NlMsgHdr.length(buf, body + 4);
            if (echoed < NlMsgHdr.SIZE) {
                throw new NlFormatException("NLMSG_ERROR at offset " + msg + " echoes a bad nlmsg_len " + echoed);
            }
            tlvs = body + Nl.nlmsgAlign(4 + echoed);
        } else if (type == Nl.NLMSG_DONE) {
            if (len < NlMsgHdr.SIZE + 4) {
                return new NlMsgErr(0, 0, null, -1); // old kernels may send an empty DONE
            }
            tlvs = body + 4;
        } else {
            throw new IllegalArgumentException("not NLMSG_ERROR/NLMSG_DONE: " + Nl.messageTypeName(type));
        }
        int errno = -buf.getInt(body);
        String text = null;
        int offset = -1;
        if ((flags & Nl.NLM_F_ACK_TLVS) != 0 && tlvs < end) {
            RtAttrs a = RtAttrs.parse(buf, tlvs, end);
            text = a.getString(Nl.NLMSGERR_ATTR_MSG);
            offset = a.getU32(Nl.NLMSGERR_ATTR_OFFS, -1);
        }
        return new NlMsgErr(errno, requestType, text, offset);
    }
}
