package io.netns.internal.cni;

import io.netns.CniException;
import io.netns.NetnsException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;

/**
 * Internal use only: runs the plugins of a {@link CniConfig} (CNI spec sections 2 and 3) the way libcni
 * does. Each run is a child process of the plugin's executable (no shell), started by the
 * {@link Launcher} (the caller's: from a thread switched into the host's namespace), with the spec's
 * environment on top of the JVM's (libcni passes its own process environment too; inherited
 * {@code CNI_*} variables are dropped), the request on standard input, and a time limit after which the
 * plugin and what it started are killed.
 *
 * <p>ADD runs in order with {@code prevResult} chaining, and after a failure runs DEL of the whole list
 * (the spec: "a delete must still be executed even if the add fails"); DEL runs in reverse order with the
 * cached result ({@code prevResult} from spec 0.4.0), CHECK in order (from 0.4.0), STATUS and GC from 1.1.0,
 * as libcni skips them for older versions. A plugin's error result becomes a {@link CniException}.
 */
public final class CniRuntime {
    /** Starts a plugin's process where plugins must run (the host's namespace). */
    @FunctionalInterface
    public interface Launcher {
        /**
         * @param builder the plugin's process, ready to start
         * @return the started process
         * @throws NetnsException if it cannot be started
         */
        Process start(ProcessBuilder builder) throws NetnsException;
    }

