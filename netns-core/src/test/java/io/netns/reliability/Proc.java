package io.netns.reliability;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/** The kernel's view of this process, read from /proc: the independent check of the reliability tests. */
final class Proc {
    private Proc() {
    }

    /** @return the inode of the network namespace the calling thread is in, per /proc/thread-self/ns/net */
    static long threadNetInode() {
        try {
            String link = Files.readSymbolicLink(Path.of("/proc/thread-self/ns/net")).toString();
            return Long.parseLong(link.substring(5, link.length() - 1));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** @return the number of open descriptors of this JVM */
    static int openFds() {
        try (Stream<Path> s = Files.list(Path.of("/proc/self/fd"))) {
            return (int) s.count();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** @return {@code fd -> target} lines of a process's descriptors */
    static List<String> fds(long pid) {
        List<String> out = new ArrayList<>();
        try (Stream<Path> s = Files.list(Path.of("/proc/" + pid + "/fd"))) {
            for (Path p : (Iterable<Path>) s::iterator) {
                try {
                    out.add(p.getFileName() + " -> " + Files.readSymbolicLink(p));
                } catch (IOException gone) {
                    // closed while listing (the listing's own descriptor)
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }
}
