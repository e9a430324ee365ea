package io.netns.planner;

import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Plans concrete listener addresses for services that share one network stack (Docker's host mode): a pure,
 * deterministic function of the host's addresses, the sockets already bound, the port sysctls and the requests.
 *
 * <pre>{@code
 * ListenerPlan plan = ListenerPlanner.create()
 *     .hostAddress("eth0", "10.20.30.100").hostAddress("eth0", "10.20.30.200")
 *     .existing("tcp LISTEN 0.0.0.0:22")
 *     .request(ListenRequest.tcp("web1", 80))
 *     .request(ListenRequest.tcp("web2", 80))
 *     .plan();
 * plan.apacheListen("web1");   // ["Listen 10.20.30.100:80"]
 * plan.apacheListen("web2");   // ["Listen 10.20.30.200:80"]
 * }</pre>
 *
 * <p>A planner is a mutable builder and not thread-safe; {@link #plan()} may be called repeatedly and returns an
 * immutable {@link ListenerPlan}. The order in which inputs are added never changes the result.
 */
public final class ListenerPlanner {

    private final TreeMap<Ip, SortedSet<String>> hostAddresses = new TreeMap<>();
    private final TreeSet<ExistingSocket> existing = new TreeSet<>();
    private final Map<String, ListenRequest> requests = new LinkedHashMap<>();
    private KernelPorts kernel = KernelPorts.defaults();

    private ListenerPlanner() {
    }

    /**
     * An empty planner: no host addresses, no existing sockets, {@link KernelPorts#defaults()}, no requests.
     *
     * @return a new planner
     */
    public static ListenerPlanner create() {
        return new ListenerPlanner();
    }

    /**
     * A planner filled by discovery inside a host's namespace: see {@link #discover(io.netns.NetNamespace)}. Add
     * requests, then {@link #plan()}.
     *
     * <pre>{@code
     * ListenerPlan plan = ListenerPlanner.forHost(lab)
     *     .request(ListenRequest.tcp("web1", 80)).request(ListenRequest.tcp("web2", 80)).plan();
     * }</pre>
     *
     * @param host the host
     * @return the planner, usable on any thread
     * @throws java.io.IOException (a {@link io.netns.NetnsException}) if the namespace cannot be entered or read
     */
    public static ListenerPlanner forHost(io.netns.Host host) throws IOException {
        Objects.requireNonNull(host, "host");
        return discover(host.namespace());
    }

    /**
     * A planner filled from the <b>calling thread's</b> network namespace; see
     * {@link #discover(io.netns.NetNamespace)}. The returned planner holds plain values and may be used on any
     * thread afterwards.
     *
     * @return a planner with host addresses, existing sockets and kernel settings filled in
     * @throws IOException (a {@link io.netns.NetnsException}) if the namespace cannot be read
     */
    public static ListenerPlanner discover() throws IOException {
        try (io.netns.NetNamespace here = io.netns.NetNamespace.current()) {
            return discover(here);
        }
    }

    /**
     * A planner filled from what the namespace itself reports, the way {@code ip} and {@code ss} read it; nothing
     * comes from the process's own namespace ({@code java.net.NetworkInterface} and the process's
     * {@code /proc/net} are never used):
     * <ul>
     *   <li>host addresses: an rtnetlink dump ({@code ip addr}), IPv4 and IPv6 on every interface, under the
     *       namespace's own interface names; tentative and DAD-failed addresses are left out ({@code bind()}
     *       fails with EADDRNOTAVAIL there), deprecated and secondary ones kept (they can be bound);</li>
     *   <li>existing sockets: a sock_diag dump from a thread inside ({@code ss -tanue}, {@code ss -uanue}): TCP in
     *       every state (LISTEN; TIME_WAIT, which is soft; outbound connections, which block), bound UDP, each
     *       with its uid and, for {@code [::]}, its real {@code v6only} ({@code INET_DIAG_SKV6ONLY}), so nothing
     *       has to be assumed; the process holding a socket ({@code ss -p}: socket inode matched in
     *       {@code /proc/<pid>/fd}) is named in explanations where it can be found;</li>
     *   <li>kernel settings read inside: {@code net.ipv4.ip_unprivileged_port_start}, {@code ip_local_port_range},
     *       {@code ip_local_reserved_ports}, {@code ip_nonlocal_bind} (IPv4 and IPv6) and
     *       {@code net.ipv6.bindv6only}; a sysctl that does not exist there (IPv6 disabled) keeps its default.</li>
     * </ul>
     *
     * @param ns the namespace, e.g. {@code host.namespace()}
     * @return the planner, usable on any thread
     * @throws IOException (a {@link io.netns.NetnsException}) if the namespace cannot be entered or read
     */
    public static ListenerPlanner discover(io.netns.NetNamespace ns) throws IOException {
        Objects.requireNonNull(ns, "ns");
        ListenerPlanner p = create();
        try (io.netns.rtnl.RtnlClient rt = io.netns.rtnl.RtnlClient.open(ns)) {
            Map<Integer, String> names = new java.util.HashMap<>();
            for (io.netns.rtnl.Link l : rt.links()) {
                names.put(l.index(), l.name());
            }
            for (io.netns.rtnl.Addr a : rt.addresses()) {
                if (a.has(io.netns.rtnl.Addr.F_TENTATIVE) || a.has(io.netns.rtnl.Addr.F_DADFAILED)) {
                    continue; // bind() would fail with EADDRNOTAVAIL until DAD succeeds
                }
                String iface = names.get(a.linkIndex());
                p.hostAddress(iface != null ? iface : "if" + a.linkIndex(), Ip.of(a.address().getAddress(), null));
            }
        }
        p.existing.addAll(Discovery.sockets(ns));
        p.kernel(Discovery.kernel(ns));
        return p;
    }

    /**
     * A planner filled with the existing sockets and kernel settings found under {@code procRoot} (normally
     * {@code /proc}): {@code thread-self/net/{tcp,tcp6,udp,udp6}} (or {@code net/...} where there is no
     * {@code thread-self}), and {@code sys/net/ipv4/ip_unprivileged_port_start}, {@code ip_local_port_range},
     * {@code ip_local_reserved_ports}, {@code ip_nonlocal_bind}, {@code sys/net/ipv6/ip_nonlocal_bind} and {@code sys/net/ipv6/bindv6only}. Missing
     * files are skipped (missing sysctls keep their defaults). Host addresses are not read: add them with
     * {@link #hostAddress(String, String)}, or use {@link #discover()}.
     *
     * @param procRoot the proc mount, or a directory laid out like it (tests use fixtures)
     * @return the planner
     * @throws IOException when a file exists but cannot be read
     * @throws IllegalArgumentException when a file's content is malformed
     */
    public static ListenerPlanner discover(Path procRoot) throws IOException {
        Objects.requireNonNull(procRoot, "procRoot");
        ListenerPlanner p = create();
        Path net = netDir(procRoot);
        for (String f : List.of("tcp", "tcp6", "udp", "udp6")) {
            String text = read(net.resolve(f));
            if (text != null) {
                p.existingFromProc(f, text);
            }
        }
        Path v4 = procRoot.resolve("sys/net/ipv4");
        KernelPorts k = KernelPorts.defaults();
        String s = read(v4.resolve("ip_unprivileged_port_start"));
        if (s != null) {
            k = k.unprivilegedPortStart(Integer.parseInt(s.trim()));
        }
        s = read(v4.resolve("ip_local_port_range"));
        if (s != null) {
            String[] r = s.trim().split("\\s+");
            k = k.ephemeralRange(Integer.parseInt(r[0]), Integer.parseInt(r[1]));
        }
        s = read(v4.resolve("ip_local_reserved_ports"));
        if (s != null) {
            k = k.reserved(s);
        }
        String nl4 = read(v4.resolve("ip_nonlocal_bind"));
        String nl6 = read(procRoot.resolve("sys/net/ipv6/ip_nonlocal_bind"));
        k = k.nonlocalBind(nl4 != null && !nl4.trim().equals("0"), nl6 != null && !nl6.trim().equals("0"));
        String v6only = read(procRoot.resolve("sys/net/ipv6/bindv6only"));
        p.kernel(k.bindV6only(v6only != null && !v6only.trim().equals("0")));
        return p;
    }

    private static Path netDir(Path procRoot) {
        Path ts = procRoot.resolve("thread-self/net");
        return Files.isDirectory(ts) ? ts : procRoot.resolve("net");
    }

    private static String read(Path f) throws IOException {
        // Stream to EOF: proc files may report a size that is not their length, so Files.readString is unsafe.
        try (java.io.InputStream in = Files.newInputStream(f)) {
            return new String(in.readAllBytes(), StandardCharsets.US_ASCII);
        } catch (NoSuchFileException e) {
            return null;
        }
    }

    /**
     * Adds an address the host owns. Default: none. An IPv6 link-local address is scoped to {@code iface}.
     * Loopback and link-local addresses are never picked automatically; any {@code 127.x} address makes all of
     * {@code 127.0.0.0/8} local, as the kernel's {@code local 127.0.0.0/8 dev lo} route does.
     *
     * @param iface interface name, e.g. {@code eth0}
     * @param address an IPv4 or IPv6 literal
     * @return this planner
     * @throws IllegalArgumentException for a blank interface name, a non-literal address or a wildcard
     */
    public ListenerPlanner hostAddress(String iface, String address) {
        return hostAddress(iface, Ip.parse(address));
    }

    private ListenerPlanner hostAddress(String iface, Ip ip) {
        if (iface == null || iface.isEmpty() || iface.chars().anyMatch(Character::isWhitespace)) {
            throw new IllegalArgumentException("interface name must be non-empty without whitespace: '" + iface
                    + "'");
        }
        if (ip.isAny()) {
            throw new IllegalArgumentException("a host address cannot be a wildcard: " + ip);
        }
        if (ip.zone() != null && !ip.zone().equals(iface)) {
            throw new IllegalArgumentException("the zone of a link-local host address must be its interface "
                    + iface + ": " + ip);
        }
        hostAddresses.computeIfAbsent(ip.withZone(iface), k -> new TreeSet<>()).add(iface);
        return this;
    }

    /**
     * Adds a socket that already exists, in the notation {@code proto[6] STATE addr:port [v6only=0|1|?] [uid=N]}:
     * {@code tcp LISTEN 0.0.0.0:22}, {@code tcp6 LISTEN [::]:80 v6only=?}, {@code udp 127.0.0.53:53}. UDP has no
     * state; {@code v6only} applies to {@code [::]} only and defaults to {@code ?} (unknown).
     *
     * @param notation the socket
     * @return this planner
     * @throws IllegalArgumentException naming the text and the rule it breaks
     */
    public ListenerPlanner existing(String notation) {
        existing.add(ExistingSocket.parse(notation));
        return this;
    }

    /**
     * Adds, as existing sockets, what an Apache httpd configuration will bind once it starts, held by the service
     * named after the configuration's directory ({@code apache2} for {@code /etc/apache2/apache2.conf}); see
     * {@link #existingFromApacheConfig(String, Path)}.
     *
     * @param config the main file, e.g. {@code /etc/apache2/apache2.conf}
     * @return this planner
     * @throws IOException when a file cannot be read
     * @throws IllegalArgumentException naming the file and line of a malformed directive
     */
    public ListenerPlanner existingFromApacheConfig(Path config) throws IOException {
        return existingFromApacheConfig(serviceName(config), config);
    }

    /**
     * Adds, as existing sockets held by {@code service}, what an Apache httpd configuration will bind once it
     * starts, so a plan can be made before anything runs. Reads every {@code Listen [IP-address:]portnumber
     * [protocol]} directive, following {@code Include} and {@code IncludeOptional} (files, directories, globs in
     * the last path element) relative to {@code ServerRoot} (default: the directory of {@code config}), and
     * evaluating {@code <IfModule>} against the {@code LoadModule} lines read before it, as httpd does. A
     * configuration copied out of {@code /etc/apache2} may keep its absolute paths: they are read from the copy.
     *
     * <p>{@code Listen 80}, {@code Listen *:80} and {@code Listen [::]:80} become one dual-stack
     * {@code tcp6 LISTEN [::]:80 v6only=0} (Debian's build maps IPv4 into IPv6; on a host without IPv6 httpd binds
     * {@code 0.0.0.0:80}, which blocks the same IPv4 addresses); {@code Listen 10.0.0.1:80} becomes that address,
     * {@code Listen [2001:db8::1]:80} that v6-only address. Explanations name the service, file and line.
     *
     * <pre>{@code
     * ListenerPlanner.create().hostAddress("eth0", "10.20.30.100").hostAddress("eth0", "10.20.30.200")
     *     .existingFromApacheConfig("web1", Path.of("/srv/web1/apache2/apache2.conf"))
     *     .request(ListenRequest.tcp("web2", 80).allInterfaces())
     *     .plan();   // web2: ADDRESS_IN_USE ... held by web1, .../ports.conf:5 Listen 80 ...
     * }</pre>
     *
     * @param service the name explanations give the holder, e.g. {@code web1}
     * @param config the main file, e.g. {@code /etc/apache2/apache2.conf}
     * @return this planner
     * @throws IOException when a file cannot be read (a missing main file or {@code Include}d file included)
     * @throws IllegalArgumentException naming the file and line of a malformed directive, an {@code Include}
     *     that matches nothing, an unbalanced section or a {@code Listen} inside {@code <VirtualHost>}
     */
    public ListenerPlanner existingFromApacheConfig(String service, Path config) throws IOException {
        existing.addAll(ServerConfigs.apache(checkService(service), Objects.requireNonNull(config, "config")));
        return this;
    }

    /**
     * Adds, as existing sockets, what an nginx configuration will bind once it starts, held by the service named
     * after the configuration's directory ({@code nginx} for {@code /etc/nginx/nginx.conf}); see
     * {@link #existingFromNginxConfig(String, Path)}.
     *
     * @param config the main file, e.g. {@code /etc/nginx/nginx.conf}
     * @return this planner
     * @throws IOException when a file cannot be read
     * @throws IllegalArgumentException naming the file and line of a malformed directive
     */
    public ListenerPlanner existingFromNginxConfig(Path config) throws IOException {
        return existingFromNginxConfig(serviceName(config), config);
    }

    /**
     * Adds, as existing sockets held by {@code service}, what an nginx configuration will bind once it starts.
     * Reads the {@code listen} directives of {@code server} blocks in {@code http} (TCP; a server without
     * {@code listen} gets {@code *:80}), {@code stream} (TCP, or UDP with {@code udp}; {@code quic} is UDP too)
     * and {@code mail} (TCP),
     * following {@code include} (a missing file is an error, a mask may match nothing) relative to the directory of
     * {@code config}; absolute paths under {@code /etc/nginx} of a copied tree are read from the copy.
     *
     * <p>As nginx binds them: {@code listen 80} is {@code 0.0.0.0:80} only; {@code listen [::]:80} is v6-only
     * unless {@code ipv6only=off}; one socket per distinct address and port however many servers share it; when
     * a wildcard and specific addresses share a port only the wildcard is bound, unless {@code bind} or a
     * parameter implying it ({@code reuseport}, {@code backlog}, {@code ipv6only}, ...) asks for a separate
     * {@code bind()}. {@code default_server} and {@code reuseport} are kept in the holder's description.
     *
     * @param service the name explanations give the holder, e.g. {@code proxy}
     * @param config the main file, e.g. {@code /etc/nginx/nginx.conf}
     * @return this planner
     * @throws IOException when a file cannot be read
     * @throws IllegalArgumentException naming the file and line of a malformed directive: a missing {@code ;},
     *     unbalanced braces, an unknown {@code listen} parameter, a bad port or a host name
     */
    public ListenerPlanner existingFromNginxConfig(String service, Path config) throws IOException {
        existing.addAll(ServerConfigs.nginx(checkService(service), Objects.requireNonNull(config, "config")));
        return this;
    }

    private static String serviceName(Path config) {
        Path dir = Objects.requireNonNull(config, "config").toAbsolutePath().normalize().getParent();
        return dir == null || dir.getFileName() == null ? config.toString() : dir.getFileName().toString();
    }

    private static String checkService(String service) {
        if (service == null || service.isBlank()) {
            throw new IllegalArgumentException("service name must not be blank: '" + service + "'");
        }
        return service;
    }

    /**
     * Adds every socket of a {@code /proc/net} file's text, decoded in this machine's byte order.
     *
     * @param file {@code tcp}, {@code tcp6}, {@code udp} or {@code udp6}
     * @param text the file's contents (header line optional)
     * @return this planner
     * @throws IllegalArgumentException naming a malformed line
     */
    public ListenerPlanner existingFromProc(String file, String text) {
        return existingFromProc(file, text, ByteOrder.nativeOrder());
    }

    /**
     * Adds every socket of a {@code /proc/net} file captured on a machine of the given byte order (addresses are
     * 32-bit words printed as host-endian integers).
     *
     * @param file {@code tcp}, {@code tcp6}, {@code udp} or {@code udp6}
     * @param text the file's contents
     * @param order the byte order of the machine that produced the text
     * @return this planner
     * @throws IllegalArgumentException naming a malformed line
     */
    public ListenerPlanner existingFromProc(String file, String text, ByteOrder order) {
        existing.addAll(ExistingSocket.parseProc(file, text, order));
        return this;
    }

    /**
     * Sets the port sysctls. Default {@link KernelPorts#defaults()}.
     *
     * @param kernel the settings
     * @return this planner
     */
    public ListenerPlanner kernel(KernelPorts kernel) {
        this.kernel = Objects.requireNonNull(kernel, "kernel");
        return this;
    }

    /** @return the kernel settings in use */
    public KernelPorts kernel() {
        return kernel;
    }

    /**
     * Adds a service to plan. Default: none.
     *
     * @param request the service
     * @return this planner
     * @throws IllegalArgumentException when another request already has that name
     */
    public ListenerPlanner request(ListenRequest request) {
        Objects.requireNonNull(request, "request");
        if (requests.putIfAbsent(request.name, request) != null) {
            throw new IllegalArgumentException("service names must be unique: " + request.name);
        }
        return this;
    }

    /**
     * Adds several services.
     *
     * @param all the services
     * @return this planner
     * @throws IllegalArgumentException when a name repeats
     */
    public ListenerPlanner requests(Collection<ListenRequest> all) {
        for (ListenRequest r : all) {
            request(r);
        }
        return this;
    }

    /**
     * The existing sockets added so far (by {@link #existing(String)}, discovery or a configuration), sorted by
     * protocol, port and address, each in the notation {@link #existing(String)} accepts; where the holder is
     * known it follows after {@code " # "}, e.g. {@code tcp6 LISTEN [::]:80 v6only=0 uid=0 # apache2, pid 812}.
     *
     * @return the sockets; empty when there are none
     */
    public List<String> existingSockets() {
        List<String> out = new ArrayList<>(existing.size());
        for (ExistingSocket e : existing) {
            out.add(e.holder == null ? e.notation() : e.notation() + " # " + e.holder);
        }
        return out;
    }

    /** For tests: the inputs in a canonical text (addresses, existing sockets without holders, kernel). */
    String inputs() {
        StringBuilder sb = new StringBuilder();
        hostAddresses.forEach((ip, ifs) -> sb.append("host ").append(ip).append(' ').append(ifs).append('\n'));
        new TreeSet<>(existing.stream().map(ExistingSocket::notation).collect(java.util.stream.Collectors.toList()))
                .forEach(n -> sb.append("existing ").append(n).append('\n'));
        return sb.append(kernel).append('\n').toString();
    }

    /**
     * Plans every service: most constrained first, greedy, port-major (see the package documentation).
     *
     * @return the immutable plan
     */
    public ListenerPlan plan() {
        TreeMap<Ip, SortedSet<String>> host = new TreeMap<>();
        hostAddresses.forEach((k, v) -> host.put(k, new TreeSet<>(v)));
        return new ListenerPlan(PlanEngine.run(kernel, host, new ArrayList<>(existing), requests.values()));
    }
}
