package io.netns.internal.posix;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Internal use only: the fields netns reads of {@code struct statx} ({@code <linux/stat.h>}), over one
 * direct buffer per thread. The layout is the same on every architecture:
 *
 * <pre>
 * struct statx {
 *     __u32 stx_mask;            //   0
 *     __u32 stx_blksize;         //   4
 *     __u64 stx_attributes;      //   8
 *     __u32 stx_nlink;           //  16
 *     __u32 stx_uid;             //  20
 *     __u32 stx_gid;             //  24
 *     __u16 stx_mode;            //  28
 *     __u16 __spare0[1];
 *     __u64 stx_ino;             //  32
 *     __u64 stx_size;            //  40
 *     __u64 stx_blocks;          //  48
 *     __u64 stx_attributes_mask; //  56
 *     struct statx_timestamp stx_atime, stx_btime, stx_ctime, stx_mtime;   // 64..127
 *     __u32 stx_rdev_major;      // 128
 *     __u32 stx_rdev_minor;      // 132
 *     __u32 stx_dev_major;       // 136
 *     __u32 stx_dev_minor;       // 140
 *     __u64 __spare2[14];        // up to 256
 * };
 * </pre>
 */
final class Statx {
    /** {@code AT_EMPTY_PATH}: operate on the descriptor itself. */
    static final int AT_EMPTY_PATH = 0x1000;
    /** {@code STATX_INO}; {@code stx_dev_*} are always filled. */
    static final int STATX_INO = 0x100;
    static final int SIZE = 256;
    private static final int STX_INO = 32;
    private static final int STX_DEV_MAJOR = 136;
    private static final int STX_DEV_MINOR = 140;

    private static final ThreadLocal<ByteBuffer> BUFFER =
            ThreadLocal.withInitial(() -> ByteBuffer.allocateDirect(SIZE).order(ByteOrder.nativeOrder()));

    private Statx() {
    }

    static ByteBuffer buffer() {
        return BUFFER.get().clear();
    }

    static long ino(ByteBuffer b) {
        return b.getLong(STX_INO);
    }

    static long dev(ByteBuffer b) {
        return makedev(Integer.toUnsignedLong(b.getInt(STX_DEV_MAJOR)), Integer.toUnsignedLong(b.getInt(STX_DEV_MINOR)));
    }

    /** glibc's {@code makedev}, which is how {@code stat(2)}'s {@code st_dev} encodes the pair. */
    static long makedev(long major, long minor) {
        return ((major & 0x00000fffL) << 8) | ((major & 0xfffff000L) << 32)
                | (minor & 0x000000ffL) | ((minor & 0xffffff00L) << 12);
    }
}
