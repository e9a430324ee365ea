package io.netns.examples;

import io.netns.Host;
import io.netns.NetNamespace;
import io.netns.NetnsException;
import io.netns.NetworkMode;
import io.netns.Sandbox;
import io.netns.planner.ListenRequest;
import io.netns.planner.ListenerPlan;
import io.netns.planner.ListenerPlanner;
import io.netns.rtnl.Addr;
import io.netns.rtnl.Link;
import io.netns.rtnl.RtnlClient;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.HttpURLConnection;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The motivating lab as one command: {@code java -jar examples/target/netns-demo.jar seed}.
 *
 * <p>It builds a lab "docker host" namespace with the addresses 10.20.30.100 and 10.20.30.200 and a client
 * namespace beside it, joined by a veth pair, and walks through the four modes: the port-80 collision in
 * host mode and its fix with the listener planner and {@code expose()}, bridge mode with a published port,
 * container mode, none, and IPv6 (host addresses fetched with {@code curl -6}, a dual-stack bridge). Everything lives in namespaces the demo makes, and is removed at the end, on
 * failure and on Ctrl-C. The web servers are real Apache httpd when {@code /usr/sbin/apache2} is installed
 * (each started in its sandbox with {@link Sandbox#start(ProcessBuilder)} from a generated config in a
 * temporary ServerRoot), and the JDK's built-in HTTP server otherwise; the first lines say which.
 */
public final class Demo {
    static final String HOST_IP1 = "10.20.30.100";
    static final String HOST_IP2 = "10.20.30.200";
    static final String CLIENT_IP = "10.20.30.10";
    static final String HOST6_1 = "fd00:20:30::100";
    static final String HOST6_2 = "fd00:20:30::200";
    static final String CLIENT6 = "fd00:20:30::10";
    static final List<String> COMMANDS = List.of("seed", "host", "bridge", "container", "none", "ipv6");

    private final PrintStream out;
    private final String prefix;
    private final WebServers web;
    private Host lab;
    private NetNamespace client;

    Demo(PrintStream out, String prefix, WebServers web) {
        this.out = out;
        this.prefix = prefix;
        this.web = web;
    }

    /**
     * @param args {@code seed} (all steps), {@code host}, {@code bridge}, {@code container}, {@code none}, or
     *     {@code --help}; then optionally {@code --server=apache} or {@code --server=jdk}
     * @throws Exception if a step fails (after cleaning up)
     */
    public static void main(String[] args) throws Exception {
        // jffi then reads and writes native memory through JNI, not sun.misc.Unsafe, whose memory methods
        // Java 24+ warns about (README, "Java 24 and later"); -Djffi.unsafe.disabled=false restores Unsafe.
        if (System.getProperty("jffi.unsafe.disabled") == null) {
            System.setProperty("jffi.unsafe.disabled", "true");
        }
        String cmd = args.length == 0 ? "--help" : args[0].toLowerCase(Locale.ROOT);
        String server = args.length > 1 ? args[1] : "";
        if (!COMMANDS.contains(cmd) || args.length > 2
                || !List.of("", "--server=apache", "--server=jdk").contains(server)) {
            System.out.println("usage: java -jar netns-demo.jar <command> [--server=apache|jdk]\n\n"
                    + "  seed       the whole lab: host-mode collision and its fix, bridge, container, none\n"
                    + "  host       host mode: two servers on port 80, the planner's fix, expose()\n"
                    + "  bridge     bridge mode with publish(\"8080:80\")\n"
                    + "  container  container mode: a second sandbox in the first one's stack\n"
                    + "  none       none mode: only loopback\n"
                    + "  ipv6       IPv6: two servers on two IPv6 host addresses (curl -6), a dual-stack bridge sandbox\n"
                    + "  --help     this text\n\n"
                    + "Web servers: Apache httpd when /usr/sbin/apache2 is installed (apt-get install apache2), else\n"
                    + "the JDK's built-in HTTP server; --server= chooses. Needs root (CAP_SYS_ADMIN, CAP_NET_ADMIN) and\n"
                    + "iptables. Touches only namespaces it makes; removes them at the end, on failure and on Ctrl-C.");
            System.exit(cmd.equals("--help") || cmd.equals("-h") ? 0 : 2);
        }
        if (server.equals("--server=apache") && !WebServers.apacheInstalled()) {
            System.err.println("--server=apache: " + WebServers.APACHE + " is not installed (apt-get install apache2)");
            System.exit(2);
        }
        WebServers web = server.equals("--server=jdk") ? WebServers.jdk()
                : server.equals("--server=apache") ? WebServers.apache() : WebServers.best();
        // The names of what the demo makes start with "seed-"; -Dio.netns.demo.prefix=... changes that (tests
        // running the jar use it to never meet another run's namespaces).
        Demo demo = new Demo(System.out, System.getProperty("io.netns.demo.prefix", "seed"), web);
        Thread hook = new Thread(demo::cleanup, "netns-demo-cleanup");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            demo.run(cmd);
        } finally {
            demo.cleanup();
            Runtime.getRuntime().removeShutdownHook(hook);
        }
    }

    void run(String cmd) throws Exception {
        setUpLab();
        boolean all = cmd.equals("seed");
        if (all || cmd.equals("host")) {
            hostCollision();
            hostPlanned();
        }
        if (all || cmd.equals("bridge")) {
            bridge();
        }
        if (all || cmd.equals("container")) {
            container();
        }
        if (all || cmd.equals("none")) {
            none();
        }
        if (all || cmd.equals("ipv6")) {
            ipv6();
        }
        out.println();
        out.println("== done: removing the lab (servers, sandboxes, namespaces, veths, leases, rules)");
    }

    private void step(String title) {
        out.println();
        out.println("== " + title);
    }

    private void row(String left, String right) {
        out.println(String.format("   %-36s %s", left, right));
    }

    /** The lab: a host namespace with two addresses and a client namespace, joined by a veth pair. */
    void setUpLab() throws IOException {
        step("lab");
        row("web servers", web.describe());
        lab = Host.createLab(prefix + "-host");
        client = NetNamespace.create(prefix + "-client");
        try (RtnlClient h = RtnlClient.open(lab.namespace()); RtnlClient c = RtnlClient.open(client)) {
            h.addVeth("eth0", "eth0", client);
            h.addAddress("eth0", InetAddress.getByName(HOST_IP1), 24);
            h.addAddress("eth0", InetAddress.getByName(HOST_IP2), 24);
            h.setUp("eth0");
            c.setUp("lo");
            c.addAddress("eth0", InetAddress.getByName(CLIENT_IP), 24);
            c.setUp("eth0");
            // IPv6 too, without duplicate address detection: usable at once, as netns's bridge addresses are.
            h.addAddress("eth0", InetAddress.getByName(HOST6_1), 64, Addr.F_NODAD);
            h.addAddress("eth0", InetAddress.getByName(HOST6_2), 64, Addr.F_NODAD);
            c.addAddress("eth0", InetAddress.getByName(CLIENT6), 64, Addr.F_NODAD);
        }
        // The lab host's firewall drops what is not opened, so expose() is what lets traffic in.
        lab.namespace().run(() -> exec("iptables", "-P", "INPUT", "DROP"));
        lab.namespace().run(() -> exec("iptables", "-A", "INPUT", "-i", "lo", "-j", "ACCEPT"));
        lab.namespace().run(() -> exec("iptables", "-A", "INPUT", "-m", "conntrack", "--ctstate",
                "ESTABLISHED,RELATED", "-j", "ACCEPT"));
        lab.namespace().run(() -> exec("ip6tables", "-P", "INPUT", "DROP"));
        lab.namespace().run(() -> exec("ip6tables", "-A", "INPUT", "-i", "lo", "-j", "ACCEPT"));
        lab.namespace().run(() -> exec("ip6tables", "-A", "INPUT", "-p", "ipv6-icmp", "-j", "ACCEPT")); // neighbour discovery
        lab.namespace().run(() -> exec("ip6tables", "-A", "INPUT", "-m", "conntrack", "--ctstate",
                "ESTABLISHED,RELATED", "-j", "ACCEPT"));
        row("\"docker host\" namespace", prefix + "-host    eth0 " + HOST_IP1 + "/24, " + HOST_IP2 + "/24");
        row("", "                 " + HOST6_1 + "/64, " + HOST6_2 + "/64");
        row("client namespace", prefix + "-client  eth0 " + CLIENT_IP + "/24, " + CLIENT6 + "/64");
        row("lab firewall", "INPUT policy DROP, IPv4 and IPv6 (inside the lab namespace only)");
    }

    /** Step a: two servers configured `Listen 80` in host mode; the second fails, and the planner says why. */
    void hostCollision() throws Exception {
        step("a. host mode: two web servers, both configured `Listen 80`");
        try (Sandbox web1 = lab.create(prefix + "-web1", NetworkMode.host());
                Sandbox web2 = lab.create(prefix + "-web2", NetworkMode.host())) {
            WebServers.Started first = web.start(web1, new InetSocketAddress(80), "web1");
            if (!first.up) {
                throw new IllegalStateException("the first server did not start: " + first.detail);
            }
            row("web1  Listen 80", "up      " + first.detail);
            WebServers.Started second = web.start(web2, new InetSocketAddress(80), "web2");
            if (second.up) {
                throw new IllegalStateException("the second server bound port 80; the kernel should have refused");
            }
            String[] lines = second.detail.split("\n");
            row("web2  Listen 80", "FAILED  " + lines[0]);
            for (int i = 1; i < lines.length; i++) {
                row("", "        " + lines[i]);
            }
            // What the lab holds now, read from inside it (rtnetlink, sock_diag): web1's socket and its process.
            ListenerPlan why = ListenerPlanner.forHost(lab).request(ListenRequest.tcp("web2", 80).allInterfaces())
                    .plan();
            out.println("   the planner, from the lab itself, for web2 on every address, port 80: "
                    + why.outcome("web2").status());
            for (String line : wrap(why.outcome("web2").explanation(), 100)) {
                out.println("     " + line);
            }
            configPlan();
        } finally {
            web.stopAll();
        }
    }

    /**
     * The same verdict before anything starts: two Debian-style apache2 configurations, both {@code Listen 80},
     * read with {@link ListenerPlanner#existingFromApacheConfig}, and the two {@code Listen ip:80} lines that fix it.
     */
    private void configPlan() throws IOException {
        Path root = Files.createTempDirectory(prefix + "-conf");
        try {
            for (String svc : List.of("web1", "web2")) {
                Path dir = Files.createDirectories(root.resolve(svc).resolve("apache2"));
                Files.writeString(dir.resolve("apache2.conf"), "# " + svc + ", Debian layout\n"
                        + "IncludeOptional mods-enabled/*.load\nInclude ports.conf\n"
                        + "IncludeOptional sites-enabled/*.conf\n");
                Files.writeString(dir.resolve("ports.conf"), "Listen 80\n\n<IfModule ssl_module>\n\tListen 443\n"
                        + "</IfModule>\n");
            }
            ListenerPlan fromConfig = ListenerPlanner.create()
                    .hostAddress("eth0", HOST_IP1).hostAddress("eth0", HOST_IP2).hostAddress("lo", "127.0.0.1")
                    .existingFromApacheConfig("web1", root.resolve("web1/apache2/apache2.conf"))
                    .request(ListenRequest.tcp("web2", 80).allInterfaces())
                    .plan();
            out.println("   before anything starts, from the two configurations (web1's read as existing): "
                    + fromConfig.outcome("web2").status());
            for (String line : wrap(fromConfig.outcome("web2").explanation().replace(root + "/", ""), 100)) {
                out.println("     " + line);
            }
            ListenerPlan fix = ListenerPlanner.create()
                    .hostAddress("eth0", HOST_IP1).hostAddress("eth0", HOST_IP2).hostAddress("lo", "127.0.0.1")
                    .request(ListenRequest.tcp("web1", 80)).request(ListenRequest.tcp("web2", 80))
                    .plan();
            for (String svc : List.of("web1", "web2")) {
                row("   fix " + svc + "/apache2/ports.conf", String.join(", ", fix.apacheListen(svc)));
            }
        } finally {
            try (var files = Files.walk(root)) {
                for (Path f : files.sorted(java.util.Comparator.reverseOrder()).toArray(Path[]::new)) {
                    Files.deleteIfExists(f);
                }
            }
        }
    }

    /** Step b: the planner's plan, both servers up on their own address, exposed, fetched from the client. */
    void hostPlanned() throws Exception {
        step("b. the fix: one address each, planned, and exposed in the lab's firewall");
        ListenerPlan plan = ListenerPlanner.create()
                .hostAddress("eth0", HOST_IP1).hostAddress("eth0", HOST_IP2).hostAddress("lo", "127.0.0.1")
                .request(ListenRequest.tcp("web1", 80))
                .request(ListenRequest.tcp("web2", 80))
                .plan();
        for (String svc : List.of("web1", "web2")) {
            row("plan " + svc, "httpd: " + String.join(", ", plan.apacheListen(svc))
                    + "    nginx: " + String.join(", ", plan.nginxListen(svc)));
        }
        List<Sandbox> sandboxes = new ArrayList<>();
        try {
            for (String svc : List.of("web1", "web2")) {
                InetSocketAddress at = plan.bindings(svc).get(0).address();
                Sandbox s = lab.create(prefix + "-" + svc, NetworkMode.host().expose(at));
                sandboxes.add(s);
                WebServers.Started st = web.start(s, at, svc);
                if (!st.up) {
                    throw new IllegalStateException(svc + " did not start: " + st.detail);
                }
                row(svc + "  " + WebServers.listen(at), "up      host().expose(" + at.getAddress().getHostAddress()
                        + ":" + at.getPort() + ")");
            }
            Sandbox hidden = lab.create(prefix + "-hidden", NetworkMode.host());
            sandboxes.add(hidden);
            WebServers.Started st = web.start(hidden, new InetSocketAddress(HOST_IP1, 8081), "hidden");
            if (!st.up) {
                throw new IllegalStateException("hidden did not start: " + st.detail);
            }
            row("hidden  Listen " + HOST_IP1 + ":8081", "up      host(), not exposed");
            out.println("   from the client (" + CLIENT_IP + "):");
            row("  GET http://" + HOST_IP1 + "/", "-> " + fetch("http://" + HOST_IP1 + "/"));
            row("  GET http://" + HOST_IP2 + "/", "-> " + fetch("http://" + HOST_IP2 + "/"));
            row("  GET http://" + HOST_IP1 + ":8081/", "-> " + fetch("http://" + HOST_IP1 + ":8081/"));
        } finally {
            web.stopAll();
            for (Sandbox s : sandboxes) {
                s.close();
            }
        }
    }

    /** Step c: bridge mode with publish("8080:80"), fetched from the client through the host's address. */
    void bridge() throws Exception {
        step("c. bridge mode: NetworkMode.bridge().publish(\"8080:80\")   (docker run -p 8080:80)");
        try (Sandbox br = lab.create(prefix + "-br", NetworkMode.bridge().publish("8080:80"))) {
            String ip = br.addresses().get(0).getHostAddress();
            WebServers.Started st = web.start(br, new InetSocketAddress(80), "bridge sandbox " + ip);
            if (!st.up) {
                throw new IllegalStateException("the bridge sandbox's server did not start: " + st.detail);
            }
            row("sandbox " + br.name() + "  Listen 80", "eth0 " + ip + " on bridge netns0 (10.89.0.0/24)");
            row("published " + br.published(), "lab :8080 -> " + ip + ":80 (DNAT in the lab's firewall)");
            row("client: GET http://" + HOST_IP1 + ":8080/", "-> " + fetch("http://" + HOST_IP1 + ":8080/"));
        } finally {
            web.stopAll();
        }
    }

    /** Step d: a second sandbox joins the first one's stack and reaches its server on 127.0.0.1. */
    void container() throws Exception {
        step("d. container mode: NetworkMode.container(\"" + prefix + "-app\")");
        try (Sandbox app = lab.create(prefix + "-app", NetworkMode.bridge())) {
            WebServers.Started st = web.start(app, new InetSocketAddress(InetAddress.getLoopbackAddress(), 9000),
                    "app on 127.0.0.1");
            if (!st.up) {
                throw new IllegalStateException("app's server did not start: " + st.detail);
            }
            Sandbox side = lab.create(prefix + "-side", NetworkMode.container(prefix + "-app"));
            String got = side.call(() -> get("http://127.0.0.1:9000/"));
            row("app   Listen 127.0.0.1:9000", "netns inode " + app.namespace().inode());
            row("side  container(app)", "netns inode " + side.namespace().inode() + " (the same stack)");
            row("side: GET http://127.0.0.1:9000/", "-> " + got);
        } finally {
            web.stopAll(); // closing app closed side first: a stack lives as long as its owner
        }
    }

    /**
     * Step f: IPv6. Two servers in host mode on the lab host's two IPv6 addresses, exposed in its IPv6 firewall,
     * fetched from the client with {@code curl -6}; then a sandbox on a dual-stack bridge network with a published
     * port.
     */
    void ipv6() throws Exception {
        step("f. IPv6: two servers on two IPv6 addresses of the host, and a dual-stack bridge sandbox");
        List<Sandbox> sandboxes = new ArrayList<>();
        try {
            for (String[] svc : new String[][] {{"web6a", HOST6_1}, {"web6b", HOST6_2}}) {
                InetSocketAddress at = new InetSocketAddress(InetAddress.getByName(svc[1]), 80);
                Sandbox s = lab.create(prefix + "-" + svc[0], NetworkMode.host().expose(at));
                sandboxes.add(s);
                WebServers.Started st = web.start(s, at, svc[0]);
                if (!st.up) {
                    throw new IllegalStateException(svc[0] + " did not start: " + st.detail);
                }
                row(svc[0] + "  " + WebServers.listen(at), "up      host().expose([" + svc[1] + "]:80)");
            }
            InetSocketAddress hiddenAt = new InetSocketAddress(InetAddress.getByName(HOST6_1), 8081);
            Sandbox hidden = lab.create(prefix + "-hidden6", NetworkMode.host());
            sandboxes.add(hidden);
            WebServers.Started hs = web.start(hidden, hiddenAt, "hidden6");
            if (!hs.up) {
                throw new IllegalStateException("hidden6 did not start: " + hs.detail);
            }
            row("hidden6  " + WebServers.listen(hiddenAt), "up      host(), not exposed");
            out.println("   from the client (" + CLIENT6 + "):");
            for (String url : List.of("http://[" + HOST6_1 + "]/", "http://[" + HOST6_2 + "]/", "http://[" + HOST6_1 + "]:8081/")) {
                row("  curl -6 " + url, "-> " + curl6(client.name(), url));
            }
            // A dual-stack bridge network: an IPv6 address (no DAD wait) and route besides the IPv4 ones; the port
            // is published in both families.
            Sandbox br = lab.create(prefix + "-br6", NetworkMode.bridge().name("netns6").subnet("10.89.6.0/24")
                    .subnet6("fd89:0:0:6::/64").publish(8086, 80));
            sandboxes.add(br);
            List<InetAddress> addrs = br.addresses();
            String v4 = addrs.get(0).getHostAddress();
            String v6 = WebServers.text(addrs.get(1));
            WebServers.Started st = web.start(br, new InetSocketAddress(80), "dual-stack sandbox " + v6);
            if (!st.up) {
                throw new IllegalStateException("the dual-stack sandbox's server did not start: " + st.detail);
            }
            row("sandbox " + br.name() + "  Listen 80", "eth0 " + v4 + ", " + v6 + " on bridge netns6");
            row("", "(10.89.6.0/24, fd89:0:0:6::/64; gateways 10.89.6.1, fd89:0:0:6::1)");
            row("lab: curl -6 http://[" + v6 + "]/", "-> " + curl6(lab.namespace().name(), "http://[" + v6 + "]/"));
            row("published", "lab :8086 -> [" + v6 + "]:80 and " + v4 + ":80");
            String url6 = "http://[" + HOST6_1 + "]:8086/";
            row("client: curl -6 " + url6, "-> " + curl6(client.name(), url6));
            String url4 = "http://" + HOST_IP1 + ":8086/";
            row("client: GET " + url4, "-> " + fetch(url4));
        } finally {
            web.stopAll();
            for (Sandbox s : sandboxes) {
                s.close();
            }
        }
    }

    /**
     * Fetches a URL over IPv6 with {@code curl -6} started in a namespace ({@code ip netns exec}, as a user would
     * type it), or with the JDK from a thread inside when curl is not installed.
     */
    private String curl6(String namespace, String url) throws Exception {
        if (!Files.isExecutable(Path.of("/usr/bin/curl"))) {
            NetNamespace ns = NetNamespace.open(namespace);
            try {
                return ns.call(() -> get(url)) + " (the JDK: curl is not installed)";
            } finally {
                ns.close();
            }
        }
        Process p = new ProcessBuilder("ip", "netns", "exec", namespace, "curl", "-6", "-sS", "--connect-timeout", "1.5", "--max-time", "3",
                "-w", "\n%{http_code}", url).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        p.waitFor();
        if (p.exitValue() != 0) {
            return "refused (" + output.lines().filter(l -> l.startsWith("curl:")).findFirst().orElse(output) + ")";
        }
        int nl = output.lastIndexOf('\n');
        return output.substring(nl + 1) + " \"" + output.substring(0, Math.max(nl, 0)).trim() + "\"";
    }

    /** Step e: none mode has only loopback. */
    void none() throws Exception {
        step("e. none mode: NetworkMode.none()");
        try (Sandbox iso = lab.create(prefix + "-iso", NetworkMode.none())) {
            List<String> links = new ArrayList<>();
            try (RtnlClient rtnl = RtnlClient.open(iso.namespace())) {
                for (Link l : rtnl.links()) {
                    links.add(l.name() + (l.isUp() ? " (up)" : " (down)"));
                }
            }
            row("interfaces inside", links.toString());
            row("iso: GET http://" + HOST_IP1 + "/", "-> " + iso.call(() -> get("http://" + HOST_IP1 + "/")));
        }
    }

    static List<String> wrap(String text, int width) {
        List<String> lines = new ArrayList<>();
        for (String para : text.split("\n")) {
            StringBuilder line = new StringBuilder();
            for (String word : para.split(" ")) {
                if (line.length() > 0 && line.length() + 1 + word.length() > width) {
                    lines.add(line.toString());
                    line.setLength(0);
                }
                line.append(line.length() > 0 ? " " : "").append(word);
            }
            lines.add(line.toString());
        }
        return lines;
    }

    /** Fetches a URL from the client namespace. */
    private String fetch(String url) throws NetnsException {
        return client.call(() -> get(url));
    }

    private static String get(String url) {
        try {
            HttpURLConnection c = (HttpURLConnection) new URL(url).openConnection();
            // The JDK keeps idle connections in one pool per JVM, not per namespace: never reuse one
            // opened inside another namespace.
            c.setRequestProperty("Connection", "close");
            c.setConnectTimeout(1500);
            c.setReadTimeout(3000);
            try (InputStream in = c.getInputStream()) {
                return c.getResponseCode() + " \"" + new String(in.readAllBytes(), StandardCharsets.UTF_8).trim() + "\"";
            }
        } catch (IOException e) {
            return "refused (" + e.getClass().getSimpleName() + ": " + e.getMessage() + ")";
        }
    }

    private static void exec(String... argv) throws IOException {
        try {
            Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
            String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (p.waitFor() != 0) {
                throw new IOException(String.join(" ", argv) + " failed: " + output);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
    }

    /** Removes everything the demo made; safe to call twice (normal end and Ctrl-C). */
    synchronized void cleanup() {
        web.stopAll();
        if (lab != null) {
            try {
                lab.close();
            } catch (NetnsException e) {
                System.err.println("cleanup: " + e.getMessage());
            }
            lab = null;
        }
        if (client != null) {
            client.close();
            try {
                client.delete();
            } catch (NetnsException e) {
                System.err.println("cleanup: " + e.getMessage());
            }
            client = null;
        }
        web.close(); // after the lab: httpd processes stopped with their sandboxes
    }
}
