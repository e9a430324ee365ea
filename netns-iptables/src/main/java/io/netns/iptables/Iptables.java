package io.netns.iptables;

import io.netns.NetNamespace;
import io.netns.NetnsException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Internal use only: runs {@code iptables-save} and {@code iptables-restore} (and the ip6tables ones)
 * inside a namespace. Each child is started from the calling thread switched into the namespace, so it
 * is born there; the thread switches back at once and waits for it from outside. Argument lists only,
 * never a shell.
 *
 * <p>Every run has a time limit ({@link #TIMEOUT_PROPERTY}, default {@value #DEFAULT_TIMEOUT_SECONDS} s):
 * its input is written and its output read on threads of their own, so no pipe can stall the caller; on
 * expiry the child and its descendants are killed and the failure quotes what the child printed.
 */
class Iptables {
    /** The Debian package that ships the tools. */
    static final String PACKAGE = "iptables";
    /** The system property with the time limit of one run, in seconds. */
    static final String TIMEOUT_PROPERTY = "io.netns.iptables.timeout";
    /** The default time limit of one run, in seconds. */
    static final long DEFAULT_TIMEOUT_SECONDS = 30;
    private static final Pattern VERSION = Pattern.compile("v(\\d+)\\.(\\d+)\\.(\\d+)");
    private static final Pattern FAILED_LINE = Pattern.compile("line (\\d+) failed");

    /** The installed tools, resolved and probed once per JVM. */
    static final Iptables SYSTEM = system();

    private final List<Path> dirs;
    private final long timeoutNanos;
    private final boolean sessions;
    private final Map<String, Path> resolved = new ConcurrentHashMap<>();
    private final Map<Family, List<String>> waitOption = new ConcurrentHashMap<>();
    private final Map<Family, Boolean> nfTables = new ConcurrentHashMap<>();
    /** (namespace dev:ino, family) to its restore session; see {@link RestoreSession}. */
    private final Map<String, RestoreSession> sessionsByKey = new ConcurrentHashMap<>();

    /**
     * Whether transactions go through long-lived {@link RestoreSession}s where the backend is nf_tables;
     * {@code -Dio.netns.iptables.sessions=false} runs one {@code iptables-restore} per transaction instead.
     */
    static final boolean SESSIONS = !"false".equals(System.getProperty("io.netns.iptables.sessions"));

    Iptables(List<Path> dirs) {
        this(dirs, configuredTimeout(), SESSIONS);
    }

    /**
     * @param dirs where the tools are looked up, in order
     * @param timeout the time limit of one run (and of one transaction of a session)
     * @param sessions whether transactions may go through long-lived sessions (nf_tables backend)
     */
    Iptables(List<Path> dirs, java.time.Duration timeout, boolean sessions) {
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("timeout must be positive: " + timeout);
        }
        this.dirs = List.copyOf(dirs);
        this.timeoutNanos = timeout.toNanos();
        this.sessions = sessions;
    }

    /** @return {@value #TIMEOUT_PROPERTY} in seconds, default {@value #DEFAULT_TIMEOUT_SECONDS} */
    static java.time.Duration configuredTimeout() {
        String v = System.getProperty(TIMEOUT_PROPERTY);
        if (v == null || v.isBlank()) {
            return java.time.Duration.ofSeconds(DEFAULT_TIMEOUT_SECONDS);
        }
        try {
            long s = Long.parseLong(v.strip());
            if (s > 0) {
                return java.time.Duration.ofSeconds(s);
            }
        } catch (NumberFormatException e) {
            // below
        }
        throw new IllegalArgumentException(TIMEOUT_PROPERTY + " must be a positive number of seconds: \"" + v + "\"");
    }

    /** @return the time limit of one run, for messages: {@code 30 s} */
    String timeoutText() {
        long ms = TimeUnit.NANOSECONDS.toMillis(timeoutNanos);
        return ms % 1000 == 0 ? ms / 1000 + " s" : ms + " ms";
    }

    /** @return tools looked up in the sbin directories, then in {@code PATH} */
    static Iptables system() {
        Set<Path> dirs = new LinkedHashSet<>(List.of(Path.of("/usr/sbin"), Path.of("/sbin"), Path.of("/usr/local/sbin")));
        String path = System.getenv("PATH");
        if (path != null) {
            for (String p : path.split(":")) {
                if (!p.isEmpty()) {
                    dirs.add(Path.of(p));
                }
            }
        }
        return new Iptables(new ArrayList<>(dirs));
    }

    /** The outcome of one run. */
    record Result(int exit, String out, String err) {
    }

    /**
     * Runs {@code iptables-save} in the namespace.
     *
     * @param ns the namespace
     * @param family which tool
     * @return its output
     * @throws NetnsException if the tool is missing or fails
     */
    String save(NetNamespace ns, Family family) throws NetnsException {
        Process p = start(ns, family.save(), List.of(tool(family.save()).toString()), false);
        Result r = finish(family.save(), p, null, false);
        if (r.exit != 0) {
            throw NetnsException.failure(family.save(), family.save() + " in " + ns + " exited with " + r.exit + ": "
                    + r.err.strip());
        }
        return r.out;
    }

    /**
     * Runs both saves at once, to halve the wait.
     *
     * @param ns the namespace
     * @return the IPv4 and the IPv6 output, in that order
     * @throws NetnsException if a tool is missing or fails
     */
    String[] saveBoth(NetNamespace ns) throws NetnsException {
        Process p4 = start(ns, Family.IPV4.save(), List.of(tool(Family.IPV4.save()).toString()), false);
        Process p6;
        try {
            p6 = start(ns, Family.IPV6.save(), List.of(tool(Family.IPV6.save()).toString()), false);
        } catch (NetnsException e) {
            p4.destroyForcibly();
            throw e;
        }
        Result r4;
        try {
            r4 = finish(Family.IPV4.save(), p4, null, false);
        } catch (NetnsException e) {
            kill(p6);
            throw e;
        }
        Result r6 = finish(Family.IPV6.save(), p6, null, false);
        if (r4.exit != 0) {
            throw NetnsException.failure(Family.IPV4.save(), "iptables-save in " + ns + " exited with " + r4.exit + ": " + r4.err.strip());
        }
        if (r6.exit != 0 && ipv6Enabled(ns)) {
            throw NetnsException.failure(Family.IPV6.save(), "ip6tables-save in " + ns + " exited with " + r6.exit + ": " + r6.err.strip());
        }
        return new String[] {r4.out, r6.exit == 0 ? r6.out : ""};
    }

    /** @return false when the kernel has no IPv6 (booted with ipv6.disable=1): no ip6tables rules can exist */
    private static boolean ipv6Enabled(NetNamespace ns) throws NetnsException {
        return ns.call(() -> Files.exists(Path.of("/proc/thread-self/net/if_inet6")));
    }

    /**
     * Applies one transaction with {@code iptables-restore --noflush --wait}, the input on stdin.
     *
     * @param ns the namespace
     * @param family which tool
     * @param input the restore input
     * @throws NetnsException if the tool is missing or refuses the input; the message quotes the
     *     refused line
     */
    void restore(NetNamespace ns, Family family, String input) throws NetnsException {
        if (sessions && nfTables(family)) {
            restoreInSession(ns, family, input);
            return;
        }
        List<String> argv = new ArrayList<>();
        argv.add(tool(family.restore()).toString());
        argv.add("--noflush");
        argv.addAll(waitOption(family));
        Process p = start(ns, family.restore(), argv, true);
        Result r = finish(family.restore(), p, input, true);
        if (r.exit != 0) {
            throw restoreFailure(ns, family, input, r.exit, r.out.strip() + (r.err.isBlank() ? "" : " " + r.err.strip()));
        }
    }

    /** {@code --wait} where the installed version has it (iptables-restore 1.6.2 and later). */
    private List<String> waitOption(Family family) throws NetnsException {
        List<String> w = waitOption.get(family);
        if (w != null) {
            return w;
        }
        probe(family);
        return waitOption.get(family);
    }

    /** Whether the installed restore tool is the nf_tables one (its --version says so). */
    private boolean nfTables(Family family) throws NetnsException {
        Boolean nft = nfTables.get(family);
        if (nft == null) {
            probe(family);
            nft = nfTables.get(family);
        }
        return nft;
    }

    /** Runs {@code --version} once per family: the version decides {@code --wait}, the backend the sessions. */
    private void probe(Family family) throws NetnsException {
        Process p;
        try {
            p = new ProcessBuilder(tool(family.restore()).toString(), "--version").redirectErrorStream(true).start();
        } catch (IOException e) {
            throw missingOr(family.restore(), e);
        }
        Result r = finish(family.restore(), p, null, true);
        Matcher m = VERSION.matcher(r.out);
        boolean has = false;
        if (m.find()) {
            int v = Integer.parseInt(m.group(1)) * 10000 + Integer.parseInt(m.group(2)) * 100 + Integer.parseInt(m.group(3));
            has = v >= 10602;
        }
        nfTables.put(family, r.out.contains("nf_tables"));
        waitOption.put(family, has ? List.of("--wait", "10") : List.of());
    }

    /**
     * Applies a transaction through the session of the namespace, starting one when there is none or the
     * last one ended; the failure message has the same shape as a run of its own.
     */
    private void restoreInSession(NetNamespace ns, Family family, String input) throws NetnsException {
        String key = ns.device() + ":" + ns.inode() + ":" + family;
        for (int attempt = 0; ; attempt++) {
            RestoreSession s = sessionsByKey.get(key);
            if (s == null || !s.isOpen()) {
                List<String> argv = new ArrayList<>();
                argv.add(tool(family.restore()).toString());
                argv.add("--noflush");
                argv.add("--verbose");
                argv.addAll(waitOption(family));
                Process p = start(ns, family.restore(), argv, true);
                s = new RestoreSession(family.restore() + " --noflush in " + ns, p, sessionsByKey, key, timeoutNanos,
                        timeoutText());
                sessionsByKey.put(key, s);
            }
            RestoreSession.Outcome o = s.apply(input);
            if (o == RestoreSession.Outcome.STALE && attempt == 0) {
                continue; // it ended (idle) between the lookup and the write: nothing was applied; start another
            }
            if (o != RestoreSession.Outcome.APPLIED) {
                if (s.failureText().startsWith(family.restore() + " --noflush in ")) {
                    throw NetnsException.failure(family.restore(), s.failureText()); // a message of its own already
                }
                throw restoreFailure(ns, family, input, s.exitCode(), s.failureText());
            }
            return;
        }
    }

    /** The failure of a restore, quoting the refused line of the input when the tool names one. */
    private static NetnsException restoreFailure(NetNamespace ns, Family family, String input, int exit, String detail) {
        Matcher m = FAILED_LINE.matcher(detail);
        if (m.find()) {
            String[] lines = input.split("\n");
            int n = Integer.parseInt(m.group(1));
            if (n >= 1 && n <= lines.length) {
                detail += " (line " + n + ": " + lines[n - 1] + ")";
            }
        }
        return NetnsException.failure(family.restore(), family.restore() + " --noflush in " + ns + " exited with "
                + exit + ": " + detail.strip());
    }

    Path tool(String name) throws NetnsException {
        Path p = resolved.get(name);
        if (p != null) {
            return p;
        }
        for (Path d : dirs) {
            Path c = d.resolve(name);
            if (Files.isExecutable(c)) {
                resolved.put(name, c);
                return c;
            }
        }
        throw missing(name);
    }

    private NetnsException missing(String name) {
        return NetnsException.failure(name, name + " is not installed (looked in " + dirs + "): bridge publishing and "
                + "host-mode openings need it; install the Debian package " + PACKAGE + " (apt-get install " + PACKAGE
                + ")");
    }

    private NetnsException missingOr(String name, IOException e) {
        String msg = String.valueOf(e.getMessage());
        if (msg.contains("error=2,") || msg.contains("No such file")) {
            resolved.remove(name);
            NetnsException x = missing(name);
            x.initCause(e);
            return x;
        }
        return NetnsException.wrap("start " + name, e);
    }

    private Process start(NetNamespace ns, String name, List<String> argv, boolean mergeErr) throws NetnsException {
        ProcessBuilder pb = new ProcessBuilder(argv);
        pb.environment().put("LC_ALL", "C");
        pb.redirectErrorStream(mergeErr);
        try {
            return ns.call(pb::start);
        } catch (NetnsException e) {
            throw e;
        } catch (IOException e) {
            throw missingOr(name, e);
        }
    }

    /**
     * Feeds the input, reads the output and waits, all within the time limit: on expiry the child and its
     * descendants are killed and the failure quotes what it printed.
     */
    private Result finish(String name, Process p, String input, boolean merged) throws NetnsException {
        long deadline = System.nanoTime() + timeoutNanos;
        StreamReader out = new StreamReader(p.getInputStream(), "stdout");
        StreamReader err = merged ? null : new StreamReader(p.getErrorStream(), "stderr");
        out.start();
        if (err != null) {
            err.start();
        }
        Thread writer = new Thread(() -> {
            try (OutputStream in = p.getOutputStream()) {
                if (input != null) {
                    in.write(input.getBytes(StandardCharsets.UTF_8));
                }
            } catch (IOException broken) {
                // the tool stopped reading (or was killed); its exit code and message say why
            }
        }, "netns-iptables-stdin");
        writer.setDaemon(true);
        writer.start();
        try {
            if (!p.waitFor(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
                kill(p);
                out.join(1000);
                if (err != null) {
                    err.join(1000);
                }
                String printed = (out.text() + (err == null ? "" : " " + err.text())).strip();
                throw NetnsException.failure(name, name + " did not finish within " + timeoutText() + " ("
                        + TIMEOUT_PROPERTY + "); killed it" + (printed.isEmpty() ? ", it printed nothing"
                        : "; it printed: " + printed));
            }
            // a descendant that kept a pipe open must not hold us either
            out.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
            if (err != null) {
                err.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
            }
            return new Result(p.exitValue(), out.text(), err == null ? "" : err.text());
        } catch (InterruptedException e) {
            kill(p);
            Thread.currentThread().interrupt();
            throw NetnsException.failure(name, name + " was interrupted; killed it");
        }
    }

    /** Kills a child and everything it started (a script's {@code sleep} would keep our pipes open). */
    static void kill(Process p) {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
        try {
            p.waitFor(1, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Drains a stream on a daemon thread, so neither pipe can fill up and stall the tool; what it read so
     * far is readable at any time (for the message of a child killed on expiry).
     */
    private static final class StreamReader extends Thread {
        private final InputStream in;
        private final java.io.ByteArrayOutputStream read = new java.io.ByteArrayOutputStream();

        StreamReader(InputStream in, String what) {
            super("netns-iptables-" + what);
            setDaemon(true);
            this.in = in;
        }

        @Override
        public void run() {
            byte[] buf = new byte[8192];
            try (in) {
                for (int n; (n = in.read(buf)) >= 0; ) {
                    synchronized (read) {
                        read.write(buf, 0, n);
                    }
                }
            } catch (IOException e) {
                synchronized (read) {
                    read.writeBytes(("(unreadable: " + e.getMessage() + ")").getBytes(StandardCharsets.UTF_8));
                }
            }
        }

        String text() {
            synchronized (read) {
                return read.toString(StandardCharsets.UTF_8);
            }
        }
    }
}
