package io.netns.internal.nl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

class RtAttrTest {
    private static ByteBuffer buf() {
        return ByteBuffer.allocateDirect(4096).order(ByteOrder.nativeOrder());
    }

    @Test
    void stringIsNulTerminatedAndPadded() {
        ByteBuffer b = buf();
        RtAttr.addString(b, Nl.IFLA_IFNAME, "eth0");
        // rta_len = 4 + "eth0\0" = 9, padded to 12
        assertEquals(12, b.position());
        assertEquals(9, b.getShort(0));
        assertEquals(Nl.IFLA_IFNAME, b.getShort(2));
        assertEquals('e', b.get(4));
        assertEquals(0, b.get(8));
        assertEquals(0, b.get(11));
        RtAttrs a = RtAttrs.parse(b, 0, b.position());
        assertEquals("eth0", a.getString(Nl.IFLA_IFNAME));
    }

    @Test
    void paddingIsZeroedEvenOverOldBytes() {
        ByteBuffer b = buf();
        for (int i = 0; i < 16; i++) {
            b.put(i, (byte) 0xff);
        }
        RtAttr.addU8(b, 7, 0x42);
        assertEquals(8, b.position());
        assertEquals(5, b.getShort(0));
        assertEquals(0x42, b.get(4));
        assertEquals(0, b.get(5));
        assertEquals(0, b.get(7));
    }

    @Test
    void nestedLengthsCoverTheChildren() {
        ByteBuffer b = buf();
        int info = RtAttr.startNested(b, Nl.IFLA_LINKINFO);
        RtAttr.addString(b, Nl.IFLA_INFO_KIND, "veth");
        int data = RtAttr.startNested(b, Nl.IFLA_INFO_DATA);
        int peer = RtAttr.startNested(b, Nl.VETH_INFO_PEER);
        IfInfoMsg.put(b, 0, 0, 0, 0, 0);
        RtAttr.addString(b, Nl.IFLA_IFNAME, "eth0");
        RtAttr.addU32(b, Nl.IFLA_NET_NS_FD, 42);
        RtAttr.endNested(b, peer);
        RtAttr.endNested(b, data);
        RtAttr.endNested(b, info);
        int end = b.position();
        // 4 info + 12 kind + 4 data + 4 peer + 16 ifinfomsg + 12 ifname + 8 fd
        assertEquals(60, end);
        assertEquals(60, b.getShort(info));
        assertEquals(44, b.getShort(data));
        assertEquals(40, b.getShort(peer));

        RtAttrs top = RtAttrs.parse(b, 0, end);
        RtAttrs li = top.nested(Nl.IFLA_LINKINFO);
        assertEquals("veth", li.getString(Nl.IFLA_INFO_KIND));
        RtAttrs d = li.nested(Nl.IFLA_INFO_DATA);
        int p = d.payloadOffset(Nl.VETH_INFO_PEER);
        RtAttrs peerAttrs = RtAttrs.parse(b, p + IfInfoMsg.SIZE, p + d.payloadLength(Nl.VETH_INFO_PEER));
        assertEquals("eth0", peerAttrs.getString(Nl.IFLA_IFNAME));
        assertEquals(42, peerAttrs.getU32(Nl.IFLA_NET_NS_FD, -1));
    }

    @Test
    void nestedFlagIsIgnoredOnLookup() {
        ByteBuffer b = buf();
        int n = RtAttr.startNested(b, Nl.IFLA_LINKINFO | 0x8000);
        RtAttr.addString(b, Nl.IFLA_INFO_KIND, "bridge");
        RtAttr.endNested(b, n);
        RtAttrs a = RtAttrs.parse(b, 0, b.position());
        assertTrue(a.has(Nl.IFLA_LINKINFO));
        assertEquals("bridge", a.nested(Nl.IFLA_LINKINFO).getString(Nl.IFLA_INFO_KIND));
    }

