package io.netns.internal.nl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netns.NetnsException;
import io.netns.internal.posix.Native;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The engine's own guarantees, against a scripted kernel: growing requests, bounded waits, idempotent close. */
class NetlinkSocketTest {
    private static ByteBuffer direct(int n) {
        return ByteBuffer.allocateDirect(n).order(ByteOrder.nativeOrder());
    }

    /** Acks every message of what it is sent; optionally answers nothing (a receive timeout). */
    private static final class AckingKernel implements NetlinkSocket.Transport {
        final List<Integer> sizes = new ArrayList<>();
        ByteBuffer pending;
        boolean silent;
        int closes;

        @Override
        public void send(ByteBuffer m) {
            sizes.add(m.remaining());
            int seq = m.getInt(m.position() + 8);
            m.position(m.limit());
            ByteBuffer ack = direct(36);
            NlMsgHdr.put(ack, 0, 36, Nl.NLMSG_ERROR, 0, seq, 7);
            ack.putInt(16, 0);
            NlMsgHdr.put(ack, 20, NlMsgHdr.SIZE, Nl.RTM_NEWLINK, 0, seq, 7); // the echoed header (NETLINK_CAP_ACK)
            pending = ack;
        }

        @Override
        public int receive(ByteBuffer buf, int flags) throws NetnsException {
            if (silent) {
                throw NetnsException.of("recvfrom", Native.EAGAIN, null);
            }
            for (int i = 0; i < 36; i++) {
                buf.put(buf.position() + i, pending.get(i));
            }
            return 36;
        }

        @Override
        public void close() {
            closes++;
        }
    }

    @Test
    void aRequestLargerThanItsBufferGrowsInsteadOfFailing() throws Exception {
        AckingKernel k = new AckingKernel();
        try (NetlinkSocket s = NetlinkSocket.over(k, 7, "test", null, direct(4096), direct(4096))) {
            byte[] big = new byte[200_000];
            s.execute(() -> "big", Nl.RTM_NEWLINK, 0, b -> b.put(big), null);
            // A batch of many messages in one datagram grows the same way.
            int[] read = {0};
            s.converse(() -> "batch", (buf, at, len, type) -> ++read[0] == 1, (b, sock) -> {
                for (int i = 0; i < 5000; i++) {
                    int at = b.position();
                    NlMsgHdr.put(b, at, NlMsgHdr.SIZE + 16, Nl.RTM_NEWLINK, Nl.NLM_F_REQUEST, sock.nextSeq(), 0);
                    b.position(at + NlMsgHdr.SIZE);
                    b.put(new byte[16]);
                }
            });
        }
        assertEquals(List.of(NlMsgHdr.SIZE + 200_000, 5000 * (NlMsgHdr.SIZE + 16)), k.sizes);
        assertEquals(1, k.closes);
    }

    @Test
    void aKernelThatNeverAnswersEndsInABoundedFailure() {
        AckingKernel k = new AckingKernel();
        k.silent = true;
        NetlinkSocket s = NetlinkSocket.over(k, 7, "test", null, direct(4096), direct(4096));
        NetnsException e = assertThrows(NetnsException.class,
                () -> s.execute(() -> "RTM_GETLINK(x)", Nl.RTM_GETLINK, 0, b -> { }, null));
        assertTrue(e.getMessage().contains("no answer from the kernel within " + NetlinkSocket.RECEIVE_TIMEOUT_SECONDS),
                e.getMessage());
        s.close();
        s.close();
        assertEquals(1, k.closes, "close is idempotent");
        assertThrows(IllegalStateException.class, () -> s.execute(() -> "x", Nl.RTM_GETLINK, 0, b -> { }, null));
    }
}
