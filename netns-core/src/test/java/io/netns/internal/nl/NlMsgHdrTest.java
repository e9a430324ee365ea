package io.netns.internal.nl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

class NlMsgHdrTest {
    private static ByteBuffer buf(int n) {
        return ByteBuffer.allocateDirect(n).order(ByteOrder.nativeOrder());
    }

    @Test
    void roundTrip() {
        ByteBuffer b = buf(64);
        NlMsgHdr h = new NlMsgHdr(32, Nl.RTM_NEWLINK, Nl.NLM_F_REQUEST | Nl.NLM_F_ACK | Nl.NLM_F_CREATE, 77, 1234);
        b.position(4);
        h.write(b);
        assertEquals(20, b.position());
        b.position(4).limit(4 + 32);
        assertEquals(h, NlMsgHdr.read(b));
        assertEquals(20, b.position());
        assertEquals(Nl.RTM_NEWLINK, NlMsgHdr.type(b, 4));
        assertEquals(0x405, NlMsgHdr.flags(b, 4));
    }

    @Test
    void unsignedShortsSurvive() {
        ByteBuffer b = buf(16);
        NlMsgHdr.put(b, 0, 16, 0xffff, 0x8001, -1, -2);
        assertEquals(0xffff, NlMsgHdr.type(b, 0));
        assertEquals(0x8001, NlMsgHdr.flags(b, 0));
        assertEquals(-1, NlMsgHdr.seq(b, 0));
    }

    @Test
    void checkRejectsImpossibleLengths() {
        ByteBuffer b = buf(64);
        NlMsgHdr.put(b, 0, 15, 3, 0, 0, 0);
        assertThrows(NlFormatException.class, () -> NlMsgHdr.check(b, 0, 64));
        NlMsgHdr.put(b, 0, 65, 3, 0, 0, 0);
        assertThrows(NlFormatException.class, () -> NlMsgHdr.check(b, 0, 64));
        NlMsgHdr.put(b, 0, -16, 3, 0, 0, 0); // > 2 GiB unsigned
        assertThrows(NlFormatException.class, () -> NlMsgHdr.check(b, 0, 64));
        assertThrows(NlFormatException.class, () -> NlMsgHdr.check(b, 56, 64), "header cut short");
        NlMsgHdr.put(b, 0, 64, 3, 0, 0, 0);
        assertEquals(64, NlMsgHdr.check(b, 0, 64));
    }

    @Test
    void alignment() {
        assertEquals(0, Nl.nlmsgAlign(0));
        assertEquals(4, Nl.nlmsgAlign(1));
        assertEquals(4, Nl.nlmsgAlign(4));
        assertEquals(8, Nl.rtaAlign(5));
        assertEquals(20, Nl.rtaAlign(17));
    }
}
