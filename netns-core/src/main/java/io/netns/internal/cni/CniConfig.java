package io.netns.internal.cni;

import io.netns.NetnsException;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Internal use only: a CNI network configuration list (CNI spec section 1), loaded the way libcni loads
 * it. In a directory: the {@code *.conflist} files in name order, the first whose {@code name} matches;
 * failing that the {@code *.conf} and {@code *.json} files (single plugin configurations, read as a list
 * of one). Unless {@code loadOnlyInlinedPlugins} is true, the plugin configurations of
 * {@code <dir>/<name>/*.conf} are appended to the list's own. A file that cannot be parsed fails the
 * lookup naming the file, as in libcni.
 *
 * <p>Immutable; {@link #request} derives each plugin's standard input (section 3).
 */
public final class CniConfig {
    /** The newest spec version this runtime implements. */
    public static final String SPEC_VERSION = "1.1.0";

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.\\-]*");

    private final String name;
    private final String cniVersion;
    private final List<String> cniVersions;
    private final boolean disableCheck;
    private final boolean disableGC;
    private final boolean onlyInlined;
    private final List<Map<String, Object>> plugins;
    private final String source;

    private CniConfig(String name, String cniVersion, List<String> cniVersions, boolean disableCheck,
            boolean disableGC, boolean onlyInlined, List<Map<String, Object>> plugins, String source) {
        this.name = name;
        this.cniVersion = cniVersion;
        this.cniVersions = List.copyOf(cniVersions);
        this.disableCheck = disableCheck;
        this.disableGC = disableGC;
        this.onlyInlined = onlyInlined;
        this.plugins = Collections.unmodifiableList(plugins);
        this.source = source;
    }

    /**
     * Finds a network in a directory.
     *
     * @param dir the configuration directory
     * @param network the network name
     * @return its configuration
     * @throws NetnsException if no file names it (the message lists the networks found), or a file is malformed
     */
    public static CniConfig load(Path dir, String network) throws NetnsException {
        List<String> seen = new ArrayList<>();
        for (Path f : files(dir, ".conflist")) {
            CniConfig c = parse(read(f), f.toString(), true);
            if (c.name.equals(network)) {
                return c.withSiblingPlugins(dir, f);
            }
            seen.add(c.name);
        }
        for (Path f : files(dir, ".conf", ".json")) {
            CniConfig c = parse(read(f), f.toString(), false);
            if (c.name.equals(network)) {
                return c;
            }
            seen.add(c.name);
        }
        throw NetnsException.failure("cni load", "no CNI network named \"" + network + "\" in " + dir
                + (seen.isEmpty() ? " (it holds no *.conflist, *.conf or *.json file"
                        + (Files.isDirectory(dir) ? ")" : "; the directory does not exist)")
                        : " (networks there: " + String.join(", ", seen) + ")"));
    }

    /**
     * Reads one file: a {@code .conflist}, or a {@code .conf}/{@code .json} with or without a
     * {@code plugins} list.
     *
     * @param file the file
     * @return its configuration
     * @throws NetnsException if it cannot be read or is malformed
     */
    public static CniConfig fromFile(Path file) throws NetnsException {
        boolean list = file.getFileName().toString().endsWith(".conflist");
        byte[] bytes = read(file);
        CniConfig c = parse(bytes, file.toString(), list);
        Path dir = file.toAbsolutePath().getParent();
        return list && dir != null ? c.withSiblingPlugins(dir, file) : c;
    }

    /**
     * Parses configuration text.
     *
     * @param bytes the JSON
     * @param source where it came from, for messages
     * @param list true for a list ({@code plugins}), false for a single plugin configuration, which is read as a
     *     list when it has {@code plugins} anyway
     * @return the configuration
     * @throws NetnsException if it is malformed
     */
    public static CniConfig parse(byte[] bytes, String source, boolean list) throws NetnsException {
        Map<String, Object> raw;
        try {
            raw = Json.parseObject(bytes);
        } catch (Json.ParseException e) {
            throw invalid(source, e.getMessage());
        }
        if (!list && !raw.containsKey("plugins")) {
            // A single plugin configuration: the list is its name and version around it (libcni's upconversion).
            Map<String, Object> up = new LinkedHashMap<>();
            up.put("cniVersion", raw.getOrDefault("cniVersion", ""));
            up.put("name", raw.get("name"));
            up.put("plugins", List.of(raw));
            raw = up;
        }
        Object n = raw.get("name");
        if (!(n instanceof String)) {
            throw invalid(source, n == null ? "no \"name\"" : "\"name\" must be a string, not " + Json.typeName(n));
        }
        String name = (String) n;
        if (!NAME.matcher(name).matches()) {
            throw invalid(source, "\"name\" must start with a letter or digit and contain only letters, digits, '_', '.' "
                    + "and '-': \"" + name + "\"");
        }
        Object v = raw.get("cniVersion");
        if (v != null && !(v instanceof String)) {
            throw invalid(source, "\"cniVersion\" must be a string, not " + Json.typeName(v));
        }
        String version = v == null ? "" : (String) v;
        if (!version.isEmpty()) {
            checkVersion(source, version);
        }
        List<String> versions = new ArrayList<>();
        Object vs = raw.get("cniVersions");
        if (vs != null) {
            if (!(vs instanceof List)) {
                throw invalid(source, "\"cniVersions\" must be a list of strings, not " + Json.typeName(vs));
            }
            for (Object o : (List<?>) vs) {
                if (!(o instanceof String)) {
                    throw invalid(source, "\"cniVersions\" must hold strings, not " + Json.typeName(o));
                }
                versions.add(checkVersion(source, (String) o));
            }
        }
        boolean disableCheck = bool(raw, "disableCheck", source);
        boolean disableGC = bool(raw, "disableGC", source);
        boolean onlyInlined = bool(raw, "loadOnlyInlinedPlugins", source);
        Object ps = raw.get("plugins");
        List<Map<String, Object>> plugins = new ArrayList<>();
        if (ps == null) {
            if (onlyInlined) {
                throw invalid(source, "\"loadOnlyInlinedPlugins\" is true and there is no \"plugins\" list");
            }
        } else {
            if (!(ps instanceof List)) {
                throw invalid(source, "\"plugins\" must be a list, not " + Json.typeName(ps));
            }
            if (((List<?>) ps).isEmpty()) {
                throw invalid(source, "\"plugins\" is empty");
            }
            int i = 0;
            for (Object p : (List<?>) ps) {
                plugins.add(plugin(p, source + " plugin " + i++));
            }
        }
        // Plugins of <dir>/<name>/*.conf are added by the file loaders (withSiblingPlugins).
        return new CniConfig(name, version, versions, disableCheck, disableGC, onlyInlined, plugins, source);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> plugin(Object p, String where) throws NetnsException {
        if (!(p instanceof Map)) {
            throw invalid(where, "a plugin configuration must be an object, not " + Json.typeName(p));
        }
        Map<String, Object> m = (Map<String, Object>) p;
        Object type = m.get("type");
        if (!(type instanceof String) || ((String) type).isEmpty()) {
            throw invalid(where, "missing \"type\" (the plugin's executable name)");
        }
        String t = (String) type;
        if (t.contains("/") || t.equals(".") || t.equals("..") || t.chars().anyMatch(c -> c < 0x20)) {
            throw invalid(where, "\"type\" must be a file name, not a path: \"" + t + "\"");
        }
        Object caps = m.get("capabilities");
        if (caps != null && !(caps instanceof Map)) {
            throw invalid(where, "\"capabilities\" must be an object, not " + Json.typeName(caps));
        }
        return Collections.unmodifiableMap((Map<String, Object>) Json.copy(m));
    }

    private CniConfig withSiblingPlugins(Path dir, Path file) throws NetnsException {
        List<Map<String, Object>> all = new ArrayList<>(plugins);
        if (!onlyInlined) {
            for (Path f : files(dir.resolve(name), ".conf")) {
                Map<String, Object> raw;
                try {
                    raw = Json.parseObject(read(f));
                } catch (Json.ParseException e) {
                    throw invalid(f.toString(), e.getMessage());
                }
                all.add(plugin(raw, f.toString()));
            }
        }
        if (all.isEmpty()) {
            throw invalid(file.toString(), "no plugin configurations (no \"plugins\" and nothing in " + dir.resolve(name) + ")");
        }
        return new CniConfig(name, cniVersion, cniVersions, disableCheck, disableGC, true, all, source);
    }

    private static boolean bool(Map<String, Object> raw, String key, String source) throws NetnsException {
        Object v = raw.get(key);
        if (v == null) {
            return false;
        }
        if (v instanceof Boolean) {
            return (Boolean) v;
        }
        if (v instanceof String) {
            String s = ((String) v).toLowerCase(Locale.ROOT);
            if (s.equals("true") || s.equals("false")) {
                return s.equals("true");
            }
        }
        throw invalid(source, "\"" + key + "\" must be true or false, not " + Json.write(v));
    }

    private static String checkVersion(String source, String v) throws NetnsException {
        if (Version.parse(v) == null) {
            throw invalid(source, "a CNI version must be MAJOR.MINOR.PATCH: \"" + v + "\"");
        }
        return v;
    }

    private static NetnsException invalid(String source, String why) {
        return NetnsException.failure("cni load", "invalid CNI configuration " + source + ": " + why);
    }

    private static byte[] read(Path f) throws NetnsException {
        try {
            return Files.readAllBytes(f);
        } catch (NoSuchFileException e) {
            throw NetnsException.failure("cni load", "CNI configuration file " + f + " does not exist");
        } catch (IOException e) {
            throw NetnsException.wrap("read CNI configuration " + f, e);
        }
    }

    private static List<Path> files(Path dir, String... extensions) throws NetnsException {
        List<Path> out = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path p : ds) {
                String n = p.getFileName().toString();
                int dot = n.lastIndexOf('.');
                if (dot < 0 || Files.isDirectory(p)) {
                    continue;
                }
                String ext = n.substring(dot);
                for (String e : extensions) {
                    if (ext.equals(e)) {
                        out.add(p);
                    }
                }
            }
        } catch (NoSuchFileException | java.nio.file.NotDirectoryException e) {
            return out;
        } catch (IOException e) {
            throw NetnsException.wrap("list CNI configurations in " + dir, e);
        }
        out.sort((a, b) -> a.getFileName().toString().compareTo(b.getFileName().toString()));
        return out;
    }

    /**
     * The versions this configuration may run at, best first: {@code cniVersion} and {@code cniVersions},
     * less those newer than {@link #SPEC_VERSION}; {@code 0.1.0} when it names none.
     *
     * @return the candidates
     * @throws NetnsException if it names only versions newer than this runtime implements
     */
    public List<String> candidateVersions() throws NetnsException {
        List<String> all = new ArrayList<>(cniVersions);
        if (!cniVersion.isEmpty()) {
            all.add(cniVersion);
        }
        if (all.isEmpty()) {
            return List.of("0.1.0");
        }
        List<String> ok = new ArrayList<>();
        for (String v : all) {
            if (Version.compare(v, SPEC_VERSION) <= 0 && !ok.contains(v)) {
                ok.add(v);
            }
        }
        if (ok.isEmpty()) {
            throw NetnsException.failure("cni load", "CNI network " + name + " (" + source + ") asks for version "
                    + String.join(", ", all) + ", newer than this runtime implements (" + SPEC_VERSION + ")");
        }
        ok.sort((a, b) -> Version.compare(b, a));
        return ok;
    }

    /**
     * The standard input of one plugin run (CNI spec section 3, "Deriving request configuration"): the
     * plugin's configuration with {@code cniVersion} and {@code name} of the list, without
     * {@code capabilities}, with {@code runtimeConfig} (the capability arguments the plugin declares) and
     * {@code prevResult} when given.
     *
     * @param index the plugin's index
     * @param version the version chosen
     * @param capabilityArgs the runtime's capability arguments, or null for STATUS and GC
     * @param prevResult the previous result, or null
     * @param extra further keys (GC's {@code cni.dev/valid-attachments}), or an empty map
     * @return the JSON
     */
    @SuppressWarnings("unchecked")
    public byte[] request(int index, String version, Map<String, Object> capabilityArgs, Object prevResult,
            Map<String, Object> extra) {
        Map<String, Object> p = plugins.get(index);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("cniVersion", version);
        out.put("name", name);
        for (Map.Entry<String, Object> e : p.entrySet()) {
            String k = e.getKey();
            if (!k.equals("cniVersion") && !k.equals("name") && !k.equals("capabilities") && !k.equals("runtimeConfig")
                    && !k.equals("prevResult") && !k.startsWith("cni.dev/")) {
                out.put(k, e.getValue());
            }
        }
        if (capabilityArgs != null) {
            Map<String, Object> caps = (Map<String, Object>) p.getOrDefault("capabilities", Map.of());
            Map<String, Object> rc = new LinkedHashMap<>();
            if (p.get("runtimeConfig") instanceof Map) {
                rc.putAll((Map<String, Object>) p.get("runtimeConfig"));
            }
            for (Map.Entry<String, Object> c : caps.entrySet()) {
                if (Boolean.TRUE.equals(c.getValue()) && capabilityArgs.containsKey(c.getKey())) {
                    rc.put(c.getKey(), capabilityArgs.get(c.getKey()));
                }
            }
            if (!rc.isEmpty()) {
                out.put("runtimeConfig", rc);
            }
        }
        if (prevResult != null) {
            out.put("prevResult", prevResult);
        }
        out.putAll(extra);
        return Json.writeBytes(out);
    }

    /**
     * The list as one self-contained {@code .conflist} (sibling plugins inlined), for the result cache: DEL
     * from another JVM runs exactly the plugins ADD ran.
     *
     * @return the JSON object
     */
    public Map<String, Object> toConflist() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("cniVersion", cniVersion);
        if (!cniVersions.isEmpty()) {
            m.put("cniVersions", new ArrayList<Object>(cniVersions));
        }
        m.put("name", name);
        if (disableCheck) {
            m.put("disableCheck", true);
        }
        if (disableGC) {
            m.put("disableGC", true);
        }
        m.put("loadOnlyInlinedPlugins", true);
        List<Object> ps = new ArrayList<>();
        for (Map<String, Object> p : plugins) {
            ps.add(Json.copy(p));
        }
        m.put("plugins", ps);
        return m;
    }

    /** @return the network name */
    public String name() {
        return name;
    }

    /** @return where it was read from */
    public String source() {
        return source;
    }

    /** @return the number of plugins */
    public int size() {
        return plugins.size();
    }

    /**
     * @param index a plugin's index
     * @return its {@code type}
     */
    public String type(int index) {
        return (String) plugins.get(index).get("type");
    }

    /** @return whether CHECK must not run */
    public boolean disableCheck() {
        return disableCheck;
    }

    /** @return whether GC must not run */
    public boolean disableGC() {
        return disableGC;
    }
}
