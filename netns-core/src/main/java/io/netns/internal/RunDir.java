package io.netns.internal;

import io.netns.NetnsException;
import io.netns.internal.posix.Native;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;

/**
 * Internal use only: the one choice of where netns keeps what it persists: named namespaces under
 * {@code <run dir>/netns} (where iproute2 looks when the run dir is {@code /run}) and its state under
 * {@code <run dir>/netns.d} ({@link StateDir}).
 *
 * <p>The run dir is, in this order:
 * <ol>
 *   <li>the system property {@value #PROPERTY}, when set (an absolute path; made if missing);</li>
 *   <li>{@code /run} when the process may write there (root, or a rootless JVM whose mount namespace has
 *       private {@code /run/netns} and {@code /run/netns.d} already, e.g. made by an earlier JVM of the same
 *       {@code unshare});</li>
 *   <li>rootless, when {@code /run/netns} and {@code /run/netns.d} exist: {@code /run} still, with a private
 *       {@code tmpfs} mounted over each of the two in the JVM's own mount namespace (so {@code ip netns} and
 *       {@code ip -n} run by the JVM's children see the namespaces, and nothing of the machine's is touched);</li>
 *   <li>rootless otherwise: {@code $XDG_RUNTIME_DIR/netns-rootless} (or {@code java.io.tmpdir} without it),
 *       with a private {@code tmpfs} mounted over it.</li>
 * </ol>
 * A private {@code tmpfs} goes away with the mount namespace, together with every namespace persisted in it.
 */
public final class RunDir {
    /** The system property that sets the run dir. */
    public static final String PROPERTY = "io.netns.runDir";
    /** The run dir when nothing else is chosen. */
    public static final Path DEFAULT = Path.of("/run");

    private static volatile Path chosen;

    private RunDir() {
    }

    /**
     * @return the run dir, chosen by the availability probe (run now if it has not run yet); where namespaces
     *     are unavailable, the one of the property, or {@link #DEFAULT}
     */
    public static Path root() {
        if (chosen == null) {
            io.netns.Netns.isAvailable(); // the probe calls establish()
        }
        Path p = chosen;
        return p != null ? p : configured();
    }

    /** @return where named namespaces are persisted: {@code <run dir>/netns} */
    public static Path netns() {
        return root().resolve("netns");
    }

    /** @return netns' state directory: {@code <run dir>/netns.d} */
    public static Path state() {
        return root().resolve("netns.d");
    }

    private static Path configured() {
        return configured(System.getProperty(PROPERTY));
    }

    /**
     * @param p the value of {@value #PROPERTY}, or null
     * @return the run dir it names, or {@link #DEFAULT} when unset or blank
     * @throws IllegalArgumentException if it is not an absolute path
     */
    static Path configured(String p) {
        if (p == null || p.isBlank()) {
            return DEFAULT;
        }
        Path path = Path.of(p.trim());
        if (!path.isAbsolute()) {
            throw new IllegalArgumentException("-D" + PROPERTY + " must be an absolute path: '" + p + "'");
        }
        return path.normalize();
    }

    /**
     * Chooses the run dir once, from the availability probe (before any namespace is made), and makes it
     * usable: in rootless mode this may mount a private {@code tmpfs}.
     *
     * @param rootless whether the JVM runs in a user namespace whose initial network namespace it cannot
     *     re-enter
     * @return the run dir
     * @throws NetnsException if it cannot be made usable; the message says why and what to do
     */
    public static synchronized Path establish(boolean rootless) throws NetnsException {
        if (chosen != null) {
            return chosen;
        }
        Path dir;
        if (System.getProperty(PROPERTY) != null || !rootless) {
            dir = configured();
        } else {
            dir = rootlessDir();
        }
        chosen = dir;
        return dir;
    }

    private static Path rootlessDir() throws NetnsException {
        Path ns = DEFAULT.resolve("netns");
        Path state = DEFAULT.resolve("netns.d");
        if (writable(ns) && writable(state)) {
            return DEFAULT;
        }
        if (Files.isDirectory(ns, LinkOption.NOFOLLOW_LINKS) && Files.isDirectory(state, LinkOption.NOFOLLOW_LINKS)) {
            privateTmpfs(ns);
            privateTmpfs(state);
            return DEFAULT;
        }
        String xdg = System.getenv("XDG_RUNTIME_DIR");
        Path base = xdg != null && !xdg.isBlank() && Files.isDirectory(Path.of(xdg)) && Files.isWritable(Path.of(xdg))
                ? Path.of(xdg) : Path.of(System.getProperty("java.io.tmpdir"));
        Path dir = base.resolve("netns-rootless");
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw NetnsException.wrap("mkdir " + dir + " (the rootless run dir; set -D" + PROPERTY + " to choose another)", e);
        }
        if (!mountedOver(dir)) {
            privateTmpfs(dir);
        }
        return dir;
    }

    /** A {@code tmpfs} of this mount namespace only, over an existing directory. */
    private static void privateTmpfs(Path dir) throws NetnsException {
        try {
            Native.mountData("tmpfs", dir.toString(), "tmpfs", Native.MS_NOSUID | Native.MS_NODEV | Native.MS_NOEXEC,
                    "mode=0755");
        } catch (NetnsException e) {
            NetnsException f = NetnsException.failure("rootless run dir", "cannot mount a private tmpfs on " + dir
                    + " (" + e.getMessage() + "): the JVM's mount namespace must belong to its user namespace; start it "
                    + "with `unshare --user --map-root-user --mount ...` (--mount included), or set -D" + PROPERTY
                    + " to a directory this user may write");
            f.initCause(e);
            throw f;
        }
    }

    private static boolean writable(Path p) {
        return Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS) && Files.isWritable(p);
    }

    /** Whether something is mounted on {@code dir}: its device differs from its parent's. */
    private static boolean mountedOver(Path dir) throws NetnsException {
        try {
            Object d = Files.getAttribute(dir, "unix:dev", LinkOption.NOFOLLOW_LINKS);
            Object parent = Files.getAttribute(dir.getParent(), "unix:dev");
            return !d.equals(parent);
        } catch (IOException e) {
            throw NetnsException.wrap("stat " + dir, e);
        }
    }
}
