package io.netns.internal.cni;

import io.netns.NetnsException;
import io.netns.internal.StateDir;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Internal use only: the cached attachments of CNI sandboxes, one file per attachment under
 * {@code /run/netns.d/cni/results/<network>-<containerId>-<ifName>}, in libcni's layout and format
 * ({@code kind: cniCacheV1}, the configuration as base64, the runtime parameters, the final result), plus
 * what netns needs to run DEL from another JVM ({@code netns.io/...}: the version chosen, the plugin
 * directories, the time limit, the host). Made through {@link StateDir} (no symbolic link followed, checked
 * directories); a file is written whole to a temporary file, made 0600 as libcni makes its cache (a plugin
 * configuration may hold credentials), and renamed over the old one, so a reader never sees half a file.
 *
 * <p>The entry is written before the first ADD (without a result) so that a crash during ADD leaves what
 * {@code reclaim()} needs to run DEL, and again with the result after the last ADD.
 */
public final class CniCache {
    /** Where the entries live. */
    public static final Path DIR = StateDir.path("cni", "results");

    private static final String KIND = "cniCacheV1";

    private CniCache() {
    }

    /**
     * One attachment as cached.
     *
     * @param file the cache file
     * @param config the configuration ADD ran
     * @param version the version it ran at
     * @param pluginDirs the plugin directories
     * @param timeoutMillis the time limit of a run
     * @param host the host id
     * @param attachment the attachment's parameters
     * @param result the final result, or null when ADD did not finish
     */
    public record Entry(Path file, CniConfig config, String version, List<Path> pluginDirs, long timeoutMillis,
            String host, CniRuntime.Attachment attachment, Map<String, Object> result) {
    }

    /**
     * @param network the network name
     * @param containerId the container id
     * @param ifName the interface name
     * @return the entry's file (libcni's name)
     */
    public static Path file(String network, String containerId, String ifName) {
        return DIR.resolve(network + "-" + containerId + "-" + ifName);
    }

    /**
     * Writes an entry whole (replacing an older one of the same attachment).
     *
     * @param e the entry
     * @throws NetnsException if it cannot be written
     */
    public static void write(Entry e) throws NetnsException {
        CniRuntime.Attachment a = e.attachment();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("kind", KIND);
        m.put("containerId", a.containerId());
        m.put("config", Base64.getEncoder().encodeToString(Json.writeBytes(e.config().toConflist())));
        m.put("ifName", a.ifName());
        m.put("networkName", e.config().name());
        m.put("netns", a.netns());
        if (!a.args().isEmpty()) {
            List<Object> args = new ArrayList<>();
            a.args().forEach((k, v) -> args.add(List.of(k, v)));
            m.put("cniArgs", args);
        }
        if (!a.capabilityArgs().isEmpty()) {
            m.put("capabilityArgs", a.capabilityArgs());
        }
        if (e.result() != null) {
            m.put("result", e.result());
        }
        m.put("netns.io/cniVersion", e.version());
        List<Object> dirs = new ArrayList<>();
        e.pluginDirs().forEach(d -> dirs.add(d.toString()));
        m.put("netns.io/pluginDirs", dirs);
        m.put("netns.io/timeoutMillis", e.timeoutMillis());
        m.put("netns.io/host", e.host());
        byte[] bytes = Json.writeBytes(m);
        Path tmp = e.file().resolveSibling("." + e.file().getFileName() + ".tmp");
        StateDir.delete(tmp); // a leftover of a crash between write and rename
        try {
            if (!StateDir.createExclusive(tmp, bytes)) {
                throw NetnsException.failure("cni cache", "CNI cache entry " + tmp + " is being written by another process");
            }
            Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-------"));
            Files.move(tmp, e.file(), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException x) {
            StateDir.delete(tmp);
            throw NetnsException.wrap("write CNI cache " + e.file(), x);
        }
    }

    /**
     * Reads an entry.
     *
     * @param file its file
     * @return the entry, or null when the file does not exist
     * @throws NetnsException if it is malformed
     */
    @SuppressWarnings("unchecked")
    public static Entry read(Path file) throws NetnsException {
        String text = StateDir.read(file);
        if (text == null) {
            return null;
        }
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        try {
            Map<String, Object> m = Json.parseObject(bytes);
            if (!KIND.equals(m.get("kind"))) {
                throw NetnsException.failure("cni cache", "CNI cache entry " + file + " has kind " + m.get("kind")
                        + ", not " + KIND);
            }
            CniConfig config = CniConfig.parse(Base64.getDecoder().decode(String.valueOf(m.get("config"))),
                    file + " (cached configuration)", true);
            Map<String, String> args = new LinkedHashMap<>();
            if (m.get("cniArgs") instanceof List) {
                for (Object o : (List<Object>) m.get("cniArgs")) {
                    List<Object> kv = (List<Object>) o;
                    args.put(String.valueOf(kv.get(0)), String.valueOf(kv.get(1)));
                }
            }
            Map<String, Object> caps = m.get("capabilityArgs") instanceof Map
                    ? (Map<String, Object>) m.get("capabilityArgs") : Map.of();
            CniRuntime.Attachment a = new CniRuntime.Attachment(String.valueOf(m.get("containerId")),
                    String.valueOf(m.getOrDefault("netns", "")), String.valueOf(m.get("ifName")), args, caps);
            List<Path> dirs = new ArrayList<>();
            if (m.get("netns.io/pluginDirs") instanceof List) {
                for (Object o : (List<Object>) m.get("netns.io/pluginDirs")) {
                    dirs.add(Path.of(String.valueOf(o)));
                }
            }
            Object t = m.get("netns.io/timeoutMillis");
            Object v = m.get("netns.io/cniVersion");
            return new Entry(file, config, v == null ? config.candidateVersions().get(0) : String.valueOf(v), dirs,
                    t instanceof Number ? ((Number) t).longValue() : 60_000, String.valueOf(m.get("netns.io/host")), a,
                    m.get("result") instanceof Map ? (Map<String, Object>) m.get("result") : null);
        } catch (Json.ParseException | RuntimeException e) {
            throw NetnsException.failure("cni cache", "CNI cache entry " + file + " is malformed: " + e.getMessage());
        }
    }

    /**
     * Removes an entry; a missing one is no error.
     *
     * @param file its file
     * @throws NetnsException if it cannot be removed
     */
    public static void remove(Path file) throws NetnsException {
        StateDir.delete(file);
    }

    /** @return every entry's file, in name order */
    public static List<Path> all() {
        List<Path> out = new ArrayList<>();
        try {
            for (Path p : StateDir.list(DIR)) {
                if (!p.getFileName().toString().startsWith(".")) {
                    out.add(p);
                }
            }
        } catch (NetnsException e) {
            return out; // an unsafe directory: nothing in it is trusted
        }
        out.sort(null);
        return out;
    }

    /**
     * @param file a cache file
     * @return its text, for diagnostics, or empty
     */
    public static String text(Path file) {
        String t = StateDir.readOrNull(file);
        return t == null ? "" : t;
    }
}
