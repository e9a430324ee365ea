package io.netns.examples;

import com.sun.net.httpserver.HttpServer;
import io.netns.Host;
import io.netns.NetNamespace;
import io.netns.NetworkMode;
import io.netns.Sandbox;
import io.netns.rtnl.RtnlClient;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URL;
import java.nio.charset.StandardCharsets;

/**
 * An HTTP server in a bridge sandbox with a published port ({@code -p 8080:80}), fetched from a client
 * namespace through the host's address. The host is a lab host with the address 10.20.40.1, and the
 * client a namespace beside it on 10.20.40.2. Needs {@code io.netns:netns-iptables} for the publishing.
 */
public final class PublishedHttpServer {
    static final String HOST_IP = "10.20.40.1";
    static final String CLIENT_IP = "10.20.40.2";

    private PublishedHttpServer() {
    }

    /**
     * @param args optional name prefix
     * @throws Exception if the machine cannot do this
     */
    public static void main(String[] args) throws Exception {
        System.out.println(run(args.length > 0 ? args[0] : "pub-" + ProcessHandle.current().pid()));
    }

    /**
     * @param prefix names: {@code <prefix>-host}, {@code <prefix>-client}, {@code <prefix>-web}
     * @return what the client got from {@code http://10.20.40.1:8080/}
     * @throws Exception if a step fails (everything made is removed first)
     */
    public static String run(String prefix) throws Exception {
        try (Host host = Host.createLab(prefix + "-host")) {
            NetNamespace client = NetNamespace.create(prefix + "-client");
            try {
                wire(host, client);
                Sandbox web = host.create(prefix + "-web", NetworkMode.bridge().publish("8080:80"));
                String ip = web.addresses().get(0).getHostAddress();
                HttpServer server = serve(web, ip);
                try {
                    return client.call(() -> get("http://" + HOST_IP + ":8080/"));
                } finally {
                    server.stop(0);
                }
            } finally {
                client.close();
                client.delete();
            }
        } // closes web: namespace, veth, lease and DNAT rules removed; then the lab namespace
    }

    /** An HTTP server bound to port 80 inside the sandbox, answering {@code hello from <ip>:80}; started. */
    static HttpServer serve(Sandbox web, String ip) throws Exception {
        HttpServer server = web.call(() -> HttpServer.create(new InetSocketAddress(80), 16)); // bound inside
        byte[] body = ("hello from " + ip + ":80\n").getBytes(StandardCharsets.UTF_8);
        server.createContext("/", ex -> {
            ex.sendResponseHeaders(200, body.length);
            ex.getResponseBody().write(body);
            ex.close();
        });
        server.start();
        return server;
    }

    /** A veth pair between the lab host and the client: 10.20.40.1 and 10.20.40.2. */
    static void wire(Host host, NetNamespace client) throws Exception {
        try (RtnlClient h = RtnlClient.open(host.namespace()); RtnlClient c = RtnlClient.open(client)) {
            h.addVeth("eth0", "eth0", client);
            h.addAddress("eth0", InetAddress.getByName(HOST_IP), 24);
            h.setUp("eth0");
            c.setUp("lo");
            c.addAddress("eth0", InetAddress.getByName(CLIENT_IP), 24);
            c.setUp("eth0");
        }
    }

    static String get(String url) throws Exception {
        HttpURLConnection c = (HttpURLConnection) new URL(url).openConnection();
        // The JDK keeps idle connections in one pool per JVM, not per namespace: never reuse one
        // opened inside another namespace.
        c.setRequestProperty("Connection", "close");
        c.setConnectTimeout(3000);
        c.setReadTimeout(3000);
        try (InputStream in = c.getInputStream()) {
            return c.getResponseCode() + " " + new String(in.readAllBytes(), StandardCharsets.UTF_8).strip();
        }
    }
}
