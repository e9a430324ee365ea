package io.netns;

import io.netns.internal.Inet;
import io.netns.internal.Names;
import io.netns.internal.cni.Json;
import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * {@code cni}: the sandbox gets its own namespace, and the plugins of a CNI network configuration list
 * connect it, exactly as containerd, CRI-O or Podman would run them (CNI spec 1.1; Debian's and the
 * reference plugins speak up to 1.0.0). See {@link NetworkMode#cni(String)}.
 *
 * <pre>{@code
 * NetworkMode.cni("mynet")                                    // /etc/cni/net.d, plugins in /opt/cni/bin, /usr/lib/cni
 * NetworkMode.cni("mynet").confDir(Path.of("/srv/cni")).pluginDirs(Path.of("/srv/cni/bin"))
 * NetworkMode.cni(Path.of("/srv/cni/mynet.conflist"))         // a file
 * NetworkMode.cni("mynet").publish(8080, 80)                  // portMappings, for plugins that declare it
 * NetworkMode.cni("mynet").publish("127.0.0.1:5353:53/udp")    // docker run -p text; a range: one mapping per port
 * NetworkMode.cni("mynet").ifName("net1").args("IgnoreUnknown", "1").ip("10.22.0.9/24").mac("c2:11:22:33:44:55")
 * }</pre>
 *
 * <p><b>What happens.</b> At create the configuration is loaded (as libcni does: in the configuration
 * directory the {@code *.conflist} files in name order, then {@code *.conf} and {@code *.json}, the first
 * whose {@code name} matches; plugins of {@code <dir>/<name>/*.conf} are appended unless
 * {@code loadOnlyInlinedPlugins}), every plugin is found in the plugin directories and asked its
 * versions ({@code VERSION}, remembered per plugin file), and the highest version of the configuration's
 * {@code cniVersion}/{@code cniVersions} that every plugin supports is chosen. A missing plugin, an unknown
 * network, malformed JSON and a version no plugin supports fail here, before any plugin changes anything.
 * Then, for spec 1.1 configurations, {@code STATUS} runs once per host and network; the namespace is made
 * and {@code ADD} runs plugin by plugin, each given the previous one's result as {@code prevResult}. Each
 * plugin is a child process started from a thread switched into the {@link Host}'s namespace (so a lab
 * host's plugins change only the lab), with the environment and standard input the spec defines
 * ({@code CNI_COMMAND}, {@code CNI_CONTAINERID} = the sandbox name, {@code CNI_NETNS} =
 * {@code /run/netns/<sandbox>}, {@code CNI_IFNAME}, {@code CNI_ARGS}, {@code CNI_PATH}), and is killed when
 * it exceeds the {@linkplain #timeout time limit}. A failed {@code ADD} is followed by {@code DEL} of the whole
 * list and leaves nothing. The final result is cached under the state directory
 * ({@code /run/netns.d/cni/results/<network>-<sandbox>-<ifname>}, libcni's layout and format), so
 * {@link Sandbox#close()} runs {@code DEL} in reverse order with it as {@code prevResult}, and
 * {@link Host#reclaim()} in another JVM does the same for a dead owner's sandbox.
 *
 * <p>Values are immutable; every method returns a new mode.
 */
public final class CniMode extends ModeSetup implements NetworkMode {
    /** The default configuration directory, as libcni's users have it. */
    public static final Path DEFAULT_CONF_DIR = Path.of("/etc/cni/net.d");
    /** The default plugin directories, searched in order: the upstream location, then Debian's. */
    public static final List<Path> DEFAULT_PLUGIN_DIRS = List.of(Path.of("/opt/cni/bin"), Path.of("/usr/lib/cni"));
    /** The default interface name inside the sandbox. */
    public static final String DEFAULT_IF_NAME = "eth0";
    /** The default time limit of one plugin run. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(60);

    private static final Pattern NETWORK_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.\\-]*");
    private static final Pattern ARG_KEY = Pattern.compile("[A-Za-z0-9_\\-.]+");
    private static final Pattern MAC = Pattern.compile("[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){5}");

    private final String networkName;
    private final Path file;
    private final Path confDir;
    private final List<Path> pluginDirs;
    private final String ifName;
    private final Map<String, String> args;
    private final List<PublishedPort> published;
    private final List<String> ips;
    private final String mac;
    private final Map<String, Object> bandwidth;
    private final Map<String, Object> dns;
    private final Map<String, Object> capabilities;
    private final Duration timeout;

    private CniMode(String networkName, Path file, Path confDir, List<Path> pluginDirs, String ifName,
            Map<String, String> args, List<PublishedPort> published, List<String> ips, String mac,
            Map<String, Object> bandwidth, Map<String, Object> dns, Map<String, Object> capabilities, Duration timeout) {
        this.networkName = networkName;
        this.file = file;
        this.confDir = confDir;
        this.pluginDirs = List.copyOf(pluginDirs);
        this.ifName = ifName;
        this.args = args;
        this.published = List.copyOf(published);
        this.ips = List.copyOf(ips);
        this.mac = mac;
        this.bandwidth = bandwidth;
        this.dns = dns;
        this.capabilities = capabilities;
        this.timeout = timeout;
    }

    static CniMode ofName(String networkName) {
        checkNetworkName(networkName);
        return new CniMode(networkName, null, DEFAULT_CONF_DIR, DEFAULT_PLUGIN_DIRS, DEFAULT_IF_NAME, Map.of(),
                List.of(), List.of(), null, null, null, Map.of(), DEFAULT_TIMEOUT);
    }

    static CniMode ofFile(Path conflist) {
        Objects.requireNonNull(conflist, "conflist");
        if (conflist.getFileName() == null) {
            throw new IllegalArgumentException("cni configuration file must name a file: " + conflist);
        }
        return new CniMode(null, conflist, DEFAULT_CONF_DIR, DEFAULT_PLUGIN_DIRS, DEFAULT_IF_NAME, Map.of(),
                List.of(), List.of(), null, null, null, Map.of(), DEFAULT_TIMEOUT);
    }

    static String checkNetworkName(String name) {
        if (name == null) {
            throw new IllegalArgumentException("cni network name must not be null");
        }
        if (!NETWORK_NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("cni network name must start with a letter or digit and contain only "
                    + "letters, digits, '_', '.' and '-' (CNI spec, section 1): \"" + Names.printable(name) + "\"");
        }
        return name;
    }

    private CniMode with(Path confDir, List<Path> pluginDirs, String ifName, Map<String, String> args,
            List<PublishedPort> published, List<String> ips, String mac, Map<String, Object> bandwidth,
            Map<String, Object> dns, Map<String, Object> capabilities, Duration timeout) {
        return new CniMode(networkName, file, confDir, pluginDirs, ifName, args, published, ips, mac, bandwidth, dns,
                capabilities, timeout);
    }

    /**
     * The directory the network's configuration is looked up in. Default {@code /etc/cni/net.d}. Ignored by
     * a mode made from a file, except that it is never consulted.
     *
     * @param dir a directory
     * @return a new mode
     */
    public CniMode confDir(Path dir) {
        Objects.requireNonNull(dir, "confDir");
        return with(dir, pluginDirs, ifName, args, published, ips, mac, bandwidth, dns, capabilities, timeout);
    }

    /**
     * The directories plugins are looked up in, in order; also the plugins' {@code CNI_PATH}. Default
     * {@code /opt/cni/bin}, then {@code /usr/lib/cni}.
     *
     * @param dirs one or more directories
     * @return a new mode
     */
    public CniMode pluginDirs(Path... dirs) {
        Objects.requireNonNull(dirs, "pluginDirs");
        if (dirs.length == 0) {
            throw new IllegalArgumentException("cni pluginDirs must name at least one directory");
        }
        for (Path d : dirs) {
            Objects.requireNonNull(d, "pluginDirs element");
            if (d.toString().contains(":")) {
                throw new IllegalArgumentException("cni plugin directory must not contain ':' (CNI_PATH separates "
                        + "directories with it): " + d);
            }
        }
        return with(confDir, List.of(dirs), ifName, args, published, ips, mac, bandwidth, dns, capabilities, timeout);
    }

    /**
     * The name of the interface the plugins make inside the sandbox ({@code CNI_IFNAME}). Default
     * {@value #DEFAULT_IF_NAME}.
     *
     * @param name 1 to 15 characters, none of them '/', ':' or white space, not {@code .} or {@code ..}
     * @return a new mode
     */
    public CniMode ifName(String name) {
        if (name == null || name.isEmpty() || name.length() > 15 || name.equals(".") || name.equals("..")
                || name.chars().anyMatch(c -> c == '/' || c == ':' || c <= ' ' || c == 0x7f)) {
            throw new IllegalArgumentException("cni ifName must be 1 to 15 characters without '/', ':' or white "
                    + "space, and not '.' or '..' (an interface name): \"" + (name == null ? "null" : Names.printable(name)) + "\"");
        }
        return with(confDir, pluginDirs, name, args, published, ips, mac, bandwidth, dns, capabilities, timeout);
    }

    /**
     * Adds a {@code CNI_ARGS} pair, e.g. {@code args("IgnoreUnknown", "1")} or {@code args("IP", "10.22.0.9")}.
     * Default: none.
     *
     * @param key letters, digits, '_', '-', '.'
     * @param value any text without ';' or control characters
     * @return a new mode
     */
    public CniMode args(String key, String value) {
        if (key == null || !ARG_KEY.matcher(key).matches()) {
            throw new IllegalArgumentException("cni args key must be letters, digits, '_', '-' or '.': \""
                    + (key == null ? "null" : Names.printable(key)) + "\"");
        }
        Objects.requireNonNull(value, "cni args value");
        if (value.chars().anyMatch(c -> c == ';' || c < 0x20 || c == 0x7f)) {
            throw new IllegalArgumentException("cni args value must not contain ';' or control characters (CNI_ARGS "
                    + "separates pairs with ';'): " + key + "=\"" + Names.printable(value) + "\"");
        }
        Map<String, String> all = new LinkedHashMap<>(args);
        all.put(key, value);
        return with(confDir, pluginDirs, ifName, java.util.Collections.unmodifiableMap(all), published, ips, mac, bandwidth, dns, capabilities, timeout);
    }

    /**
     * Publishes ports through the {@code portMappings} capability, written as {@code docker run -p} takes them
     * and parsed as Docker parses them ({@link PublishedPort#parse(String)}): {@code "8080:80"},
     * {@code "127.0.0.1:5353:53/udp"}, {@code "8000-8009:8000-8009"}. A {@code portMappings} entry names one
     * host port and one container port, so a range becomes one entry per port. Only plugins whose
     * configuration declares {@code "capabilities": {"portMappings": true}} (e.g. {@code portmap}) see them.
     * Calls add up. Default: nothing published.
     *
     * @param spec {@code [hostIp:]hostPort:containerPort[/protocol]}, host and container part of the same size
     * @return a new mode
     * @throws IllegalArgumentException if the text breaks Docker's rules, if it leaves the host port to be
     *     chosen ({@code "80"}, {@code "0:80"}, {@code "127.0.0.1::80"}, {@code "9000-9010:80"}: CNI's
     *     {@code portMappings} have no way to ask for a free port), or if a host port is published twice
     */
    public CniMode publish(String spec) {
        return publish(PublishedPort.parse(spec));
    }

    /**
     * Publishes a port or a range as built or parsed ({@link PublishedPort#parse(String)}); see
     * {@link #publish(String)}.
     *
     * @param port the port or range; not a choice of host port
     * @return a new mode
     * @throws IllegalArgumentException if the host port is a choice or is published twice
     */
    public CniMode publish(PublishedPort port) {
        Objects.requireNonNull(port, "port");
        if (port.choosesHostPort()) {
            throw new IllegalArgumentException("cni cannot publish " + port + ": CNI portMappings name one host "
                    + "port each, and the portmap plugin cannot choose a free one; give the host port (e.g. "
                    + "8080:80)");
        }
        List<PublishedPort> all = PublishedPort.append(published, port);
        return with(confDir, pluginDirs, ifName, args, all, ips, mac, bandwidth, dns, capabilities, timeout);
    }

    /**
     * Publishes a TCP port on every host address through the {@code portMappings} capability, like
     * {@code docker run -p 8080:80}; the same values as {@link BridgeMode#publish(int, int)}, except that the
     * host port must be given. Only plugins whose configuration declares
     * {@code "capabilities": {"portMappings": true}} (e.g. {@code portmap}) see it. Default: nothing published.
     *
     * @param hostPort 1..65535
     * @param containerPort 1..65535
     * @return a new mode
     */
    public CniMode publish(int hostPort, int containerPort) {
        return publish(Protocol.TCP, null, hostPort, containerPort);
    }

    /**
     * Publishes a TCP port on one host address ({@code hostIP} of the mapping).
     *
     * @param hostIp an IP literal of the host
     * @param hostPort 1..65535
     * @param containerPort 1..65535
     * @return a new mode
     */
    public CniMode publish(String hostIp, int hostPort, int containerPort) {
        return publish(Protocol.TCP, hostIp, hostPort, containerPort);
    }

    /**
     * Publishes a port of {@code protocol} on every host address.
     *
     * @param protocol TCP or UDP
     * @param hostPort 1..65535
     * @param containerPort 1..65535
     * @return a new mode
     */
    public CniMode publish(Protocol protocol, int hostPort, int containerPort) {
        return publish(protocol, null, hostPort, containerPort);
    }

    /**
     * Publishes a port of {@code protocol} on one host address, or every one when {@code hostIp} is null.
     *
     * @param protocol TCP or UDP
     * @param hostIp an IP literal of the host, or null
     * @param hostPort 1..65535
     * @param containerPort 1..65535
     * @return a new mode
     */
    public CniMode publish(Protocol protocol, String hostIp, int hostPort, int containerPort) {
        InetAddress addr = hostIp == null ? null : Inet.parse("publish host ip", hostIp);
        return publish(new PublishedPort(protocol, addr, hostPort, containerPort));
    }

    /**
     * Asks for a specific address through the {@code ips} capability (e.g. {@code host-local}, {@code static}).
     * Default: none, the IPAM plugin chooses.
     *
     * @param address an IP literal, optionally with a prefix length: {@code 10.22.0.9} or {@code 10.22.0.9/24}
     * @return a new mode
     */
    public CniMode ip(String address) {
        Objects.requireNonNull(address, "ip");
        int slash = address.indexOf('/');
        InetAddress a = Inet.parse("cni ip", slash < 0 ? address : address.substring(0, slash));
        if (slash >= 0) {
            prefixOf(address, slash, a);
        }
        List<String> all = new ArrayList<>(ips);
        all.add(address);
        return with(confDir, pluginDirs, ifName, args, published, all, mac, bandwidth, dns, capabilities, timeout);
    }

    private static int prefixOf(String address, int slash, InetAddress a) {
        int max = a.getAddress().length * 8;
        try {
            int p = Integer.parseInt(address.substring(slash + 1));
            if (p >= 0 && p <= max) {
                return p;
            }
        } catch (NumberFormatException e) {
            // fall through
        }
        throw new IllegalArgumentException("cni ip prefix length must be 0.." + max + ": " + address);
    }

    /**
     * Asks for a MAC address through the {@code mac} capability (e.g. {@code tuning}). Default: none.
     *
     * @param mac six hex pairs separated by ':', e.g. {@code c2:11:22:33:44:55}
     * @return a new mode
     */
    public CniMode mac(String mac) {
        if (mac == null || !MAC.matcher(mac).matches()) {
            throw new IllegalArgumentException("cni mac must be six hex pairs separated by ':', e.g. c2:11:22:33:44:55: "
                    + (mac == null ? "null" : "\"" + Names.printable(mac) + "\""));
        }
        return with(confDir, pluginDirs, ifName, args, published, ips, mac.toLowerCase(java.util.Locale.ROOT), bandwidth,
                dns, capabilities, timeout);
    }

    /**
     * Limits bandwidth through the {@code bandwidth} capability (the {@code bandwidth} plugin). Default: none.
     *
     * @param ingressRate bits per second, positive
     * @param ingressBurst bits, positive
     * @param egressRate bits per second, positive
     * @param egressBurst bits, positive
     * @return a new mode
     */
    public CniMode bandwidth(long ingressRate, long ingressBurst, long egressRate, long egressBurst) {
        long[] v = {ingressRate, ingressBurst, egressRate, egressBurst};
        String[] n = {"ingressRate", "ingressBurst", "egressRate", "egressBurst"};
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < 4; i++) {
            if (v[i] <= 0) {
                throw new IllegalArgumentException("cni bandwidth " + n[i] + " must be positive: " + v[i]);
            }
            m.put(n[i], v[i]);
        }
        return with(confDir, pluginDirs, ifName, args, published, ips, mac, java.util.Collections.unmodifiableMap(m), dns,
                capabilities, timeout);
    }

    /**
     * Passes DNS settings through the {@code dns} capability. Default: none.
     *
     * @param servers name server IP literals
     * @param searches search domains
     * @param options resolver options
     * @return a new mode
     */
    public CniMode dns(List<String> servers, List<String> searches, List<String> options) {
        for (String s : servers) {
            Inet.parse("cni dns server", s);
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("servers", List.copyOf(servers));
        m.put("searches", List.copyOf(searches));
        m.put("options", List.copyOf(options));
        return with(confDir, pluginDirs, ifName, args, published, ips, mac, bandwidth,
                java.util.Collections.unmodifiableMap(m), capabilities, timeout);
    }

    /**
     * Passes any other capability argument (a CNI convention such as {@code aliases}, {@code ipRanges},
     * {@code deviceID}) to the plugins that declare it. Default: none.
     *
     * @param name the capability, e.g. {@code aliases}; not one of the names with their own method
     * @param json its value as JSON text, e.g. {@code ["db", "primary-db"]}
     * @return a new mode
     */
    public CniMode capability(String name, String json) {
        if (name == null || name.isEmpty()) {
            throw new IllegalArgumentException("cni capability name must not be empty");
        }
        if (List.of("portMappings", "ips", "mac", "bandwidth", "dns").contains(name)) {
            throw new IllegalArgumentException("cni capability " + name + " has its own method (publish, ip, mac, "
                    + "bandwidth, dns)");
        }
        Object value;
        try {
            value = Json.parse(Objects.requireNonNull(json, "json"));
        } catch (Json.ParseException e) {
            throw new IllegalArgumentException("cni capability " + name + " must be JSON: " + e.getMessage(), e);
        }
        Map<String, Object> all = new LinkedHashMap<>(capabilities);
        all.put(name, value);
        return with(confDir, pluginDirs, ifName, args, published, ips, mac, bandwidth, dns,
                java.util.Collections.unmodifiableMap(all), timeout);
    }

    /**
     * The time limit of each plugin run; a plugin still running then is killed (with what it started) and
     * the operation fails. Default 60 seconds.
     *
     * @param limit positive
     * @return a new mode
     */
    public CniMode timeout(Duration limit) {
        Objects.requireNonNull(limit, "timeout");
        if (limit.isNegative() || limit.isZero()) {
            throw new IllegalArgumentException("cni timeout must be positive: " + limit);
        }
        return with(confDir, pluginDirs, ifName, args, published, ips, mac, bandwidth, dns, capabilities, limit);
    }

    /** @return the network name asked for, or null when the mode was made from a file */
    public String networkName() {
        return networkName;
    }

    /** @return the configuration file, or null when the mode names a network */
    public Path file() {
        return file;
    }

    /** @return the configuration directory */
    public Path confDir() {
        return confDir;
    }

    /** @return the plugin directories, in search order */
    public List<Path> pluginDirs() {
        return pluginDirs;
    }

    /** @return the interface name inside the sandbox */
    public String ifName() {
        return ifName;
    }

    /** @return the {@code CNI_ARGS} pairs, in the order given */
    public Map<String, String> args() {
        return args;
    }

    /** @return the published ports, in the order given */
    public List<PublishedPort> published() {
        return published;
    }

    /** @return the time limit of one plugin run */
    public Duration timeout() {
        return timeout;
    }

    /**
     * The capability arguments this mode gives, as the runtime offers them; each plugin's
     * {@code runtimeConfig} gets those its configuration declares.
     *
     * @return name to JSON value (maps, lists, strings, numbers), in a fixed order
     */
    public Map<String, Object> capabilityArgs() {
        Map<String, Object> m = new LinkedHashMap<>();
        if (!published.isEmpty()) {
            List<Object> pm = new ArrayList<>();
            for (PublishedPort p : published) {
                for (int i = 0; i < p.count(); i++) { // a range: one mapping per port
                    Map<String, Object> e = new LinkedHashMap<>();
                    e.put("hostPort", (long) p.hostPort() + i);
                    e.put("containerPort", (long) p.containerPort() + i);
                    e.put("protocol", p.protocol().id());
                    if (p.hostIp() != null) {
                        e.put("hostIP", Inet.toText(p.hostIp()));
                    }
                    pm.add(e);
                }
            }
            m.put("portMappings", pm);
        }
        if (!ips.isEmpty()) {
            m.put("ips", new ArrayList<Object>(ips));
        }
        if (mac != null) {
            m.put("mac", mac);
        }
        if (bandwidth != null) {
            m.put("bandwidth", Json.copy(bandwidth));
        }
        if (dns != null) {
            m.put("dns", Json.copy(dns));
        }
        capabilities.forEach((k, v) -> m.put(k, Json.copy(v)));
        return m;
    }

    /**
     * Loads the configuration, finds the plugins and chooses the version (all before anything is made), then a
     * new namespace with {@code lo} up, then the plugins' ADD ({@link CniSetup}).
     */
    @Override
    Sandbox setUp(Host host, String name, io.netns.internal.OwnerRecord record, Cleanup cleanup) throws NetnsException {
        CniSetup.Prepared p = CniSetup.prepare(host, this);
        NetNamespace.Created made = SandboxSetup.newNamespace(name, record, cleanup);
        try (io.netns.rtnl.RtnlClient inside = made.inside()) {
            inside.setUp("lo"); // as in every mode; the network's plugins make the rest
        }
        CniSetup.Attached a = CniSetup.attach(host, name, this, p, made.namespace(), record, cleanup);
        Sandbox s = new Sandbox(host, name, this, made.namespace(), cleanup, null);
        s.attachCni(a);
        return s;
    }

    /** @return {@code cni} */
    @Override
    public String kind() {
        return "cni";
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof CniMode)) {
            return false;
        }
        CniMode c = (CniMode) o;
        return Objects.equals(networkName, c.networkName) && Objects.equals(file, c.file) && confDir.equals(c.confDir)
                && pluginDirs.equals(c.pluginDirs) && ifName.equals(c.ifName) && args.equals(c.args)
                && published.equals(c.published) && ips.equals(c.ips) && Objects.equals(mac, c.mac)
                && Objects.equals(bandwidth, c.bandwidth) && Objects.equals(dns, c.dns)
                && capabilities.equals(c.capabilities) && timeout.equals(c.timeout);
    }

    @Override
    public int hashCode() {
        return Objects.hash(networkName, file, confDir, pluginDirs, ifName, args, published, ips, mac, timeout);
    }

    /** @return {@code cni mynet}, {@code cni /srv/cni/mynet.conflist}, with what differs from the defaults */
    @Override
    public String toString() {
        return "cni " + (networkName != null ? networkName : file.toString())
                + (ifName.equals(DEFAULT_IF_NAME) ? "" : " ifname " + ifName)
                + (published.isEmpty() ? "" : " publish " + published);
    }
}
