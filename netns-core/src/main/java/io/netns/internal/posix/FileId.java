package io.netns.internal.posix;

import io.netns.NetnsException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Internal use only: the identity of a file, {@code (st_dev, st_ino)}; for a namespace file, the
 * namespace's identity.
 *
 * @param dev the device, encoded as {@code stat(2)}'s {@code st_dev}
 * @param ino the inode number
 */
public record FileId(long dev, long ino) {
    /** The JDK's way, for a C library without {@code statx}: two {@code stat} calls on the fd's /proc link. */
    static FileId ofProcFd(int fd) throws NetnsException {
        Path link = Path.of("/proc/self/fd/" + fd);
        try {
            return new FileId(((Number) Files.getAttribute(link, "unix:dev")).longValue(),
                    ((Number) Files.getAttribute(link, "unix:ino")).longValue());
        } catch (IOException e) {
            throw NetnsException.wrap("stat " + link, e);
        }
    }
}
