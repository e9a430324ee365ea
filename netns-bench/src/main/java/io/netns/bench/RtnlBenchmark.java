package io.netns.bench;

import io.netns.NetNamespace;
import io.netns.NetnsException;
import io.netns.rtnl.RtnlClient;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * rtnetlink through the library against {@code ip} as a process, in microseconds.
 *
 * <p>PENDING: this file is {@code RtnlBenchmark.java.pending} until {@code io.netns.rtnl} is merged (the API
 * assumed is {@code RtnlClient.open(ns)}, {@code links()}, {@code addVeth(name, peer, peerNs)},
 * {@code delete(name)}); rename it to {@code .java} then, and fix the calls if the API differs.
 *
 * <p>All work happens in two namespaces of the benchmark's own ({@code bench-rl...} and {@code bench-rp...});
 * the client is opened once per trial (a client is bound to its namespace and reused, as the library intends).
 */
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class RtnlBenchmark extends AbstractNetnsBenchmark {
    /** The namespaces and the client. */
    @State(Scope.Benchmark)
    public static class Rtnl {
        NetNamespace local;
        NetNamespace peer;
        RtnlClient client;

        @Setup
        public void open() throws NetnsException {
            local = NetNamespace.create(Names.unique("rl"));
            peer = NetNamespace.create(Names.unique("rp"));
            client = RtnlClient.open(local);
        }

        @TearDown
        public void close() throws NetnsException {
            client.close();
            for (NetNamespace ns : new NetNamespace[] {local, peer}) {
                ns.close();
                ns.delete();
            }
        }
    }

    /** 1,000 links in a namespace of their own, made in setup with one {@code ip -batch}. */
    @State(Scope.Benchmark)
    public static class ThousandLinks {
        NetNamespace ns;
        RtnlClient client;

        @Setup
        public void open() throws NetnsException, IOException, InterruptedException {
            ns = NetNamespace.create(Names.unique("rk"));
            Path batch = Files.createTempFile("bench-links", ".ip");
            try {
                List<String> lines = new ArrayList<>();
                for (int i = 0; i < 999; i++) { // + lo = 1,000
                    lines.add("link add d" + i + " type dummy");
                }
                Files.write(batch, lines);
                int rc = new ProcessBuilder("ip", "-n", ns.name(), "-batch", batch.toString()).inheritIO().start().waitFor();
                if (rc != 0) {
                    throw new IllegalStateException("ip -batch failed: " + rc);
                }
            } finally {
                Files.delete(batch);
            }
            client = RtnlClient.open(ns);
        }

        @TearDown
        public void close() throws NetnsException {
            client.close();
            ns.close();
            ns.delete(); // the dummies go with the namespace
        }
    }

    /**
     * One veth pair made with its peer directly in the other namespace (one RTM_NEWLINK with
     * IFLA_NET_NS_FD), then deleted (deleting one end removes both). Fair against {@link #vethIpProcess},
     * which asks the kernel for exactly the same two messages through {@code ip}.
     */
    @Benchmark
    public Object vethLibrary(Rtnl r) throws NetnsException {
        r.client.addVeth("bv0", "bv1", r.peer);
        r.client.delete("bv0");
        return r;
    }

    /** {@code ip -n local link add bv0 type veth peer name bv1 netns peer} + {@code ip -n local link del bv0}. */
    @Benchmark
    public int vethIpProcess(Rtnl r) throws IOException, InterruptedException {
        int a = run("ip", "-n", r.local.name(), "link", "add", "bv0", "type", "veth", "peer", "name", "bv1",
                "netns", r.peer.name());
        return a | run("ip", "-n", r.local.name(), "link", "del", "bv0");
    }

    /** A dump of 1,000 links, multipart, decoded into the library's link objects. */
    @Benchmark
    public Object dumpLibrary(ThousandLinks t) throws NetnsException {
        return t.client.links();
    }

    /** {@code ip -n <ns> -o link show} of the same 1,000 links, output discarded: the process baseline. */
    @Benchmark
    public int dumpIpProcess(ThousandLinks t) throws IOException, InterruptedException {
        return run("ip", "-n", t.ns.name(), "-o", "link", "show");
    }

    private static int run(String... command) throws IOException, InterruptedException {
        return new ProcessBuilder(command).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(ProcessBuilder.Redirect.INHERIT).start().waitFor();
    }
}
