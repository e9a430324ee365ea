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
 */
class Iptables {
    /** The Debian package that ships the tools. */
    static final String PACKAGE = "iptables";
    private static final long TIMEOUT_SECONDS = 60;
    private static final Pattern VERSION = Pattern.compile("v(\\d+)\\.(\\d+)\\.(\\d+)");
    private static final Pattern FAILED_LINE = Pattern.compile("line (\\d+) failed");

    /** The installed tools, resolved and probed once per JVM. */
    static final Iptables SYSTEM = system();

    private final List<Path> dirs;
    private final Map<String, Path> resolved = new ConcurrentHashMap<>();
    private final Map<Family, List<String>> waitOption = new ConcurrentHashMap<>();
    private final Map<Family, Boolean> nfTables = new ConcurrentHashMap<>();
    /** (namespace dev:ino, family) to its restore session; see {@link RestoreSession}. */
    private final Map<String, RestoreSession> sessions = new ConcurrentHashMap<>();

    /**
     * Whether transactions go through long-lived {@link RestoreSession}s where the backend is nf_tables;
     * {@code -Dio.netns.iptables.sessions=false} runs one {@code iptables-restore} per transaction instead.
     */
    static final boolean SESSIONS = !"false".equals(System.getProperty("io.netns.iptables.sessions"));

    Iptables(List<Path> dirs) {
        this.dirs = List.copyOf(dirs);
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
        Result r4 = finish(Family.IPV4.save(), p4, null, false);
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
        if (SESSIONS && nfTables(family)) {
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
            RestoreSession s = sessions.get(key);
            if (s == null || !s.isOpen()) {
                List<String> argv = new ArrayList<>();
                argv.add(tool(family.restore()).toString());
                argv.add("--noflush");
                argv.add("--verbose");
                argv.addAll(waitOption(family));
                Process p = start(ns, family.restore(), argv, true);
                s = new RestoreSession(family.restore() + " --noflush in " + ns, p, sessions, key);
                sessions.put(key, s);
            }
            RestoreSession.Outcome o = s.apply(input);
            if (o == RestoreSession.Outcome.STALE && attempt == 0) {
                continue; // it ended (idle) between the lookup and the write: nothing was applied; start another
            }
            if (o != RestoreSession.Outcome.APPLIED) {
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

    private static Result finish(String name, Process p, String input, boolean merged) throws NetnsException {
        try {
            StreamReader err = merged ? null : new StreamReader(p.getErrorStream());
            if (err != null) {
                err.start();
            }
            try (OutputStream in = p.getOutputStream()) {
                if (input != null) {
                    in.write(input.getBytes(StandardCharsets.UTF_8));
                }
            } catch (IOException broken) {
                // the tool stopped reading; its exit code and message say why
            }
            String out;
            try (InputStream o = p.getInputStream()) {
                out = new String(o.readAllBytes(), StandardCharsets.UTF_8);
            }
            if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw NetnsException.failure(name, name + " did not finish within " + TIMEOUT_SECONDS + " s; killed it");
            }
            if (err != null) {
                err.join(TimeUnit.SECONDS.toMillis(5));
            }
            return new Result(p.exitValue(), out, err == null ? "" : err.text());
        } catch (IOException e) {
            p.destroyForcibly();
            throw NetnsException.wrap(name, e);
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw NetnsException.failure(name, name + " was interrupted; killed it");
        }
    }

    /** Drains a stream on a daemon thread, so neither pipe can fill up and stall the tool. */
    private static final class StreamReader extends Thread {
        private final InputStream in;
        private volatile String text = "";

        StreamReader(InputStream in) {
            super("netns-iptables-stderr");
            setDaemon(true);
            this.in = in;
        }

        @Override
        public void run() {
            try (in) {
                text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                text = "(stderr unreadable: " + e.getMessage() + ")";
            }
        }

        String text() {
            return text;
        }
    }
}
