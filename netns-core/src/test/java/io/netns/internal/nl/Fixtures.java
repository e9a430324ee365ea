package io.netns.internal.nl;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;

/** Loads the kernel-captured datagrams under {@code src/test/resources/nl/}. */
public final class Fixtures {
    private Fixtures() {
    }

    /**
     * @param name e.g. {@code newlink-lo.hex}
     * @return the datagram in a direct little-endian buffer, position 0, limit its length
     */
    public static ByteBuffer load(String name) {
        try (InputStream in = Fixtures.class.getResourceAsStream("/nl/" + name)) {
            if (in == null) {
                throw new IllegalArgumentException("no fixture " + name);
            }
            byte[] raw = HexFormat.of().parseHex(new String(in.readAllBytes(), StandardCharsets.US_ASCII).trim());
            // Captured on x86-64; the codecs use the buffer's order, so pin it rather than nativeOrder().
            ByteBuffer b = ByteBuffer.allocateDirect(raw.length).order(ByteOrder.LITTLE_ENDIAN);
            b.put(raw).flip();
            return b;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
