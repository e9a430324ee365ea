package io.netns.examples;

import com.sun.net.httpserver.HttpServer;
import io.netns.CniResult;
import io.netns.Host;
import io.netns.NetNamespace;
import io.netns.NetworkMode;
import io.netns.Sandbox;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * A sandbox on a CNI network: the README's "Networks that span hosts (CNI)" example. The network is a
 * conflist of Debian's plugins (bridge with host-local IPAM, then portmap), written to a temporary
 * configuration directory; the plugins run with a lab host as their host, and an HTTP server in the sandbox is
 * fetched from a client namespace through the port portmap published ({@code -p 8080:80}). Swap the conflist
 * for flannel's, Calico's or a macvlan one and the same code joins that network. Needs
 * {@code containernetworking-plugins} in {@code /usr/lib/cni}.
 */
public final class CniNetwork {
    private CniNetwork() {
    }

    /**
     * @param args optional name prefix
     * @throws Exception if the machine cannot do this
     */
    public static void main(String[] args) throws Exception {
        System.out.println(run(args.length > 0 ? args[0] : "cnidemo-" + ProcessHandle.current().pid()));
    }

    /**
     * @param prefix names: {@code <prefix>-host}, {@code <prefix>-client}, {@code <prefix>-web}, network {@code <prefix>-net}
     * @return what the client got from {@code http://10.20.40.1:8080/}, and the sandbox's CNI result
     * @throws Exception if a step fails (everything made is removed first)
     */
    public static String run(String prefix) throws Exception {
        Path conf = Files.createTempDirectory(prefix + "-cni");
        try {
            Files.writeString(conf.resolve("10-demo.conflist"), """
                    {"cniVersion": "1.0.0", "name": "%s-net", "plugins": [
                      {"type": "bridge", "bridge": "cnidemo0", "isGateway": true, "ipMasq": true,
                       "ipam": {"type": "host-local", "subnet": "10.22.0.0/24", "dataDir": "%s",
                                "routes": [{"dst": "0.0.0.0/0"}]}},
                      {"type": "portmap", "capabilities": {"portMappings": true}}
                    ]}
                    """.formatted(prefix, conf.resolve("ipam")));
            try (Host host = Host.createLab(prefix + "-host")) {
                NetNamespace client = NetNamespace.create(prefix + "-client");
                try {
                    PublishedHttpServer.wire(host, client);
                    Sandbox web = host.create(prefix + "-web", NetworkMode.cni(prefix + "-net")
                            .confDir(conf).pluginDirs(Path.of("/usr/lib/cni")).publish(8080, 80));
                    CniResult result = web.cniResult().orElseThrow();   // interfaces, IPs, routes, DNS
                    String ip = web.addresses().get(0).getHostAddress();  // from the result: 10.22.0.2
                    HttpServer server = PublishedHttpServer.serve(web, ip);
                    try {
                        return client.call(() -> PublishedHttpServer.get("http://" + PublishedHttpServer.HOST_IP + ":8080/"))
                                + "\n" + result.json();
                    } finally {
                        server.stop(0);
                    }
                } finally {
                    client.close();
                    client.delete();
                }
            } // closes web: DEL of portmap then bridge with the cached result, then the namespace; then the lab
        } finally {
            try (Stream<Path> s = Files.walk(conf)) {
                for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }
}
