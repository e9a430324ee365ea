package io.netns.testing;

import io.netns.Host;
import io.netns.NetNamespace;
import io.netns.NetnsException;
import io.netns.internal.StateDir;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The one lab fixture of netns's integration tests (the modules that cannot use {@code @NetnsTest}: core,
 * iptables, and tests of the extension itself). Register it on a test class:
 *
 * <pre>{@code
 * @RegisterExtension final TestLab lab = new TestLab("brit");   // per test
 * @RegisterExtension static final TestLab LAB = new TestLab("x"); // per class (@BeforeAll/@AfterAll)
 * }</pre>
 *
 * <p>Before each test (or the class) it passes the {@linkplain Privileged privilege gate}. Everything it
 * hands out is named with {@link #prefix()} = {@code <tag><pid>-<n>-}, so runs from other worktrees on
 * one machine never meet, nor two tests of one JVM (each instance has its own {@code n}):
 * {@link #host()} is a lab host {@code <prefix>lab} made on first use, {@link #namespace(String)} a
 * plain namespace {@code <prefix><role>}. After the test it closes what the
 * test handed to {@link #closeLater}, in reverse order, then the lab host and the namespaces, and then
 * checks the machine independently of the library: a namespace under {@code /run/netns}, an owner record
 * or an address lease directory named with the prefix fails the test (and is removed, so one leaking test
 * does not dirty the next).
 */
public final class TestLab implements BeforeEachCallback, AfterEachCallback, BeforeAllCallback, AfterAllCallback {
    private static final Path NETNS_DIR = NetNamespace.NETNS_DIR;

    private static final AtomicInteger COUNTER = new AtomicInteger();

    private final String prefix;
    private final List<AutoCloseable> closeables = new ArrayList<>();
    private final List<NetNamespace> namespaces = new ArrayList<>();
    private boolean classScoped;
    private Host host;
    private Host plain;

    /**
     * @param tag a short tag of the test class, e.g. {@code "brit"}: letters and digits, so that the
     *     prefix with the pid stays a valid namespace and interface-safe name
     */
    public TestLab(String tag) {
        if (!tag.matches("[a-z]([a-z0-9]{0,6}[a-z])?")) {
            // a last digit would run into the pid: "ab1" + 23 and "ab" + 123 are one prefix
            throw new IllegalArgumentException("tag must be 1-8 lowercase letters and digits, starting and ending "
                    + "with a letter: " + tag);
        }
        this.prefix = tag + ProcessHandle.current().pid() + "-" + COUNTER.incrementAndGet() + "-";
    }

    /** @return {@code <tag><pid>-<n>-}: the start of every name this lab hands out */
    public String prefix() {
        return prefix;
    }

    /**
     * @param role a short role
     * @return {@code <prefix><role>}
     */
    public String name(String role) {
        return prefix + role;
    }

    /**
     * @return the lab host {@code <prefix>lab}, made on first use; closed after the test
     */
    public synchronized Host host() throws NetnsException {
        if (host == null) {
            if (plain != null) {
                throw new IllegalStateException("this test already has the plain host " + plain.id());
            }
            host = Host.createLab(name("lab"));
        }
        return host;
    }

    /**
     * A host over a plain namespace {@code <prefix>lab} with {@code lo} up, for tests of what a real host
     * keeps ({@link Host#close()} leaves its namespace and its bridge networks): not a lab host, so use
     * either this or {@link #host()}. After the test the host is closed, its empty lease directories (the
     * bridge networks' own) and its namespace are removed; a lease file left is a leak.
     *
     * @return the host, made on first use
     */
    public synchronized Host plainHost() throws NetnsException {
        if (plain == null) {
            if (host != null) {
                throw new IllegalStateException("this test already has the lab host " + host.id());
            }
            NetNamespace ns = namespace("lab");
            Cmd.run("ip", "-n", ns.name(), "link", "set", "lo", "up");
            plain = closeLater(Host.of(NetNamespace.open(ns.name())));
        }
        return plain;
    }

    /**
     * @param role a short role, unique in the test
     * @return a fresh namespace {@code <prefix><role>}, closed and deleted after the test
     */
    public synchronized NetNamespace namespace(String role) throws NetnsException {
        NetNamespace ns = NetNamespace.create(name(role));
        namespaces.add(ns);
        return ns;
    }

    /**
     * @param c something to close after the test, before the lab host and the namespaces
     * @param <T> its type
     * @return {@code c}
     */
    public synchronized <T extends AutoCloseable> T closeLater(T c) {
        closeables.add(c);
        return c;
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        classScoped = true;
        Privileged.require();
        clearDeadNamesakes();
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        if (!classScoped) {
            Privileged.require();
            clearDeadNamesakes();
        }
    }

    /**
     * Before the test nothing of it exists, so whatever already carries the prefix was left by a dead process
     * that had this JVM's pid (pids wrap, at 32768 by default): removed, so it neither collides with the
     * test's names nor is blamed on it by the check after the test.
     */
    private void clearDeadNamesakes() {
        List<String> stale = leftovers(prefix);
        if (!stale.isEmpty()) {
            System.err.println("TestLab: removed what a dead process with pid " + ProcessHandle.current().pid()
                    + " left under the prefix " + prefix + ": " + stale);
        }
    }

    @Override
    public void afterEach(ExtensionContext context) throws Exception {
        if (!classScoped) {
            close();
        }
    }

    @Override
    public void afterAll(ExtensionContext context) throws Exception {
        close();
    }

    /**
     * Closes everything, then checks (and clears) what is left with the prefix; what the Jupiter callbacks
     * do, for test engines without them (jqwik's {@code @AfterContainer}).
     *
     * @throws AssertionError when something of the prefix was left
     */
    public synchronized void close() throws Exception {
        List<Exception> failures = new ArrayList<>();
        for (int i = closeables.size() - 1; i >= 0; i--) {
            try {
                closeables.get(i).close();
            } catch (Exception e) {
                failures.add(e);
            }
        }
        closeables.clear();
        if (host != null) {
            try {
                host.close();
            } catch (Exception e) {
                failures.add(e);
            }
            host = null;
        }
        for (NetNamespace ns : namespaces) {
            ns.close();
            if (Files.exists(NETNS_DIR.resolve(ns.name()))) {
                try {
                    ns.delete();
                } catch (Exception e) {
                    failures.add(e);
                }
            }
        }
        namespaces.clear();
        if (plain != null) {
            // a real host keeps its bridge networks' lease directories; gone with the namespace, they go too
            Path leases = StateDir.path("ipam", plain.id());
            if (Files.isDirectory(leases)) {
                try (Stream<Path> s = Files.walk(leases)) {
                    for (Path d : s.sorted(Comparator.reverseOrder()).filter(Files::isDirectory).toList()) {
                        try (Stream<Path> in = Files.list(d)) {
                            if (in.findAny().isEmpty()) {
                                Files.delete(d);
                            }
                        }
                    }
                }
            }
            plain = null;
        }
        List<String> leaks = leftovers(prefix);
        if (!leaks.isEmpty()) {
            AssertionError e = new AssertionError("left on the machine after the test (now removed): " + leaks);
            failures.forEach(e::addSuppressed);
            throw e;
        }
        if (!failures.isEmpty()) {
            Exception first = failures.get(0);
            failures.subList(1, failures.size()).forEach(first::addSuppressed);
            throw first;
        }
    }

    /**
     * What is left on the machine with a prefix, read from the file system (not through the library), and
     * removed.
     *
     * @param prefix a name prefix
     * @return descriptions of namespaces, owner records and lease files found
     */
    public static List<String> leftovers(String prefix) {
        List<String> leaks = new ArrayList<>();
        for (String n : names(NETNS_DIR, prefix)) {
            leaks.add("namespace " + n);
            Cmd.exec("ip", "netns", "delete", n);
        }
        Path records = StateDir.path("sandboxes");
        for (String n : names(records, prefix)) {
            leaks.add("owner record " + records.resolve(n));
            deleteTree(records.resolve(n));
        }
        Path leases = StateDir.path("ipam");
        for (String n : names(leases, prefix)) {
            Path dir = leases.resolve(n);
            leaks.add("address lease directory " + dir);
            deleteTree(dir);
        }
        return leaks;
    }

    /**
     * @param dir a directory (absent: nothing)
     * @param prefix a name prefix
     * @return the sorted names of its entries that start with the prefix
     */
    public static List<String> names(Path dir, String prefix) {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).filter(n -> n.startsWith(prefix)).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void deleteTree(Path p) {
        try (Stream<Path> s = Files.walk(p)) {
            for (Path f : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(f);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
