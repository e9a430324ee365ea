package io.netns.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

/**
 * A CNI network for tests on a lab host: a configuration directory and host-local's data directory inside
 * the test's temporary directory (never {@code /etc/cni/net.d} or {@code /var/lib/cni}), Debian's plugins
 * from {@code /usr/lib/cni}, and the checks that a closed sandbox left nothing in the lab: no lease, no
 * veth, no per-container iptables chain or rule.
 */
public final class CniLab {
    /** Where Debian's containernetworking-plugins are. */
    public static final Path PLUGINS = Path.of("/usr/lib/cni");

    private final Path confDir;
    private final Path dataDir;
    private final String network;
    private final String bridge;
    private final String subnet;

    /**
     * @param tmp the test's temporary directory
     * @param network the network name
     * @param bridge the bridge's name in the lab (at most 15 characters)
     * @param subnet the subnet's first three octets, e.g. {@code 10.77.0}
     */
    public CniLab(Path tmp, String network, String bridge, String subnet) throws IOException {
        requirePlugins();
        this.confDir = Files.createDirectories(tmp.resolve("net.d"));
        this.dataDir = tmp.resolve("ipam");
        this.network = network;
        this.bridge = bridge;
        this.subnet = subnet;
    }

    /** Skips (or fails in CI) when the plugins are not installed; scripts/setup.sh installs them. */
    public static void requirePlugins() {
        Privileged.requireThat(Files.isExecutable(PLUGINS.resolve("bridge")),
                "the CNI plugins in " + PLUGINS + " (scripts/setup.sh installs containernetworking-plugins)");
    }

    /** @return the bridge plugin's configuration with host-local IPAM, as one JSON object */
    public String bridgePlugin() {
        return "{\"type\":\"bridge\",\"bridge\":\"" + bridge + "\",\"isGateway\":true,\"ipMasq\":true,"
                + "\"ipam\":{\"type\":\"host-local\",\"subnet\":\"" + subnet + ".0/24\",\"dataDir\":\"" + dataDir
                + "\",\"routes\":[{\"dst\":\"0.0.0.0/0\"}]}}";
    }

    /**
     * Writes {@code <network>.conflist}.
     *
     * @param version the cniVersion
     * @param plugins the plugin objects' JSON
     * @return the file
     */
    public Path write(String version, String... plugins) throws IOException {
        return writeAs(network + ".conflist", network, version, plugins);
    }

    /**
     * Writes a conflist file.
     *
     * @param file its name in the configuration directory
     * @param name the network name in it
     * @param version the cniVersion
     * @param plugins the plugin objects' JSON
     * @return the file
     */
    public Path writeAs(String file, String name, String version, String... plugins) throws IOException {
        String text = "{\"cniVersion\":\"" + version + "\",\"name\":\"" + name + "\",\"plugins\":["
                + String.join(",", plugins) + "]}";
        return Files.writeString(confDir.resolve(file), text);
    }

    /** @return bridge + host-local, portmap, firewall and tuning (with the mac capability), spec 1.0.0 */
    public Path writeFull() throws IOException {
        return write("1.0.0", bridgePlugin(), "{\"type\":\"portmap\",\"capabilities\":{\"portMappings\":true}}",
                "{\"type\":\"firewall\"}", "{\"type\":\"tuning\",\"capabilities\":{\"mac\":true}}");
    }

    /** @return the configuration directory */
    public Path confDir() {
        return confDir;
    }

    /** @return host-local's data directory */
    public Path dataDir() {
        return dataDir;
    }

    /** @return the network name */
    public String network() {
        return network;
    }

    /** @return the bridge name */
    public String bridge() {
        return bridge;
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /** @return the lease files host-local holds for the network (its bookkeeping files excluded) */
    public List<String> leases() throws IOException {
        Path d = dataDir.resolve(network);
        if (!Files.isDirectory(d)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(d)) {
            return s.map(f -> f.getFileName().toString())
                    .filter(n -> !n.startsWith("last_reserved_ip") && !n.equals("lock")).sorted().toList();
        }
    }

    /**
     * Fails when the lab still has what the plugins made for a container: a lease, a veth, an iptables rule
     * or chain naming the container or its address.
     *
     * @param lab the lab namespace's name
     * @param containerIds the sandbox names
     * @param addresses their former addresses
     */
    public void assertNothingLeft(String lab, List<String> containerIds, List<String> addresses) throws IOException {
        assertEquals(List.of(), leases(), "host-local leases left");
        // Link lines only: ip also prints "Error: Peer netns reference is invalid." (stderr, merged by Cmd) for
        // a veth whose peer's namespace is being freed at that moment; such a veth still counts.
        List<String> left = List.of();
        for (int i = 0; i < 50; i++) {
            String veths = Cmd.run("ip", "-n", lab, "-o", "link", "show", "type", "veth");
            left = Arrays.stream(veths.split("\n")).filter(l -> l.matches("^\\d+: .*") && !l.contains(" up0@")).toList();
            if (left.isEmpty()) {
                break;
            }
            sleep(100);
        }
        assertEquals(List.of(), left, "veths left in the lab");
        for (String table : List.of("filter", "nat", "mangle")) {
            String rules = Cmd.run("ip", "netns", "exec", lab, "iptables-save", "-t", table);
            for (String line : rules.split("\n")) {
                for (String id : containerIds) {
                    assertTrue(!line.contains("\"" + id + "\""), "rule of " + id + " left in " + table + ": " + line);
                }
                for (String a : addresses) {
                    assertTrue(!line.matches(".*[ !]" + a.replace(".", "\\.") + "(/32)?( .*|$)"),
                            "rule for " + a + " left in " + table + ": " + line);
                }
                assertTrue(!line.startsWith(":CNI-DN-") && !line.matches("^:CNI-[0-9a-f]{24} .*"),
                        "per-container chain left in " + table + ": " + line);
            }
        }
    }
}
