package io.netns.internal.nl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

class BodyCodecTest {
    private static ByteBuffer message(int bodySize) {
        ByteBuffer b = ByteBuffer.allocateDirect(256).order(ByteOrder.nativeOrder());
        b.position(NlMsgHdr.SIZE);
        return b;
    }

    private static void finish(ByteBuffer b, int type) {
        NlMsgHdr.put(b, 0, b.position(), type, 0, 1, 2);
    }

    @Test
    void ifInfoMsgRoundTrip() {
        ByteBuffer b = message(IfInfoMsg.SIZE);
        IfInfoMsg m = new IfInfoMsg(0, 772, 7, Nl.IFF_UP | Nl.IFF_LOWER_UP, Nl.IFF_UP);
        m.write(b);
        assertEquals(32, b.position());
        RtAttr.addString(b, Nl.IFLA_IFNAME, "lo");
        finish(b, Nl.RTM_NEWLINK);
        assertEquals(m, IfInfoMsg.read(b, 0));
        assertEquals("lo", IfInfoMsg.attributes(b, 0).getString(Nl.IFLA_IFNAME));
    }

    @Test
    void ifAddrMsgRoundTrip() {
        ByteBuffer b = message(IfAddrMsg.SIZE);
        IfAddrMsg m = new IfAddrMsg(Nl.AF_INET6, 64, 0x80, 253, 3);
        m.write(b);
        assertEquals(24, b.position());
        RtAttr.addBytes(b, Nl.IFA_ADDRESS, new byte[16]);
        finish(b, Nl.RTM_NEWADDR);
        assertEquals(m, IfAddrMsg.read(b, 0));
        assertEquals(16, IfAddrMsg.attributes(b, 0).payloadLength(Nl.IFA_ADDRESS));
    }

    @Test
    void rtMsgRoundTrip() {
        ByteBuffer b = message(RtMsg.SIZE);
        RtMsg m = new RtMsg(Nl.AF_INET, 24, 0, 0, Nl.RT_TABLE_MAIN, Nl.RTPROT_BOOT, Nl.RT_SCOPE_LINK,
                Nl.RTN_UNICAST, 0);
        m.write(b);
        assertEquals(28, b.position());
        RtAttr.addBytes(b, Nl.RTA_DST, new byte[] {10, 0, 0, 0});
        RtAttr.addU32(b, Nl.RTA_OIF, 5);
        finish(b, Nl.RTM_NEWROUTE);
        assertEquals(m, RtMsg.read(b, 0));
        assertEquals(5, RtMsg.attributes(b, 0).getU32(Nl.RTA_OIF, 0));
    }

    @Test
    void bodiesLongerThanTheMessageAreRejected() {
        ByteBuffer b = message(0);
        NlMsgHdr.put(b, 0, NlMsgHdr.SIZE + 4, Nl.RTM_NEWLINK, 0, 0, 0);
        assertThrows(NlFormatException.class, () -> IfInfoMsg.read(b, 0));
        assertThrows(NlFormatException.class, () -> IfAddrMsg.read(b, 0));
        assertThrows(NlFormatException.class, () -> RtMsg.read(b, 0));
    }
}