    /**
     * The parameters of one attachment (spec section 3): {@code (containerId, ifName)} identifies it.
     *
     * @param containerId {@code CNI_CONTAINERID}
     * @param netns {@code CNI_NETNS}, the namespace's path
     * @param ifName {@code CNI_IFNAME}
     * @param args {@code CNI_ARGS} pairs, in order
     * @param capabilityArgs the runtime's capability arguments
     */
    public record Attachment(String containerId, String netns, String ifName, Map<String, String> args,
            Map<String, Object> capabilityArgs) {
        /** @return {@code CNI_ARGS}: {@code K1=V1;K2=V2} */
        public String argsText() {
            return args.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).collect(Collectors.joining(";"));
        }
    }

    /** Standard error kept of one run, for messages. */
    private static final int STDERR_LIMIT = 16 * 1024;
    /** Plugins answer VERSION the same as long as their file is the same: asked once per file. */
    private static final Map<String, List<String>> VERSIONS = new ConcurrentHashMap<>();
    /** Threads that copy the plugins' pipes: born in the initial namespace, whoever first needs one. */
    private static final ExecutorService PUMPS = new ThreadPoolExecutor(0, Integer.MAX_VALUE, 30, TimeUnit.SECONDS,
            new SynchronousQueue<>(), io.netns.Netns.homeThreads("netns-cni-pipe"));

    private final List<Path> pluginDirs;
    private final Duration timeout;
    private final Launcher launcher;

    /**
     * @param pluginDirs where plugins are looked up, in order; also {@code CNI_PATH}
     * @param timeout the limit of one run
     * @param launcher starts the processes
     */
    public CniRuntime(List<Path> pluginDirs, Duration timeout, Launcher launcher) {
        this.pluginDirs = List.copyOf(pluginDirs);
        this.timeout = timeout;
        this.launcher = launcher;
    }

    /** @return {@code CNI_PATH}: the plugin directories joined with ':' */
    public String cniPath() {
        return pluginDirs.stream().map(Path::toString).collect(Collectors.joining(":"));
    }

    /**
     * @param type a plugin's {@code type}
     * @param network the network, for the message
     * @return its executable: the first regular, executable file of that name in the plugin directories
     * @throws NetnsException naming the directories when there is none
     */
    public Path find(String type, String network) throws NetnsException {
        for (Path d : pluginDirs) {
            Path f = d.resolve(type);
            if (Files.isRegularFile(f) && Files.isExecutable(f)) {
                return f;
            }
        }
        throw NetnsException.failure("cni find", "CNI plugin " + type + " of network " + network
                + " not found: no executable file " + type + " in " + cniPath()
                + " (set the directories with NetworkMode.cni(...).pluginDirs(...))");
    }

    /**
     * Chooses the version to run a configuration at: the best of its {@linkplain CniConfig#candidateVersions()
     * candidates} that every plugin supports (VERSION, asked once per plugin file). Finds every plugin first,
     * so a missing one fails before anything runs.
     *
     * @param config the configuration
     * @return the version
     * @throws NetnsException if a plugin is missing, or no candidate is supported by every plugin
     */
    public String negotiate(CniConfig config) throws NetnsException {
        List<String> candidates = config.candidateVersions();
        List<Path> plugins = new ArrayList<>();
        for (int i = 0; i < config.size(); i++) {
            plugins.add(find(config.type(i), config.name()));
        }
        List<List<String>> supported = new ArrayList<>();
        for (int i = 0; i < config.size(); i++) {
            supported.add(versions(config, i, plugins.get(i), candidates.get(0)));
        }
        for (String v : candidates) {
            if (supported.stream().allMatch(s -> s.contains(v))) {
                return v;
            }
        }
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < config.size(); i++) {
            b.append(i == 0 ? "" : "; ").append(config.type(i)).append(" supports ").append(String.join(", ", supported.get(i)));
        }
        throw NetnsException.failure("cni version", "CNI network " + config.name() + " (" + config.source()
                + ") asks for version " + String.join(" or ", candidates) + ", which not every plugin supports: " + b);
    }

    private List<String> versions(CniConfig config, int index, Path plugin, String asked) throws NetnsException {
        String key;
        try {
            BasicFileAttributes a = Files.readAttributes(plugin, BasicFileAttributes.class);
            key = plugin.toRealPath() + "|" + a.fileKey() + "|" + a.size() + "|" + a.lastModifiedTime().toMillis();
        } catch (IOException e) {
            throw NetnsException.wrap("stat CNI plugin " + plugin, e);
        }
        List<String> known = VERSIONS.get(key);
        if (known != null) {
            return known;
        }
        Map<String, Object> in = new LinkedHashMap<>();
        in.put("cniVersion", asked);
        List<String> out;
        try {
            byte[] stdout = exec(config, index, plugin, "VERSION", env("VERSION", null), Json.writeBytes(in));
            Map<String, Object> r = Json.parseObject(stdout);
            Object sv = r.get("supportedVersions");
            if (!(sv instanceof List)) {
                throw CniException.of(config.type(index), config.name(), "VERSION", CniException.DECODING_FAILURE,
                        "the VERSION result has no supportedVersions list", new String(stdout, java.nio.charset.StandardCharsets.UTF_8));
            }
            out = new ArrayList<>();
            for (Object o : (List<?>) sv) {
                out.add(String.valueOf(o));
            }
        } catch (Json.ParseException e) {
            throw CniException.of(config.type(index), config.name(), "VERSION", CniException.DECODING_FAILURE,
                    "the VERSION result is not JSON", e.getMessage());
        } catch (CniException e) {
            if (e.code() != CniException.INVALID_ENVIRONMENT) {
                throw e;
            }
            out = List.of("0.1.0"); // a plugin older than VERSION (spec 0.2.0) refuses the command: libcni's rule
        }
        out = List.copyOf(out);
        VERSIONS.put(key, out);
        return out;
    }

    /**
     * ADD: every plugin in order, each given the previous result. After a failure, DEL of the whole list
     * in reverse, with the last result, and the ADD's failure is thrown (DEL's suppressed on it).
     *
     * @param config the configuration
     * @param version the version chosen
     * @param a the attachment
     * @return the final result
     * @throws NetnsException the first failure
     */
    @SuppressWarnings("unchecked")
    public Map<String, Object> add(CniConfig config, String version, Attachment a) throws NetnsException {
        Map<String, Object> result = null;
        for (int i = 0; i < config.size(); i++) {
            try {
                byte[] out = run(config, i, "ADD", a, config.request(i, version, a.capabilityArgs(), result, Map.of()));
                try {
                    result = Json.parseObject(out);
                } catch (Json.ParseException e) {
                    throw CniException.of(config.type(i), config.name(), "ADD", CniException.DECODING_FAILURE,
                            "its result is not a JSON object", e.getMessage());
                }
            } catch (NetnsException | RuntimeException e) {
                try {
                    del(config, version, a, result);
                } catch (NetnsException | RuntimeException d) {
                    e.addSuppressed(d);
                }
                throw e;
            }
        }
        return result;
    }

    /**
     * DEL: every plugin in reverse order, each given the ADD's final result (from spec 0.4.0); halts at the
     * first failure, as the spec says.
     *
     * @param config the configuration
     * @param version the version ADD ran at
     * @param a the attachment
     * @param cachedResult the ADD's final result, or null
     * @throws NetnsException the failure
     */
    public void del(CniConfig config, String version, Attachment a, Map<String, Object> cachedResult)
            throws NetnsException {
        Object prev = Version.atLeast(version, "0.4.0") ? cachedResult : null;
        for (int i = config.size() - 1; i >= 0; i--) {
            run(config, i, "DEL", a, config.request(i, version, a.capabilityArgs(), prev, Map.of()));
        }
    }

    /**
     * CHECK: every plugin in order with the cached result, from spec 0.4.0 and unless {@code disableCheck}.
     *
     * @param config the configuration
     * @param version the version ADD ran at
     * @param a the attachment
     * @param cachedResult the ADD's final result
     * @return true when CHECK ran, false when this version or the configuration rules it out
     * @throws NetnsException the first plugin's failure
     */
    public boolean check(CniConfig config, String version, Attachment a, Map<String, Object> cachedResult)
            throws NetnsException {
        if (!Version.atLeast(version, "0.4.0") || config.disableCheck()) {
            return false;
        }
        for (int i = 0; i < config.size(); i++) {
            run(config, i, "CHECK", a, config.request(i, version, a.capabilityArgs(), cachedResult, Map.of()));
        }
        return true;
    }

    /**
     * STATUS: every plugin in order, from spec 1.1.0; halts at the first failure.
     *
     * @param config the configuration
     * @param version the version chosen
     * @return true when STATUS ran, false when the version is older
     * @throws NetnsException the failure (codes 50, 51: not available)
     */
    public boolean status(CniConfig config, String version) throws NetnsException {
        if (!Version.atLeast(version, "1.1.0")) {
            return false;
        }
        for (int i = 0; i < config.size(); i++) {
            Path plugin = find(config.type(i), config.name());
            exec(config, i, plugin, "STATUS", env("STATUS", null), config.request(i, version, null, null, Map.of()));
        }
        return true;
    }

    /**
     * GC: every plugin, from spec 1.1.0 and unless {@code disableGC}, told the attachments still valid;
     * continues after a failure and throws them all at the end.
     *
     * @param config the configuration
     * @param version the version
     * @param valid the valid attachments: {@code [containerId, ifName]} pairs
     * @return true when GC ran
     * @throws NetnsException the first failure, the others suppressed on it
     */
    public boolean gc(CniConfig config, String version, List<String[]> valid) throws NetnsException {
        if (!Version.atLeast(version, "1.1.0") || config.disableGC()) {
            return false;
        }
        List<Object> list = new ArrayList<>();
        for (String[] v : valid) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("containerID", v[0]);
            m.put("ifname", v[1]);
            list.add(m);
        }
        Map<String, Object> extra = new LinkedHashMap<>();
        extra.put("cni.dev/valid-attachments", list);
        extra.put("cni.dev/attachments", list); // libcni sends both: the spec once used the second name
        NetnsException first = null;
        for (int i = 0; i < config.size(); i++) {
            try {
                Path plugin = find(config.type(i), config.name());
                exec(config, i, plugin, "GC", env("GC", null), config.request(i, version, null, null, extra));
            } catch (NetnsException e) {
                if (first == null) {
                    first = e;
                } else {
                    first.addSuppressed(e);
                }
            }
        }
        if (first != null) {
            throw first;
        }
        return true;
    }

    private byte[] run(CniConfig config, int index, String verb, Attachment a, byte[] stdin) throws NetnsException {
        Path plugin = find(config.type(index), config.name());
        return exec(config, index, plugin, verb, env(verb, a), stdin);
    }

    /**
     * The spec's environment of one run.
     *
     * @param verb {@code CNI_COMMAND}
     * @param a the attachment, or null for VERSION, STATUS and GC
     * @return the variables
     */
    public Map<String, String> env(String verb, Attachment a) {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("CNI_COMMAND", verb);
        if (a != null) {
            env.put("CNI_CONTAINERID", a.containerId());
            env.put("CNI_NETNS", a.netns());
            env.put("CNI_IFNAME", a.ifName());
            env.put("CNI_ARGS", a.argsText());
        }
        env.put("CNI_PATH", cniPath());
        return env;
    }

    private byte[] exec(CniConfig config, int index, Path plugin, String verb, Map<String, String> cniEnv, byte[] stdin)
            throws NetnsException {
        String type = config.type(index);
        ProcessBuilder pb = new ProcessBuilder(plugin.toString());
        Map<String, String> env = pb.environment();
        env.keySet().removeIf(k -> k.startsWith("CNI_"));
        env.putAll(cniEnv);
        Process p = launcher.start(pb);
        Future<byte[]> out = PUMPS.submit(() -> p.getInputStream().readAllBytes());
        Future<byte[]> err = PUMPS.submit(() -> readLimited(p.getErrorStream()));
        Future<?> in = PUMPS.submit(() -> {
            try (OutputStream o = p.getOutputStream()) {
                o.write(stdin);
            } catch (IOException gone) {
                // the plugin exited without reading all of it: its exit status and output say why
            }
            return null;
        });
        long limit = timeout.toNanos();
        try {
            if (!p.waitFor(limit, TimeUnit.NANOSECONDS)) {
                kill(p);
                throw CniException.of(type, config.name(), verb, 0, "did not finish within " + describe(timeout)
                        + " and was killed (" + plugin + ")", stderrTail(err));
            }
            byte[] stdout = get(out, "standard output", type, config.name(), verb);
            get(in, "standard input", type, config.name(), verb);
            int rc = p.exitValue();
            if (rc == 0) {
                return stdout;
            }
            throw failure(type, config.name(), verb, rc, stdout, stderrTail(err));
        } catch (InterruptedException e) {
            kill(p);
            Thread.currentThread().interrupt();
            throw CniException.of(type, config.name(), verb, 0, "interrupted while the plugin ran; it was killed", "");
        }
    }

    private static CniException failure(String type, String network, String verb, int rc, byte[] stdout, String stderr) {
        String text = new String(stdout, java.nio.charset.StandardCharsets.UTF_8).strip();
        if (!text.isEmpty()) {
            try {
                Map<String, Object> e = Json.parseObject(stdout);
                Object code = e.get("code");
                Object msg = e.get("msg");
                Object details = e.get("details");
                int c = code instanceof Long ? (int) Math.max(Math.min((Long) code, Integer.MAX_VALUE), 0) : 0;
                return CniException.of(type, network, verb, c, msg == null ? "(no msg)" : String.valueOf(msg),
                        details == null ? "" : String.valueOf(details));
            } catch (Json.ParseException notJson) {
                return CniException.of(type, network, verb, 0, "exited with status " + rc
                        + " and an error result that is not JSON: " + abbreviate(text), stderr);
            }
        }
        return CniException.of(type, network, verb, 0, "exited with status " + rc + " and no error result"
                + (stderr.isEmpty() ? "" : "; it wrote to stderr"), stderr);
    }

    private static byte[] get(Future<?> f, String what, String type, String network, String verb)
            throws NetnsException, InterruptedException {
        try {
            Object v = f.get(5, TimeUnit.SECONDS); // the plugin has exited: only a child it left could hold the pipe
            return v instanceof byte[] ? (byte[]) v : null;
        } catch (ExecutionException e) {
            throw CniException.of(type, network, verb, CniException.IO_FAILURE, "reading its " + what + " failed",
                    String.valueOf(e.getCause()));
        } catch (TimeoutException e) {
            f.cancel(true);
            throw CniException.of(type, network, verb, CniException.IO_FAILURE, "its " + what
                    + " stayed open after it exited (a process it left holds it)", "");
        }
    }

    private static String stderrTail(Future<byte[]> err) {
        try {
            byte[] b = err.get(2, TimeUnit.SECONDS);
            return abbreviate(new String(b, java.nio.charset.StandardCharsets.UTF_8).strip());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "";
        } catch (ExecutionException | TimeoutException e) {
            err.cancel(true);
            return "";
        }
    }

    private static String abbreviate(String s) {
        return s.length() <= 2000 ? s : s.substring(0, 2000) + "...";
    }

    private static void kill(Process p) {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
        try {
            p.waitFor(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static byte[] readLimited(InputStream in) throws IOException {
        java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream();
        byte[] buf = new byte[4096];
        int n;
        while ((n = in.read(buf)) >= 0) {
            if (b.size() < STDERR_LIMIT) {
                b.write(buf, 0, Math.min(n, STDERR_LIMIT - b.size()));
            }
        }
        return b.toByteArray();
    }

    private static String describe(Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : d.toMillis() + " ms";
    }
}
