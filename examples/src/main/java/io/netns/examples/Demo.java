package io.netns.examples;

import com.sun.net.httpserver.HttpServer;
import io.netns.Host;
import io.netns.NetNamespace;
import io.netns.NetnsException;
import io.netns.NetworkMode;
import io.netns.Sandbox;
import io.netns.planner.ListenRequest;
import io.netns.planner.ListenerPlan;
import io.netns.planner.ListenerPlanner;
import io.netns.rtnl.Link;
import io.netns.rtnl.RtnlClient;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.BindException;
import java.net.HttpURLConnection;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Executors;

/**
 * The motivating lab as one command: {@code java -jar examples/target/netns-demo.jar seed}.
 *
 * <p>It builds a lab "docker host" namespace with the addresses 10.20.30.100 and 10.20.30.200 and a client
 * namespace beside it, joined by a veth pair, and walks through the four modes: the port-80 collision in
 * host mode and its fix with the listener planner and {@code expose()}, bridge mode with a published port,
 * container mode, and none. Everything lives in namespaces the demo makes, and is removed at the end, on
 * failure and on Ctrl-C. The web servers are the JDK's built-in HTTP server.
 */
public final class Demo {
    static final String HOST_IP1 = "10.20.30.100";
    static final String HOST_IP2 = "10.20.30.200";
    static final String CLIENT_IP = "10.20.30.10";

    private final PrintStream out;
    private final String prefix;
    private final List<HttpServer> servers = new ArrayList<>();
    private Host lab;
    private NetNamespace client;

    Demo(PrintStream out, String prefix) {
        this.out = out;
        this.prefix = prefix;
    }

    /**
     * @param args {@code seed} (all steps), {@code host}, {@code bridge}, {@code container}, {@code none}, or
     *     {@code --help}
     * @throws Exception if a step fails (after cleaning up)
     */
    public static void main(String[] args) throws Exception {
        String cmd = args.length == 0 ? "--help" : args[0].toLowerCase(Locale.ROOT);
        if (!List.of("seed", "host", "bridge", "container", "none").contains(cmd)) {
            System.out.println("usage: java -jar netns-demo.jar <command>\n\n"
                    + "  seed       the whole lab: host-mode collision and its fix, bridge, container, none\n"
                    + "  host       host mode: two servers on port 80, the planner's fix, expose()\n"
                    + "  bridge     bridge mode with publish(8080, 80)\n"
                    + "  container  container mode: a second sandbox in the first one's stack\n"
                    + "  none       none mode: only loopback\n"
                    + "  --help     this text\n\n"
                    + "Needs root (CAP_SYS_ADMIN, CAP_NET_ADMIN) and iptables. Touches only namespaces it makes.");
            System.exit(cmd.equals("--help") || cmd.equals("-h") ? 0 : 2);
        }
        Demo demo = new Demo(System.out, "seed");
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
        out.println();
        out.println("== done: removing the lab (sandboxes, namespaces, veths, leases, rules)");
    }

