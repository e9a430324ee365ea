package io.netns.iptables;

import io.netns.NetnsException;
import io.netns.PublishedPort;
import io.netns.internal.Inet;
import io.netns.internal.StateDir;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Internal use only: which owner holds which published host port, safe between threads and JVMs, without
 * reading the firewall.
 *
 * <p>A claim is a file {@code /run/netns.d/ports/<host>/<protocol>-<port>/<address or any>} holding the
 * owner's tag, made atomically (written under a temporary name, then hard-linked to its name, which fails
 * when the name exists). A wildcard publication overlaps every publication of the same protocol and port,
 * a specific one the wildcard and itself. So: make the own claim first, then look at the other claims of
 * the directory; an overlapping one of another owner means a conflict, and the own claim goes again. Two
 * racing overlapping claims both see each other (at worst both fail); never both succeed. Claims go with
 * {@link IptablesFirewall#remove}, also when {@code reclaim()} removes a dead owner's rules.
 */
final class PortClaims {
    static final Path DIR = StateDir.path("ports");

    private PortClaims() {
    }

    /**
     * Claims every port for the owner, all or nothing.
     *
     * @return the claims made now (a claim the owner held already is not in it)
     * @throws NetnsException naming the holder when a port is published by another owner
     */
    static List<Path> claim(String host, String tag, List<PublishedPort> ports) throws NetnsException {
        List<Path> made = new ArrayList<>();
        try {
            for (PublishedPort p : ports) {
                Path dir = DIR.resolve(host).resolve(p.protocol().id() + "-" + p.hostPort());
                String me = p.hostIp() == null || p.hostIp().isAnyLocalAddress() ? "any" : Inet.toText(p.hostIp());
                Path file = dir.resolve(me);
                if (create(dir, file, tag)) {
                    made.add(file);
                } else if (!tag.equals(holder(file))) {
                    throw conflict(p, holder(file));
                }
                for (Path other : list(dir)) {
                    String name = other.getFileName().toString();
                    if (name.equals(me) || name.startsWith(".")) {
                        continue;
                    }
                    if (me.equals("any") || name.equals("any")) {
                        String h = holder(other);
                        if (h != null && !h.equals(tag)) {
                            throw conflict(p, h);
                        }
                    }
                }
            }
            return made;
        } catch (NetnsException | RuntimeException e) {
            release(made);
            throw e;
        }
    }

    private static NetnsException conflict(PublishedPort p, String holder) {
        return NetnsException.failure("publish", "cannot publish " + p + ": host port " + p.hostPort() + "/"
                + p.protocol().id() + " is already published by " + holder + "; remove that owner's rules or pick "
                + "another host port");
    }

    private static boolean create(Path dir, Path file, String tag) throws NetnsException {
        for (int attempt = 0; ; attempt++) {
            Path tmp = dir.resolve("." + file.getFileName() + "." + ProcessHandle.current().pid() + "." + Thread.currentThread().getId());
            StateDir.delete(tmp); // a leftover of a thread of a dead process with this pid
            if (!StateDir.createExclusive(tmp, tag.getBytes(StandardCharsets.UTF_8))) {
                throw NetnsException.failure("claim " + file, tmp + " exists");
            }
            try {
                Files.createLink(file, tmp); // link(2) never follows a symbolic link, and fails when the name exists
                return true;
            } catch (FileAlreadyExistsException taken) {
                if (Files.isSymbolicLink(file)) {
                    throw StateDir.symlink(file);
                }
                return false;
            } catch (NoSuchFileException raced) {
                if (attempt >= 5) {
                    throw NetnsException.wrap("claim " + file, raced);
                }
                // another process removed the empty directory right then: make it again
            } catch (IOException e) {
                throw NetnsException.wrap("claim " + file, e);
            } finally {
                StateDir.delete(tmp);
            }
        }
    }

    /** Deletes claims, then their directories when empty. */
    static void release(List<Path> claims) {
        for (Path c : claims) {
            StateDir.delete(c);
            StateDir.deleteIfEmpty(c.getParent());
            StateDir.deleteIfEmpty(c.getParent().getParent());
        }
    }

    /** Deletes every claim of the owner on the host (a scan of the host's claims). */
    static void releaseAll(String host, String tag) {
        List<Path> mine = new ArrayList<>();
        for (Path dir : list(DIR.resolve(host))) {
            for (Path f : list(dir)) {
                if (tag.equals(holder(f))) {
                    mine.add(f);
                }
            }
        }
        release(mine);
    }

    private static String holder(Path f) {
        return StateDir.readOrNull(f);
    }

    private static List<Path> list(Path dir) {
        try {
            return StateDir.list(dir);
        } catch (NetnsException e) {
            return List.of(); // not safe to read: nothing of it is trusted
        }
    }
}
