package io.netns.internal.nl;

import java.nio.ByteBuffer;

/**
 * Internal use only: the receive side of one request, fed one datagram at a time; no system calls.
 *
 * <p>For each message in a datagram it checks the header ({@link NlMsgHdr#check}; a truncated or
 * malformed message throws {@link NlFormatException}, it never loops), skips messages of another port id
 * or sequence number (late answers to an earlier, abandoned request), notes {@code NLM_F_DUMP_INTR}, and
 * hands data messages to the handler. The reply is complete at {@code NLMSG_ERROR} (the ACK when its
 * errno is 0) or {@code NLMSG_DONE} (the end of a dump, possibly with an error). Every request netns
 * sends has {@code NLM_F_ACK}, so a non-dump reply always ends with the ACK; waiting for it, rather
 * than stopping at the first message without {@code NLM_F_MULTI}, leaves nothing unread in the socket.
 *
 * <p>One instance per socket, {@linkplain #reset reset} per request. Not thread-safe.
 */
public final class NlReplies {
    /** Receives the data messages of a reply. */
    @FunctionalInterface
    public interface Handler {
        /**
         * One data message.
         *
         * @param buf the buffer (read with absolute offsets; do not keep it)
         * @param msg the message's offset (its header's)
         * @param type its {@code nlmsg_type}
         */
        void message(ByteBuffer buf, int msg, int type);
    }

    /** {@code ENOBUFS}: what an {@code NLMSG_OVERRUN} is reported as. */
    static final int ENOBUFS = io.netns.internal.posix.Native.ENOBUFS;

    private int seq;
    private int pid;
    private boolean complete;
    private boolean dumpInterrupted;
    private int errno;
    private String extendedAck;
    private int skipped;

    /**
     * Starts waiting for the reply to one request.
     *
     * @param seq the request's sequence number
     * @param pid the socket's port id
     */
    public void reset(int seq, int pid) {
        this.seq = seq;
        this.pid = pid;
        complete = false;
        dumpInterrupted = false;
        errno = 0;
        extendedAck = null;
        skipped = 0;
    }

    /**
     * Consumes one datagram.
     *
     * @param buf the datagram, from offset 0
     * @param length its length
     * @param handler receives the data messages
     * @return true when the reply is complete
     * @throws NlFormatException if a message is truncated or malformed
     */
    public boolean accept(ByteBuffer buf, int length, Handler handler) {
        int at = 0;
        while (at < length && !complete) {
            int len = NlMsgHdr.check(buf, at, length);
            if (NlMsgHdr.seq(buf, at) != seq || NlMsgHdr.pid(buf, at) != pid) {
                skipped++;
            } else {
                int type = NlMsgHdr.type(buf, at);
                if ((NlMsgHdr.flags(buf, at) & Nl.NLM_F_DUMP_INTR) != 0) {
                    dumpInterrupted = true;
                }
                switch (type) {
                    case Nl.NLMSG_ERROR:
                    case Nl.NLMSG_DONE:
                        NlMsgErr e = NlMsgErr.read(buf, at);
                        errno = e.errno();
                        extendedAck = e.message();
                        complete = true;
                        break;
                    case Nl.NLMSG_NOOP:
                        break;
                    case Nl.NLMSG_OVERRUN:
                        errno = ENOBUFS;
                        extendedAck = "NLMSG_OVERRUN: the kernel dropped data";
                        complete = true;
                        break;
                    default:
                        handler.message(buf, at, type);
                        break;
                }
            }
            at += Nl.nlmsgAlign(len);
        }
        return complete;
    }

    /** @return true when the ACK, the error or the end of the dump arrived */
    public boolean isComplete() {
        return complete;
    }

    /** @return the positive errno the kernel answered, or 0 */
    public int errno() {
        return errno;
    }

    /** @return the kernel's extended-ack text, or null */
    public String extendedAck() {
        return extendedAck;
    }

    /** @return true when some message of the reply had {@code NLM_F_DUMP_INTR}: the dump may be inconsistent */
    public boolean dumpInterrupted() {
        return dumpInterrupted;
    }

    /** @return how many messages of other requests or ports were skipped */
    public int skipped() {
        return skipped;
    }
}
