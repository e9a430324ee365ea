package io.netns.internal.posix;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The one ownership model: references, idempotent close, one native close when the last user leaves. */
class FileDescriptorTest {
    private static boolean isOpen(int fd) {
        return Files.exists(Path.of("/proc/self/fd/" + fd), java.nio.file.LinkOption.NOFOLLOW_LINKS);
    }

    @Test
    void closeIsIdempotentAndClosesOnce() throws Exception {
        FileDescriptor fd = FileDescriptor.open("/proc/self/stat", Native.O_RDONLY);
        int n = fd.intValue();
        assertTrue(isOpen(n));
        assertTrue(fd.markClosed());
        assertFalse(fd.markClosed());
        fd.close();
        assertTrue(fd.isClosed());
        assertFalse(isOpen(n));
        assertThrows(IllegalStateException.class, fd::acquire);
    }

    @Test
    void aBorrowerKeepsItOpenPastClose() throws Exception {
        FileDescriptor fd = FileDescriptor.open("/proc/self/stat", Native.O_RDONLY);
        int n = fd.acquire();
        assertEquals(fd.intValue(), n);
        fd.close();
        assertTrue(fd.isClosed());
        assertTrue(isOpen(n), "still borrowed");
        fd.release();
        assertFalse(isOpen(n));
    }

    @Test
    void concurrentClosesCloseOnce() throws Exception {
        for (int round = 0; round < 200; round++) {
            FileDescriptor fd = FileDescriptor.open("/proc/self/stat", Native.O_RDONLY);
            int[] winners = new int[1];
            Thread[] ts = new Thread[4];
            for (int i = 0; i < ts.length; i++) {
                ts[i] = new Thread(() -> {
                    if (fd.markClosed()) {
                        synchronized (winners) {
                            winners[0]++;
                        }
                    }
                });
                ts[i].start();
            }
            for (Thread t : ts) {
                t.join();
            }
            assertEquals(1, winners[0]);
        }
    }

    @Test
    void refusesANegativeNumber() {
        assertThrows(IllegalArgumentException.class, () -> FileDescriptor.of(-1));
    }
}
