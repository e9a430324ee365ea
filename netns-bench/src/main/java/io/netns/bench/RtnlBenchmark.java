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

        private final Undo undo = new Undo();

        @Setup
        public void open() throws Exception {
            try {
                local = undo.namespace(NetNamespace.create(Names.unique("rl")));
                peer = undo.namespace(NetNamespace.create(Names.unique("rp")));
                client = undo.closing(RtnlClient.open(local));
            } catch (Exception | Error e) {
                throw undo.abort(e);
            }
        }

        @TearDown
        public void close() throws Exception {
            undo.run();
        }
    }

    /**
     * 1,000 links in a namespace of their own, made in setup with one {@code ip -batch}: {@code lo}, 499 veth
     * pairs with both ends inside, and one bridge. Veth and bridge are what the library itself needs, so they
     * exist wherever it runs; {@code dummy} does not (kernels without the module, e.g. this lab VM's, answer
     * "Unknown device type"). The count is checked with {@code ip} before the trial starts.
     */
    @State(Scope.Benchmark)
    public static class ThousandLinks {
        static final int LINKS = 1000;
        NetNamespace ns;
        RtnlClient client;
        private final Undo undo = new Undo();

        @Setup
        public void open() throws Exception {
            try {
                ns = undo.namespace(NetNamespace.create(Names.unique("rk"))); // the links go with the namespace
                Path batch = Files.createTempFile("bench-links", ".ip");
                try {
                    List<String> lines = new ArrayList<>();
                    for (int i = 0; i < (LINKS - 2) / 2; i++) {
                        lines.add("link add v" + i + " type veth peer name w" + i);
                    }
                    lines.add("link add k0 type bridge");
                    Files.write(batch, lines);
                    int rc = new ProcessBuilder("ip", "-n", ns.name(), "-batch", batch.toString()).inheritIO().start().waitFor();
                    if (rc != 0) {
                        throw new IllegalStateException("ip -batch " + batch + " failed: " + rc);
                    }
                } finally {
                    Files.delete(batch);
                }
                Process p = new ProcessBuilder("ip", "-n", ns.name(), "-o", "link", "show")
                        .redirectError(ProcessBuilder.Redirect.INHERIT).start();
                long count;
                try (var lines = new java.io.BufferedReader(new java.io.InputStreamReader(p.getInputStream())).lines()) {
                    count = lines.count();
                }
                if (p.waitFor() != 0 || count != LINKS) {
                    throw new IllegalStateException("expected " + LINKS + " links in " + ns.name() + ", ip shows " + count);
                }
                client = undo.closing(RtnlClient.open(ns));
            } catch (Exception | Error e) {
                throw undo.abort(e);
            }
        }

        @TearDown
        public void close() throws Exception {
            undo.run();
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
