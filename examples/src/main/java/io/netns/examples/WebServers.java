package io.netns.examples;

import com.sun.net.httpserver.HttpServer;
import io.netns.Sandbox;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The web servers of the demo: real Apache httpd when it is installed, the JDK's built-in HTTP server
 * otherwise. Both serve {@code hello from <who>} on {@code /}, so the demo's output is the same.
 */
abstract class WebServers implements AutoCloseable {
    /** Debian's httpd binary. */
    static final Path APACHE = Path.of("/usr/sbin/apache2");
    private static final Path APACHE_MODULES = Path.of("/usr/lib/apache2/modules");

    /** What became of a start: up, or the server's own error text. */
    static final class Started {
        final boolean up;
        final String detail;

        Started(boolean up, String detail) {
            this.up = up;
            this.detail = detail;
        }
    }

    /** @return Apache when {@code /usr/sbin/apache2} is installed, else the JDK's server */
    static WebServers best() throws IOException {
        return apacheInstalled() ? apache() : jdk();
    }

    /** @return whether Debian's Apache httpd is installed */
    static boolean apacheInstalled() {
        return Files.isExecutable(APACHE) && Files.isDirectory(APACHE_MODULES);
    }

    /** @return the JDK's built-in HTTP server, run on threads of this JVM */
    static WebServers jdk() {
        return new Jdk();
    }

    /**
     * @return Apache httpd, one process per server, each with a generated config in a temporary ServerRoot
     * @throws IOException if the temporary directory cannot be made
     */
    static WebServers apache() throws IOException {
        return new Apache();
    }

    /** @return one line saying which server this is */
    abstract String describe();

    /**
     * Starts a server inside a sandbox and waits until it accepts connections or gives up.
     *
     * @param sandbox where it runs
     * @param at {@code Listen} address; a wildcard address means {@code Listen <port>}
     * @param who the name on its page
     * @return up, or not up with the server's error
     */
    abstract Started start(Sandbox sandbox, InetSocketAddress at, String who) throws Exception;

    /** @return the directory its servers' files live in, or null when it has none */
    Path workDir() {
        return null;
    }

    /** Stops the servers this object runs in the JVM (Apache processes stop with their sandbox). */
    abstract void stopAll();

    @Override
    public void close() {
        stopAll();
    }

    static String listen(InetSocketAddress at) {
        if (at.getAddress().isAnyLocalAddress()) {
            return "Listen " + at.getPort();
        }
        String ip = text(at.getAddress());
        return "Listen " + (ip.indexOf(':') >= 0 ? "[" + ip + "]" : ip) + ":" + at.getPort();
    }

