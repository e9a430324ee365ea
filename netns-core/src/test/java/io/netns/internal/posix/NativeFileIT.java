package io.netns.internal.posix;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.netns.NetnsException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The file wrappers netns added for its hot paths ({@code statx}, {@code NS_GET_NSTYPE}, {@code write},
 * {@code unlink}), each checked against the JDK's own view of the same file. Needs no privileges: it reads
 * the process's own namespace files and writes only in a temporary directory.
 */
class NativeFileIT {
    private static final int CLONE_NEWUTS = 0x04000000;

    @Test
    void identityIsWhatStatSays() throws Exception {
        for (String p : new String[] {"/proc/self/ns/net", "/proc/self/ns/uts", "/proc/self/stat", "/"}) {
            int fd = Native.open(p, Native.O_RDONLY, 0);
            try {
                FileId id = Native.identity(fd);
                Path link = Path.of("/proc/self/fd/" + fd);
                assertEquals(((Number) Files.getAttribute(link, "unix:dev")).longValue(), id.dev(), p + " st_dev");
                assertEquals(((Number) Files.getAttribute(link, "unix:ino")).longValue(), id.ino(), p + " st_ino");
                assertEquals(FileId.ofProcFd(fd), id, p);
            } finally {
                Native.close(fd);
            }
        }
    }

    @Test
    void makedevEncodesLikeGlibc() {
        assertEquals(4, Statx.makedev(0, 4));
        assertEquals((8 << 8) | 1, Statx.makedev(8, 1));
        assertEquals((259L << 8) | 0x12 | (0x345L << 12 << 8), Statx.makedev(259, 0x34512));
        assertEquals((0x1000L << 32) | (0x123L << 8), Statx.makedev(0x1123, 0));
    }

    @Test
    void nsTypeTellsNetFromOtherNamespacesAndFiles() throws Exception {
        assertEquals(Native.CLONE_NEWNET, typeOf("/proc/self/ns/net"));
        assertEquals(CLONE_NEWUTS, typeOf("/proc/self/ns/uts"));
        assertEquals(0, typeOf("/proc/self/stat"), "not a namespace: ENOTTY reads as 0");
    }

    private static int typeOf(String path) throws NetnsException {
        int fd = Native.open(path, Native.O_RDONLY, 0);
        try {
            return Native.nsType(fd);
        } finally {
            Native.close(fd);
        }
    }

    @Test
    void writeWritesPositionToLimitAndUnlinkRemoves(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("record");
        int fd = Native.open(f.toString(), Native.O_WRONLY | Native.O_CREAT | Native.O_EXCL, 0644);
        try {
            ByteBuffer b = ByteBuffer.allocateDirect(64);
            b.put("xxa=1\n".getBytes(StandardCharsets.UTF_8)).flip().position(2);
            Native.write(fd, b);
            assertEquals(b.limit(), b.position(), "write advances to the limit");
        } finally {
            Native.close(fd);
        }
        NetnsException again = assertThrows(NetnsException.class,
                () -> Native.open(f.toString(), Native.O_WRONLY | Native.O_CREAT | Native.O_EXCL, 0644));
        assertEquals(Native.EEXIST, again.errno());
        int append = Native.open(f.toString(), Native.O_WRONLY | Native.O_APPEND, 0);
        try {
            ByteBuffer b = ByteBuffer.allocateDirect(16);
            b.put("b=2\n".getBytes(StandardCharsets.UTF_8)).flip();
            Native.write(append, b);
        } finally {
            Native.close(append);
        }
        assertEquals("a=1\nb=2\n", Files.readString(f));
        Native.unlink(f.toString());
        assertFalse(Files.exists(f));
        assertEquals(Native.ENOENT, org.junit.jupiter.api.Assertions.assertThrows(io.netns.NetnsException.class,
                () -> Native.unlink(f.toString())).errno());
    }
}
