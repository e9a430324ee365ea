package io.netns.iptables;

import io.netns.NetnsException;
import io.netns.Protocol;
import io.netns.PublishedPort;
import io.netns.internal.Inet;
import io.netns.internal.StateDir;
import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Internal use only: which owner holds which published host port or range of ports, safe between threads
 * and JVMs, without reading the firewall.
 *
 * <p>A claim is a file holding the owner's tag, made atomically (written under a temporary name, then
 * hard-linked to its name, which fails when the name exists): {@code /run/netns.d/ports/<host>/<protocol>-<port>/<address or any>}
 * for one port, {@code /run/netns.d/port-ranges/<host>/<protocol>-<first>-<last>/<address or any>} for a
 * range (one claim per range, whatever its size). A publication without a host address overlaps every
 * publication of the same protocol and port; {@code 0.0.0.0} every IPv4 one and {@code ::} every IPv6 one
 * (so the two wildcards of one port can go to two owners, as in Docker); a specific address the wildcards of
 * its family and itself. So: make the own claim first, then look
 * at the other claims it may overlap — those of its directory, the single ports inside a range (one
 * lookup per port of the range), and the ranges of the host (one listing of the host's ranges, not of its
 * single ports, so a claim costs the same with 10 or 10,000 ports claimed) — an overlapping one of another
 * owner means a conflict, and the own claim goes again. Two racing overlapping claims both see each other
 * (at worst both fail); never both succeed. Claims go with {@link IptablesFirewall#remove}, also when
 * {@code reclaim()} removes a dead owner's rules.
 */
final class PortClaims {
    static final Path DIR = StateDir.path("ports");
    static final Path RANGES = StateDir.path("port-ranges");

    private PortClaims() {
    }

    /**
     * Claims every port and range for the owner, all or nothing.
     *
     * @param ports ports and ranges, choices made ({@link PublishedPort#choosesHostPort()} ports are not claimed)
     * @return the claims made now (a claim the owner held already is not in it)
     * @throws NetnsException naming the holder and its claim when a port is published by another owner
     */
    static List<Path> claim(String host, String tag, List<PublishedPort> ports) throws NetnsException {
        List<Path> made = new ArrayList<>();
        try {
            for (PublishedPort p : ports) {
                String conflict = claim(host, tag, p.protocol(), p.hostIp(), p.hostPort(), p.hostPortEnd(), made);
                if (conflict != null) {
                    throw NetnsException.failure("publish", "cannot publish " + p + ": host port"
                            + (p.hostPortEnd() > p.hostPort() ? "s " + p.hostPort() + "-" + p.hostPortEnd() : " " + p.hostPort())
                            + "/" + p.protocol().id() + (p.hostPortEnd() > p.hostPort() ? " overlap " : " is already published: ") + conflict
                            + "; remove that owner's rules or pick another host port");
                }
            }
            return made;
        } catch (NetnsException | RuntimeException e) {
            release(made);
            throw e;
        }
    }

    /**
     * Claims one port for the owner unless another owner's claim overlaps it.
     *
     * @param made where the claim made now is added
     * @return whether it is the owner's now (made now, or held already)
     */
    static boolean tryClaim(String host, String tag, Protocol protocol, InetAddress hostIp, int port, List<Path> made)
            throws NetnsException {
        return claim(host, tag, protocol, hostIp, port, port, made) == null;
    }

    /** @return whether the owner holds the claim of one port (on that address, or every address) */
    static boolean holds(String host, String tag, Protocol protocol, InetAddress hostIp, int port) {
        String me = name(hostIp);
        return tag.equals(holder(DIR.resolve(host).resolve(protocol.id() + "-" + port).resolve(me)));
    }

    /** @return null when claimed (added to {@code made} when made now), else the overlapping claim, described */
    private static String claim(String host, String tag, Protocol protocol, InetAddress hostIp, int from, int to,
            List<Path> made) throws NetnsException {
        boolean range = to > from;
        Path dir = range ? RANGES.resolve(host).resolve(protocol.id() + "-" + from + "-" + to)
                : DIR.resolve(host).resolve(protocol.id() + "-" + from);
        String me = name(hostIp);
        Path file = dir.resolve(me);
        boolean mine = create(dir, file, tag);
        if (!mine && !tag.equals(holder(file))) {
            return describe(file, holder(file));
        }
        String conflict = overlapping(dir, me, tag, true);
        for (int p = from; range && conflict == null && p <= to; p++) { // the single ports inside the range
            Path single = DIR.resolve(host).resolve(protocol.id() + "-" + p);
            if (Files.isDirectory(single, LinkOption.NOFOLLOW_LINKS)) {
                conflict = overlapping(single, me, tag, false);
            }
        }
        for (Path other : conflict == null ? list(RANGES.resolve(host)) : List.<Path>of()) { // the host's ranges
            int[] r = range(other.getFileName().toString(), protocol);
            if (r != null && r[0] <= to && from <= r[1] && !other.equals(dir)) {
                conflict = overlapping(other, me, tag, false);
                if (conflict != null) {
                    break;
                }
            }
        }
        if (conflict != null) {
            if (mine) {
                release(List.of(file));
            }
            return conflict;
        }
        if (mine) {
            made.add(file);
        }
        return null;
    }

    /** @return the first claim of another owner in {@code dir} that overlaps address {@code me}, described; or null */
    private static String overlapping(Path dir, String me, String tag, boolean own) {
        for (Path other : list(dir)) {
            String name = other.getFileName().toString();
            if (name.startsWith(".") || own && name.equals(me)) {
                continue;
            }
            if (overlap(me, name)) {
                String h = holder(other);
                if (h != null && !h.equals(tag)) {
                    return describe(other, h);
                }
            }
        }
        return null;
    }

    /**
     * The name of a claim's file: {@code any} for every address of every family the owner publishes in (no
     * host address), {@code any4} for {@code 0.0.0.0} (every IPv4 address), {@code any6} for {@code ::} (every
     * IPv6 address, as Docker publishes {@code -p [::]:8080:80} beside another container's
     * {@code -p 0.0.0.0:8080:80}), else the address.
     */
    static String name(InetAddress hostIp) {
        if (hostIp == null) {
            return "any";
        }
        if (hostIp.isAnyLocalAddress()) {
            return hostIp instanceof Inet6Address ? "any6" : "any4";
        }
        return Inet.toText(hostIp);
    }

    /** @return whether claims named {@code a} and {@code b} (see {@link #name}) take a common address */
    static boolean overlap(String a, String b) {
        if (a.equals(b) || a.equals("any") || b.equals("any")) {
            return true;
        }
        return a.equals("any4") && ipv4(b) || b.equals("any4") && ipv4(a)
                || a.equals("any6") && ipv6(b) || b.equals("any6") && ipv6(a);
    }

    private static boolean ipv4(String name) {
        return name.equals("any4") || !name.startsWith("any") && !name.contains(":");
    }

    private static boolean ipv6(String name) {
        return name.equals("any6") || name.contains(":");
    }

    /** @return {@code tcp 8050 on every address, published by <tag>}, from the claim's path */
    private static String describe(Path claim, String holder) {
        String port = claim.getParent().getFileName().toString().replaceFirst("-", " ");
        String on = claim.getFileName().toString();
        return (port.contains("-") ? "the range " : "") + port + " on " + (on.equals("any") ? "every address" : on.equals("any4") ? "every IPv4 address"
                : on.equals("any6") ? "every IPv6 address" : on)
                + ", published by " + holder;
    }

    /** @return the first and last port of a range claim's directory name of that protocol, or null */
    private static int[] range(String name, Protocol protocol) {
        String prefix = protocol.id() + "-";
        if (!name.startsWith(prefix)) {
            return null;
        }
        String[] f = name.substring(prefix.length()).split("-");
        try {
            return f.length == 2 ? new int[] {Integer.parseInt(f[0]), Integer.parseInt(f[1])} : null;
        } catch (NumberFormatException e) {
            return null;
        }
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

    /** Deletes every claim of the owner on the host (a scan of the host's claims, ports and ranges). */
    static void releaseAll(String host, String tag) {
        List<Path> mine = new ArrayList<>();
        for (Path root : List.of(DIR, RANGES)) {
            for (Path dir : list(root.resolve(host))) {
                for (Path f : list(dir)) {
                    if (tag.equals(holder(f))) {
                        mine.add(f);
                    }
                }
            }
        }
        release(mine);
    }

    /** @return the tags holding claims, on every host */
    static Set<String> holders() {
        Set<String> out = new LinkedHashSet<>();
        for (Path root : List.of(DIR, RANGES)) {
            for (Path host : list(root)) {
                for (Path dir : list(host)) {
                    for (Path f : list(dir)) {
                        String h = f.getFileName().toString().startsWith(".") ? null : holder(f);
                        if (h != null && !h.isEmpty()) {
                            out.add(h);
                        }
                    }
                }
            }
        }
        return out;
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