    /** An address as {@code ip} prints it: IPv6 with its longest run of zero groups as {@code ::} (RFC 5952). */
    static String text(InetAddress a) {
        if (!(a instanceof java.net.Inet6Address)) {
            return a.getHostAddress();
        }
        byte[] b = a.getAddress();
        int best = -1;
        int bestLen = 1;
        for (int i = 0; i < 8; i++) {
            int j = i;
            while (j < 8 && b[2 * j] == 0 && b[2 * j + 1] == 0) {
                j++;
            }
            if (j - i > bestLen) {
                best = i;
                bestLen = j - i;
            }
            i = Math.max(i, j);
        }
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < 8; i++) {
            if (i == best) {
                s.append("::");
                i += bestLen - 1;
                continue;
            }
            if (s.length() > 0 && s.charAt(s.length() - 1) != ':') {
                s.append(':');
            }
            s.append(Integer.toHexString(((b[2 * i] & 0xff) << 8) | (b[2 * i + 1] & 0xff)));
        }
        return s.toString();
    }

    static String page(String who) {
        return "hello from " + who + "\n";
    }

    /** The JDK's {@code com.sun.net.httpserver}: the socket is bound on the calling thread, inside. */
    private static final class Jdk extends WebServers {
        private final List<HttpServer> servers = new ArrayList<>();

        @Override
        String describe() {
            return "the JDK's built-in HTTP server (com.sun.net.httpserver); install apache2 to see real httpd";
        }

        @Override
        Started start(Sandbox sandbox, InetSocketAddress at, String who) throws Exception {
            try {
                HttpServer s = sandbox.call(() -> HttpServer.create(at, 16));
                byte[] body = page(who).getBytes(StandardCharsets.UTF_8);
                s.createContext("/", ex -> {
                    ex.sendResponseHeaders(200, body.length);
                    ex.getResponseBody().write(body);
                    ex.close();
                });
                s.setExecutor(Executors.newSingleThreadExecutor(r -> {
                    Thread t = new Thread(r, "demo-http-" + who);
                    t.setDaemon(true);
                    return t;
                }));
                s.start();
                synchronized (servers) {
                    servers.add(s);
                }
                return new Started(true, "bound " + s.getAddress());
            } catch (java.net.BindException e) {
                return new Started(false, "java.net.BindException: " + e.getMessage() + " (bind "
                        + (at.getAddress().isAnyLocalAddress() ? "[::]" : at.getAddress().getHostAddress()) + ":"
                        + at.getPort() + ")");
            }
        }

        @Override
        void stopAll() {
            synchronized (servers) {
                for (HttpServer s : servers) {
                    s.stop(0);
                    ((ExecutorService) s.getExecutor()).shutdownNow();
                }
                servers.clear();
            }
        }
    }

    /**
     * Apache httpd started with {@code sandbox.start(new ProcessBuilder(apache2, -f, conf, -DFOREGROUND))}.
     * Each instance gets its own minimal config, DocumentRoot, PidFile and ErrorLog under one temporary
     * ServerRoot, so nothing of the system's Apache is read or written; the sandbox stops it on close.
     */
    private static final class Apache extends WebServers {
        private final Path root;
        private int next;

        Apache() throws IOException {
            root = Files.createTempDirectory("netns-demo-httpd-");
            readable(root);
        }

        @Override
        Path workDir() {
            return root;
        }

        @Override
        String describe() {
            return "Apache httpd (" + APACHE + ", -DFOREGROUND, generated configs under " + root + ")";
        }

        @Override
        Started start(Sandbox sandbox, InetSocketAddress at, String who) throws Exception {
            Path dir = root.resolve(who.replaceAll("[^A-Za-z0-9_.-]", "_") + "-" + (next++));
            Path docs = dir.resolve("htdocs");
            Files.createDirectories(docs);
            readable(dir);
            readable(docs);
            Files.writeString(docs.resolve("index.html"), page(who));
            Path conf = dir.resolve("httpd.conf");
            Files.writeString(conf, config(dir, docs, at, who));
            Path console = dir.resolve("console.log");
            ProcessBuilder pb = new ProcessBuilder(APACHE.toString(), "-f", conf.toString(), "-DFOREGROUND")
                    .redirectErrorStream(true).redirectOutput(console.toFile());
            Process p = sandbox.start(pb);
            InetSocketAddress probe = at.getAddress().isAnyLocalAddress()
                    ? new InetSocketAddress(InetAddress.getLoopbackAddress(), at.getPort()) : at;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
            while (System.nanoTime() < deadline) {
                if (!p.isAlive()) {
                    return new Started(false, errorLines(console, p.exitValue()));
                }
                // Up once httpd logged that it bound and runs (AH00489), not merely once the port
                // answers: in the collision step, the port answers for the first server.
                if (resumed(dir.resolve("error.log")) && sandbox.call(() -> accepts(probe))) {
                    return new Started(true, "httpd pid " + p.pid());
                }
                Thread.sleep(50);
            }
            throw new IllegalStateException("httpd did not start within 15 s; see " + console);
        }

        private static String config(Path dir, Path docs, InetSocketAddress at, String who) {
            String user = userExists("www-data") ? "www-data" : "nobody";
            String group = userExists("www-data") ? "www-data" : "nogroup";
            return String.join("\n",
                    "# generated by the netns demo for '" + who + "'; nothing outside " + dir + " is used",
                    "ServerRoot \"" + dir + "\"",
                    "ServerName " + who.replaceAll("[^A-Za-z0-9.-]", "-"),
                    listen(at),
                    "LoadModule mpm_event_module " + APACHE_MODULES.resolve("mod_mpm_event.so"),
                    "LoadModule authz_core_module " + APACHE_MODULES.resolve("mod_authz_core.so"),
                    "LoadModule dir_module " + APACHE_MODULES.resolve("mod_dir.so"),
                    "User " + user,
                    "Group " + group,
                    "PidFile \"" + dir.resolve("httpd.pid") + "\"",
                    "DefaultRuntimeDir \"" + dir + "\"",
                    "ErrorLog \"" + dir.resolve("error.log") + "\"",
                    "DocumentRoot \"" + docs + "\"",
                    "DirectoryIndex index.html",
                    "<Directory \"" + docs + "\">",
                    "  Require all granted",
                    "</Directory>",
                    "");
        }

        private static boolean resumed(Path log) throws IOException {
            return Files.exists(log) && Files.readString(log, StandardCharsets.UTF_8).contains("resuming normal operations");
        }

        private static boolean userExists(String name) {
            try {
                return Files.readAllLines(Path.of("/etc/passwd")).stream().anyMatch(l -> l.startsWith(name + ":"));
            } catch (IOException e) {
                return false;
            }
        }

        private static String errorLines(Path console, int exit) throws IOException {
            List<String> lines = new ArrayList<>();
            for (String l : Files.readAllLines(console, StandardCharsets.UTF_8)) {
                if (l.contains("AH00072") || l.contains("no listening sockets")) {
                    lines.add(l);
                }
            }
            if (lines.isEmpty()) {
                lines.addAll(Files.readAllLines(console, StandardCharsets.UTF_8));
            }
            lines.add("httpd exited with status " + exit);
            return String.join("\n", lines);
        }

        private static void readable(Path p) throws IOException {
            // httpd drops to its User after binding, so its ServerRoot must be world-readable.
            Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
        }

        @Override
        void stopAll() {
            // The processes stop with their sandboxes.
        }

        @Override
        public void close() {
            try (Stream<Path> all = Files.walk(root)) {
                all.sorted(Comparator.reverseOrder()).forEach(p -> {
                    try {
                        Files.deleteIfExists(p);
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                });
            } catch (IOException | UncheckedIOException e) {
                System.err.println("cleanup: cannot remove " + root + ": " + e.getMessage());
            }
        }
    }

    static boolean accepts(InetSocketAddress at) {
        try (Socket s = new Socket()) {
            s.connect(at, 200);
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