    /** The lab: a host namespace with two addresses and a client namespace, joined by a veth pair. */
    void setUpLab() throws IOException {
        out.println("== lab: host namespace '" + prefix + "-host' (" + HOST_IP1 + ", " + HOST_IP2 + "), client '"
                + prefix + "-client' (" + CLIENT_IP + ")");
        out.println("   web servers: the JDK's built-in HTTP server (com.sun.net.httpserver)");
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
        }
        // The lab host's firewall drops what is not opened, so expose() is what lets traffic in.
        lab.namespace().run(() -> exec("iptables", "-P", "INPUT", "DROP"));
        lab.namespace().run(() -> exec("iptables", "-A", "INPUT", "-i", "lo", "-j", "ACCEPT"));
        lab.namespace().run(() -> exec("iptables", "-A", "INPUT", "-m", "conntrack", "--ctstate",
                "ESTABLISHED,RELATED", "-j", "ACCEPT"));
        out.println("   lab firewall: INPUT policy DROP (inside the lab only)");
    }

    /** Step a: two servers configured `Listen 80` in host mode; the second fails, and the planner says why. */
    void hostCollision() throws Exception {
        out.println();
        out.println("== a. host mode: two web servers, both configured `Listen 80`");
        Sandbox web1 = lab.create(prefix + "-web1", NetworkMode.host());
        Sandbox web2 = lab.create(prefix + "-web2", NetworkMode.host());
        HttpServer first = web1.call(() -> serve(new InetSocketAddress(80), "web1"));
        out.println("   web1  Listen 80  -> bound " + first.getAddress());
        try {
            HttpServer second = web2.call(() -> serve(new InetSocketAddress(80), "web2"));
            second.stop(0);
            throw new IllegalStateException("the second server bound port 80; the kernel should have refused");
        } catch (BindException e) {
            out.println("   web2  Listen 80  -> (98)Address already in use: could not bind to address [::]:80");
        }
        ListenerPlan why = ListenerPlanner.create()
                .hostAddress("eth0", HOST_IP1).hostAddress("eth0", HOST_IP2).hostAddress("lo", "127.0.0.1")
                .existing("tcp6 LISTEN [::]:80 v6only=0")
                .request(ListenRequest.tcp("web2", 80).allInterfaces())
                .plan();
        out.println("   planner, asked for web2 on every address, port 80: " + why.outcome("web2").status());
        out.println("     " + why.outcome("web2").explanation().replace("\n", "\n     "));
        stop(first);
        web1.close();
        web2.close();
    }

    /** Step b: the planner's plan, both servers up on their own address, exposed, fetched from the client. */
    void hostPlanned() throws Exception {
        out.println();
        out.println("== b. the fix: one address each, planned, and exposed in the lab's firewall");
        ListenerPlan plan = ListenerPlanner.create()
                .hostAddress("eth0", HOST_IP1).hostAddress("eth0", HOST_IP2).hostAddress("lo", "127.0.0.1")
                .request(ListenRequest.tcp("web1", 80))
                .request(ListenRequest.tcp("web2", 80))
                .plan();
        for (String line : plan.apacheListen()) {
            out.println("   httpd:  " + line);
        }
        for (String line : plan.nginxListen()) {
            out.println("   nginx:  " + line);
        }
        List<Sandbox> webs = new ArrayList<>();
        for (String svc : List.of("web1", "web2")) {
            InetSocketAddress at = plan.bindings(svc).get(0).address();
            Sandbox s = lab.create(prefix + "-" + svc, NetworkMode.host().expose(at));
            webs.add(s);
            HttpServer server = s.call(() -> serve(at, svc));
            servers.add(server);
        }
        Sandbox hidden = lab.create(prefix + "-hidden", NetworkMode.host());
        servers.add(hidden.call(() -> serve(new InetSocketAddress(HOST_IP1, 8081), "hidden")));
        out.println("   from the client:");
        out.println("     GET http://" + HOST_IP1 + "/      -> " + fetch("http://" + HOST_IP1 + "/"));
        out.println("     GET http://" + HOST_IP2 + "/      -> " + fetch("http://" + HOST_IP2 + "/"));
        out.println("     GET http://" + HOST_IP1 + ":8081/ -> " + fetch("http://" + HOST_IP1 + ":8081/")
                + "   (listening, but not exposed)");
        stopAll();
        for (Sandbox s : webs) {
            s.close();
        }
        hidden.close();
    }

    /** Step c: bridge mode with publish(8080, 80), fetched from the client through the host's address. */
    void bridge() throws Exception {
        out.println();
        out.println("== c. bridge mode: NetworkMode.bridge().publish(8080, 80)");
        Sandbox web = lab.create(prefix + "-br", NetworkMode.bridge().publish(8080, 80));
        servers.add(web.call(() -> serve(new InetSocketAddress(80), "bridge sandbox " + web.addresses().get(0).getHostAddress())));
        out.println("   sandbox eth0: " + web.addresses().get(0).getHostAddress() + " on bridge netns0 (10.89.0.0/24)");
        out.println("   from the client: GET http://" + HOST_IP1 + ":8080/ -> " + fetch("http://" + HOST_IP1 + ":8080/"));
        stopAll();
        web.close();
    }

    /** Step d: a second sandbox joins the first one's stack and reaches its server on 127.0.0.1. */
    void container() throws Exception {
        out.println();
        out.println("== d. container mode: NetworkMode.container(\"" + prefix + "-app\")");
        Sandbox app = lab.create(prefix + "-app", NetworkMode.bridge());
        servers.add(app.call(() -> serve(new InetSocketAddress(InetAddress.getLoopbackAddress(), 9000), "app on 127.0.0.1")));
        Sandbox side = lab.create(prefix + "-side", NetworkMode.container(prefix + "-app"));
        String got = side.call(() -> get("http://127.0.0.1:9000/"));
        out.println("   side's stack is app's (inode " + side.namespace().inode() + " = " + app.namespace().inode() + ")");
        out.println("   from side: GET http://127.0.0.1:9000/ -> " + got);
        stopAll();
        app.close(); // closes side first: a stack lives as long as its owner
    }

    /** Step e: none mode has only loopback. */
    void none() throws Exception {
        out.println();
        out.println("== e. none mode: NetworkMode.none()");
        try (Sandbox iso = lab.create(prefix + "-iso", NetworkMode.none())) {
            List<String> links = new ArrayList<>();
            try (RtnlClient rtnl = RtnlClient.open(iso.namespace())) {
                for (Link l : rtnl.links()) {
                    links.add(l.name() + (l.isUp() ? " (up)" : " (down)"));
                }
            }
            out.println("   interfaces inside: " + links);
        }
    }

    private HttpServer serve(InetSocketAddress at, String who) throws IOException {
        HttpServer s = HttpServer.create(at, 16);
        byte[] body = ("hello from " + who + "\n").getBytes(StandardCharsets.UTF_8);
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
        return s;
    }

    /** Fetches a URL from the client namespace. */
    private String fetch(String url) throws NetnsException {
        return client.call(() -> get(url));
    }

    private static String get(String url) {
        try {
            HttpURLConnection c = (HttpURLConnection) new URL(url).openConnection();
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

    private void stop(HttpServer s) {
        s.stop(0);
        ((java.util.concurrent.ExecutorService) s.getExecutor()).shutdownNow();
    }

    private void stopAll() {
        for (HttpServer s : servers) {
            stop(s);
        }
        servers.clear();
    }

    /** Removes everything the demo made; safe to call twice (normal end and Ctrl-C). */
    synchronized void cleanup() {
        stopAll();
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
    }
}
