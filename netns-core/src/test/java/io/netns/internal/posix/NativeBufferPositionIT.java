package io.netns.internal.posix;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.netns.internal.nl.Nl;
import io.netns.internal.nl.NlMsgHdr;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

/**
 * Pins how jnr-ffi passes a direct {@link ByteBuffer}: the native address must be base + position, so
 * that {@link Native#sendto} sends position..limit and {@link Native#recv} writes at the position. Uses
 * an unprivileged NETLINK_ROUTE socket in the current namespace, reading only (RTM_GETLINK of lo).
 */
class NativeBufferPositionIT {
    @Test
    void sendAndReceiveHonourThePosition() throws Exception {
        int fd = Native.netlinkSocket(Nl.NETLINK_ROUTE);
        try {
            ByteBuffer kernel = ByteBuffer.allocateDirect(12).order(ByteOrder.nativeOrder());
            kernel.putShort(0, (short) Native.AF_NETLINK);
            ByteBuffer req = ByteBuffer.allocateDirect(256).order(ByteOrder.nativeOrder());
            for (int i = 0; i < 100; i++) {
                req.put(i, (byte) 0xee); // garbage the kernel would reject if it were sent
            }
            int at = 100;
            NlMsgHdr.put(req, at, 32, Nl.RTM_GETLINK, Nl.NLM_F_REQUEST, 4242, 0);
            req.put(at + 16, (byte) 0).putInt(at + 20, 1); // ifinfomsg, ifi_index = 1 (lo)
            req.position(at).limit(at + 32);
            assertEquals(32, Native.sendto(fd, req, kernel));
            assertEquals(at + 32, req.position(), "sendto advances the position by what it sent");

            ByteBuffer rcv = ByteBuffer.allocateDirect(65536).order(ByteOrder.nativeOrder());
            for (int i = 0; i < 200; i++) {
                rcv.put(i, (byte) 0x5a);
            }
            rcv.position(200);
            int n = Native.recv(fd, rcv, Native.MSG_TRUNC);
            assertEquals(200 + n, rcv.position(), "recv advances the position");
            for (int i = 0; i < 200; i++) {
                assertEquals((byte) 0x5a, rcv.get(i), "byte " + i + " before the position was written");
            }
            assertEquals(Nl.RTM_NEWLINK, NlMsgHdr.type(rcv, 200), "the reply starts at the position");
            assertEquals(4242, NlMsgHdr.seq(rcv, 200));
            assertEquals(n, NlMsgHdr.length(rcv, 200));
        } finally {
            Native.close(fd);
        }
    }
}
