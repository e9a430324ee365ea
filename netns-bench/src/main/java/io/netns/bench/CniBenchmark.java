package io.netns.bench;

import io.netns.CniMode;
import io.netns.NetNamespace;
import io.netns.NetnsException;
import io.netns.NetworkMode;
import io.netns.Sandbox;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * CNI mode's overhead: {@code cni("bridge-net")} create+close against the same plugins run by hand, side by
 * side in one run, in microseconds. The network is Debian's {@code bridge} plugin with {@code host-local}
 * IPAM (spec 1.0.0) on a lab host; the plugins run with the lab as their host, as in the tests.
 *
 * <p>{@link #cniCreateClose}: {@code Host.create} (owner record, namespace with {@code lo} up, VERSION answered
 * from the per-file cache, the cache entry written before and after ADD, ADD, the result parsed) and
 * {@code close} (DEL with the cached result, cache entry, namespace, record). {@link #pluginsByHand}: what a
 * minimal runtime must do for the same: make the namespace, run {@code bridge} ADD with the spec's
 * environment and the configuration on stdin (from a thread inside the lab, as cnitool under
 * {@code ip netns exec} would), then DEL with the result as {@code prevResult}, delete the namespace. The
 * plugins' own time (two process starts, the IPAM child, netlink, iptables for {@code ipMasq}) dominates both;
 * the ratio is what netns adds. Target: at most 1.1×.
 *
 * <p>Like {@link SetupBenchmark}, one anchor sandbox made per trial keeps the bridge network in place, so both
 * measure the n-th attachment, not the first. Needs {@code /usr/lib/cni} (scripts/setup.sh installs it);
 * {@code run.sh} leaves the class out when {@link Capabilities} says {@code cni=no}.
 */
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class CniBenchmark extends AbstractNetnsBenchmark {
    /** Debian's plugins. */
    static final Path PLUGINS = Path.of("/usr/lib/cni");
    /** The network's name, as the issue names it. */
    static final String NETWORK = "bridge-net";

    /** A lab host, the configuration directory, host-local's data directory and the anchor sandbox. */
    @State(Scope.Benchmark)
    public static class LabState {
        Lab lab;
        Path dir;
        CniMode mode;
        String bridgeConf;

        private final Undo undo = new Undo();

        @Setup
        public void open() throws Exception {
            try {
                if (!Files.isExecutable(PLUGINS.resolve("bridge"))) {
                    throw new IllegalStateException("CNI plugins not installed in " + PLUGINS + " (scripts/setup.sh)");
                }
                dir = Files.createTempDirectory(Names.unique("cni"));
                undo.push(() -> delete(dir));
                lab = undo.closing(Lab.open("cni"));
                bridgeConf = bridgeConf(dir.resolve("ipam"));
                Files.writeString(dir.resolve(NETWORK + ".conflist"), "{\"cniVersion\":\"1.0.0\",\"name\":\"" + NETWORK
                        + "\",\"plugins\":[" + bridgeConf + "]}");
                mode = NetworkMode.cni(NETWORK).confDir(dir).pluginDirs(PLUGINS);
                undo.closing(lab.host().create(Names.unique("canc"), mode));
            } catch (Exception | Error e) {
                throw undo.abort(e);
            }
        }

        @TearDown
        public void close() throws Exception {
            undo.run(); // the anchor, the lab host, the directory
        }
    }

    static String bridgeConf(Path dataDir) {
        return "{\"type\":\"bridge\",\"bridge\":\"cnibench0\",\"isGateway\":true,\"ipMasq\":true,\"ipam\":{\"type\":"
                + "\"host-local\",\"subnet\":\"10.214.8.0/22\",\"dataDir\":\"" + dataDir + "\",\"routes\":[{\"dst\":\"0.0.0.0/0\"}]}}";
    }

    private static void delete(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    /** {@code lab.create(name, cni("bridge-net"))} then {@code close()}. */
    @Benchmark
    public Sandbox cniCreateClose(LabState s) throws NetnsException {
        Sandbox sb = s.lab.host().create(Names.unique("cn"), s.mode);
        sb.close();
        return sb;
    }

    /** The namespace, bridge ADD and DEL run by hand with the spec's environment, the namespace deleted. */
    @Benchmark
    public String pluginsByHand(LabState s) throws Exception {
        String name = Names.unique("ch");
        NetNamespace ns = NetNamespace.create(name);
        try {
            String conf = "{\"cniVersion\":\"1.0.0\",\"name\":\"" + NETWORK + "\"," + s.bridgeConf.substring(1);
            String result = plugin(s, "ADD", name, conf);
            plugin(s, "DEL", name, conf.substring(0, conf.length() - 1) + ",\"prevResult\":" + result + "}");
            return result;
        } finally {
            ns.close();
            ns.delete();
        }
    }

    private static String plugin(LabState s, String verb, String id, String stdin) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(PLUGINS.resolve("bridge").toString());
        Map<String, String> env = pb.environment();
        env.put("CNI_COMMAND", verb);
        env.put("CNI_CONTAINERID", id);
        env.put("CNI_NETNS", "/run/netns/" + id);
        env.put("CNI_IFNAME", "eth0");
        env.put("CNI_ARGS", "");
        env.put("CNI_PATH", PLUGINS.toString());
        Process p = s.lab.host().namespace().call(() -> {
            try {
                return pb.start();
            } catch (IOException e) {
                throw NetnsException.wrap("start bridge", e);
            }
        });
        try (OutputStream in = p.getOutputStream()) {
            in.write(stdin.getBytes(StandardCharsets.UTF_8));
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) {
            throw new IllegalStateException("bridge " + verb + " failed: " + out);
        }
        return out;
    }
}
