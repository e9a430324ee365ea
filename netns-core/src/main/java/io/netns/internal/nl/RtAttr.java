package io.netns.internal.nl;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * Internal use only: writing routing attributes, nested ones included, at a buffer's position.
 *
 * <pre>{@code
 * struct rtattr {
 *     unsigned short rta_len;   // header + payload, without the trailing padding
 *     unsigned short rta_type;
 * };                            // payload follows, padded to RTA_ALIGN
 * }</pre>
 *
 * <p>Every {@code add*} writes header, payload and padding (zeroed) and leaves the position aligned.
 * Nesting: {@link #startNested} returns the nest's offset, {@link #endNested} patches its length once the
 * children are written. Reading is {@link RtAttrs}.
 */
public final class RtAttr {
    private RtAttr() {
    }

    private static int header(ByteBuffer buf, int type, int payload) {
        int at = buf.position();
        int len = Nl.RTA_HDRLEN + payload;
        if (len > 0xffff) {
            throw new IllegalArgumentException("attribute " + type + " too long: " + payload + " bytes");
        }
        buf.putShort(at, (short) len);
        buf.putShort(at + 2, (short) type);
        buf.position(at + Nl.RTA_HDRLEN);
        return at;
    }

    private static void pad(ByteBuffer buf, int attrStart) {
        int end = attrStart + Nl.rtaAlign(buf.position() - attrStart);
        while (buf.position() < end) {
            buf.put((byte) 0);
        }
    }

    /**
     * Adds an 8-bit attribute.
     *
     * @param buf the buffer
     * @param type the attribute type
     * @param value the value
     */
    public static void addU8(ByteBuffer buf, int type, int value) {
        int at = header(buf, type, 1);
        buf.put((byte) value);
        pad(buf, at);
    }

    /**
     * Adds a 32-bit attribute in the buffer's (native) byte order.
     *
     * @param buf the buffer
     * @param type the attribute type
     * @param value the value
     */
    public static void addU32(ByteBuffer buf, int type, int value) {
        header(buf, type, 4);
        buf.putInt(value);
    }

    /**
     * Adds a NUL-terminated string attribute ({@code NLA_STRING} as iproute2 sends it).
     *
     * @param buf the buffer
     * @param type the attribute type
     * @param value ASCII text without NUL
     */
    public static void addString(ByteBuffer buf, int type, String value) {
        int n = value.length();
        int at = header(buf, type, n + 1);
        for (int i = 0; i < n; i++) {
            char c = value.charAt(i);
            if (c == 0 || c > 0x7f) {
                throw new IllegalArgumentException("attribute " + type + ": not printable ASCII: " + value);
            }
            buf.put((byte) c);
        }
        buf.put((byte) 0);
        pad(buf, at);
    }

    /**
     * Adds raw bytes (an address in network order, a MAC).
     *
     * @param buf the buffer
     * @param type the attribute type
     * @param value the payload
     */
    public static void addBytes(ByteBuffer buf, int type, byte[] value) {
        int at = header(buf, type, value.length);
        buf.put(value);
        pad(buf, at);
    }

    /**
     * Starts a nested attribute; write the children, then call {@link #endNested}.
     *
     * @param buf the buffer
     * @param type the attribute type (written without {@code NLA_F_NESTED}, as iproute2 does)
     * @return the nest's offset, for {@link #endNested}
     */
    public static int startNested(ByteBuffer buf, int type) {
        return header(buf, type, 0);
    }

    /**
     * Ends a nested attribute: patches its length to cover everything written since
     * {@link #startNested}.
     *
     * @param buf the buffer
     * @param nest what {@link #startNested} returned
     */
    public static void endNested(ByteBuffer buf, int nest) {
        int len = buf.position() - nest;
        if (len > 0xffff) {
            throw new IllegalArgumentException("nested attribute too long: " + len + " bytes");
        }
        buf.putShort(nest, (short) len);
    }

    /**
     * @param s a string
     * @return its bytes as an attribute payload would carry them (ASCII, no NUL)
     */
    static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }
}
