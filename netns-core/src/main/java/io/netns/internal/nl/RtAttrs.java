package io.netns.internal.nl;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Internal use only: the attributes of one region of a buffer, parsed once (like the kernel's
 * {@code nla_parse}): their types and offsets, checked to lie within the region. Lookups return the
 * first attribute of a type; types are compared with {@link Nl#NLA_TYPE_MASK} applied, so a nest sent
 * with {@code NLA_F_NESTED} is found by its plain type.
 */
public final class RtAttrs {
    private static final int[] NONE = new int[0];

    private final ByteBuffer buf;
    private int[] types = NONE;
    private int[] offsets = NONE;
    private int count;

    private RtAttrs(ByteBuffer buf) {
        this.buf = buf;
    }

    /**
     * Parses the attributes in {@code [from, to)}.
     *
     * @param buf the buffer
     * @param from the first attribute's offset
     * @param to where the region ends
     * @return the attributes
     * @throws NlFormatException if an attribute is shorter than its header or runs past {@code to}
     */
    public static RtAttrs parse(ByteBuffer buf, int from, int to) {
        RtAttrs a = new RtAttrs(buf);
        int at = from;
        while (to - at >= Nl.RTA_HDRLEN) {
            int len = buf.getShort(at) & 0xffff;
            if (len < Nl.RTA_HDRLEN || len > to - at) {
                throw new NlFormatException("bad rta_len " + len + " at offset " + at + " (" + (to - at)
                        + " bytes left in the region)");
            }
            a.add(buf.getShort(at + 2) & Nl.NLA_TYPE_MASK, at);
            at += Nl.rtaAlign(len);
        }
        return a;
    }

    private void add(int type, int offset) {
        if (count == types.length) {
            int n = Math.max(8, count * 2);
            types = Arrays.copyOf(types, n);
            offsets = Arrays.copyOf(offsets, n);
        }
        types[count] = type;
        offsets[count] = offset;
        count++;
    }

    /** @return how many attributes the region holds */
    public int size() {
        return count;
    }

    /**
     * @param i an index below {@link #size()}
     * @return the type of the i-th attribute, flags stripped
     */
    public int typeAt(int i) {
        return types[i];
    }

    private int find(int type) {
        for (int i = 0; i < count; i++) {
            if (types[i] == type) {
                return offsets[i];
            }
        }
        return -1;
    }

    /**
     * @param type an attribute type
     * @return true when present
     */
    public boolean has(int type) {
        return find(type) >= 0;
    }

    /**
     * @param type an attribute type
     * @return its payload length, or -1 when absent
     */
    public int payloadLength(int type) {
        int at = find(type);
        return at < 0 ? -1 : (buf.getShort(at) & 0xffff) - Nl.RTA_HDRLEN;
    }

    /**
     * @param type an attribute type
     * @return its payload's offset, or -1 when absent
     */
    public int payloadOffset(int type) {
        int at = find(type);
        return at < 0 ? -1 : at + Nl.RTA_HDRLEN;
    }

    /**
     * @param type a 32-bit attribute type
     * @param absent what to return when it is absent
     * @return its value in native order
     * @throws NlFormatException if its payload is shorter than 4 bytes
     */
    public int getU32(int type, int absent) {
        int len = payloadLength(type);
        if (len < 0) {
            return absent;
        }
        if (len < 4) {
            throw new NlFormatException("attribute " + type + " has " + len + " bytes, need 4");
        }
        return buf.getInt(payloadOffset(type));
    }

    /**
     * @param type an 8-bit attribute type
     * @param absent what to return when it is absent
     * @return its value
     */
    public int getU8(int type, int absent) {
        int len = payloadLength(type);
        if (len < 1) {
            return absent;
        }
        return buf.get(payloadOffset(type)) & 0xff;
    }

    /**
     * @param type a string attribute type
     * @return its text up to the first NUL, or null when absent
     */
    public String getString(int type) {
        int len = payloadLength(type);
        if (len < 0) {
            return null;
        }
        int at = payloadOffset(type);
        int n = 0;
        while (n < len && buf.get(at + n) != 0) {
            n++;
        }
        byte[] b = new byte[n];
        buf.get(at, b);
        return new String(b, StandardCharsets.UTF_8);
    }

    /**
     * @param type an attribute type
     * @return a copy of its payload, or null when absent
     */
    public byte[] getBytes(int type) {
        int len = payloadLength(type);
        if (len < 0) {
            return null;
        }
        byte[] b = new byte[len];
        buf.get(payloadOffset(type), b);
        return b;
    }

    /**
     * @param type a nested attribute type
     * @return its children, or null when absent
     * @throws NlFormatException if a child is malformed
     */
    public RtAttrs nested(int type) {
        int len = payloadLength(type);
        if (len < 0) {
            return null;
        }
        int at = payloadOffset(type);
        return parse(buf, at, at + len);
    }
}