    @Test
    void absentAttributesAndDefaults() {
        ByteBuffer b = buf();
        RtAttr.addU32(b, Nl.IFLA_MTU, 1500);
        RtAttrs a = RtAttrs.parse(b, 0, b.position());
        assertEquals(1500, a.getU32(Nl.IFLA_MTU, 0));
        assertEquals(-7, a.getU32(Nl.IFLA_MASTER, -7));
        assertNull(a.getString(Nl.IFLA_IFNAME));
        assertNull(a.getBytes(Nl.IFLA_ADDRESS));
        assertNull(a.nested(Nl.IFLA_LINKINFO));
        assertFalse(a.has(Nl.IFLA_LINKINFO));
    }

    @Test
    void malformedAttributesThrowInsteadOfLooping() {
        ByteBuffer b = buf();
        b.putShort(0, (short) 0).putShort(2, (short) 1); // rta_len 0: would loop forever
        assertThrows(NlFormatException.class, () -> RtAttrs.parse(b, 0, 16));
        b.putShort(0, (short) 3);
        assertThrows(NlFormatException.class, () -> RtAttrs.parse(b, 0, 16));
        b.putShort(0, (short) 20); // runs past the region
        assertThrows(NlFormatException.class, () -> RtAttrs.parse(b, 0, 16));
        b.putShort(0, (short) 6); // a u32 with 2 bytes
        assertThrows(NlFormatException.class, () -> RtAttrs.parse(b, 0, 8).getU32(1, 0));
        assertEquals(0, RtAttrs.parse(b, 0, 3).size(), "a tail shorter than a header is padding");
    }

    @Test
    void nonAsciiNamesAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> RtAttr.addString(buf(), 3, "eth\u00e9"));
        assertThrows(IllegalArgumentException.class, () -> RtAttr.addString(buf(), 3, "a\0b"));
    }

    @Property(tries = 300)
    void randomAttributesRoundTrip(@ForAll @Size(max = 20) List<@Size(max = 40) byte[]> payloads,
            @ForAll @IntRange(min = 0, max = 0x3ffe) int baseType) {
        ByteBuffer b = buf();
        b.position(3); // odd start: offsets are relative to the region
        int from = b.position();
        for (int i = 0; i < payloads.size(); i++) {
            RtAttr.addBytes(b, 1 + (baseType + i) % 0x3fff, payloads.get(i)); // distinct types
            assertEquals(0, (b.position() - from) % 4, "every attribute ends aligned");
        }
        RtAttrs a = RtAttrs.parse(b, from, b.position());
        assertEquals(payloads.size(), a.size());
        for (int i = 0; i < payloads.size(); i++) {
            int type = a.typeAt(i);
            assertArrayEquals(payloads.get(i), a.getBytes(type));
        }
    }

    /**
     * Random bytes either parse into attributes that lie inside the bytes and whose lengths add up, or fail
     * with {@link NlFormatException}; never another exception, never a loop (each try is bounded in time).
     */
    @Property(tries = 500)
    void randomBytesNeverLoopOrEscape(@ForAll @Size(max = 200) byte[] junk) throws Exception {
        java.util.concurrent.ExecutorService one = java.util.concurrent.Executors.newSingleThreadExecutor();
        try {
            one.submit(() -> {
                ByteBuffer b = buf();
                b.put(junk).flip();
                try {
                    RtAttrs a = RtAttrs.parse(b, 0, junk.length);
                    assertTrue(a.size() <= junk.length / 4, "at most one attribute per 4 bytes: " + a.size());
                    for (int i = 0; i < a.size(); i++) {
                        byte[] v = a.getBytes(a.typeAt(i));
                        assertNotNull(v, "attribute " + i + " has a payload");
                        assertTrue(v.length <= junk.length - 4, "a payload inside the bytes: " + v.length);
                        a.getString(a.typeAt(i));
                    }
                } catch (NlFormatException expected) {
                    // a clear failure
                }
                return null;
            }).get(5, java.util.concurrent.TimeUnit.SECONDS);
        } finally {
            one.shutdownNow();
        }
    }
}
