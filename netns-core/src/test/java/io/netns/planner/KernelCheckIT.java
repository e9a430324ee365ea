package io.netns.planner;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.netns.NetNamespace;
import io.netns.testing.Cmd;
import io.netns.testing.Privileged;
import io.netns.testing.TestLab;
import java.io.Closeable;
import java.io.IOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ProtocolFamily;
import java.net.StandardProtocolFamily;
import java.nio.channels.DatagramChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * Checks planner verdicts against the real kernel, in a lab namespace of its own (never the machine's, where
 * other programs bind and unbind on loopback as they please): 127.0.0.0/8 and ::1 are local there once
 * {@code lo} is up. Random sockets are pre-bound on loopback in a random 5-port window of 20000-29999 and fed to the
 * planner (besides everything /proc shows, so a port the machine already uses is respected); then every planned
 * binding must really bind while all of them are held together, and every ADDRESS_IN_USE / NO_FREE_PORT verdict
 * must really fail on each candidate address.
 */
class KernelCheckIT {
    private static final TestLab LAB = new TestLab("kcheck");
    private static NetNamespace ns;

    @BeforeContainer
    static void makeNamespace() throws Exception {
        Privileged.require();
        ns = LAB.namespace("ns");
        Cmd.run("ip", "-n", ns.name(), "link", "set", "lo", "up");
    }

    @AfterContainer
    static void removeNamespace() throws Exception {
        LAB.close();
    }

    static final String[] ADDRS = {"127.0.0.1", "127.0.0.2", "127.0.0.3", "::1"};

    /** A socket bound before planning. */
    static final class Pre {
        final Protocol proto;
        final String addr;
        final int offset;

        Pre(Protocol proto, String addr, int offset) {
            this.proto = proto;
            this.addr = addr;
            this.offset = offset;
        }

        String notation(int port) {
            boolean six = addr.contains(":");
            return proto.label() + (six ? "6" : "") + (proto == Protocol.TCP ? " LISTEN " : " ")
                    + (six ? "[" + addr + "]" : addr) + ":" + port;
        }

        @Override
        public String toString() {
            return notation(offset);
        }
    }

    /** A request shape: 0 tcp, 1 udp, 2 both; fixed or range; require / prefer / none / all IPv4. */
    static final class Req {
        final int protos;
        final boolean range;
        final int offset;
        final int where;
        final String addr;

        Req(int protos, boolean range, int offset, int where, String addr) {
            this.protos = protos;
            this.range = range;
            this.offset = offset;
            this.where = where;
            this.addr = addr;
        }

        ListenRequest build(String name, int base) {
            int lo = base + (range ? Math.min(offset, 3) : offset);
            int hi = range ? base + 4 : lo;
            ListenRequest r = protos == 0 ? ListenRequest.tcp(name, lo, hi)
                    : protos == 1 ? ListenRequest.udp(name, lo, hi) : ListenRequest.tcpAndUdp(name, lo, hi);
            switch (where) {
                case 0: return r.require(addr);
                case 1: return r.prefer(addr);
                case 2: return r;
                default: return r.allInterfaces(Family.IPV4);
            }
        }

        @Override
        public String toString() {
            return build("r", 1000).toString();
        }
    }

    /** One generated case. */
    static final class Scenario {
        final int base;
        final List<Pre> pre;
        final List<Req> reqs;

        Scenario(int base, List<Pre> pre, List<Req> reqs) {
            this.base = base;
            this.pre = pre;
            this.reqs = reqs;
        }

        @Override
        public String toString() {
            return "base=" + base + " pre=" + pre + " reqs=" + reqs;
        }
    }

    @Provide
    Arbitrary<Scenario> scenarios() {
        Arbitrary<Integer> base = Arbitraries.integers().between(4000, 5998).map(x -> x * 5);
        Arbitrary<String> preAddr = Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(8, Arbitraries.of(ADDRS)),
                net.jqwik.api.Tuple.of(1, Arbitraries.of("0.0.0.0")));
        Arbitrary<Pre> pre = Combinators.combine(Arbitraries.of(Protocol.values()), preAddr,
                Arbitraries.integers().between(0, 4)).as(Pre::new);
        Arbitrary<Req> req = Combinators.combine(Arbitraries.integers().between(0, 2), Arbitraries.of(false, false, true),
                Arbitraries.integers().between(0, 4), Arbitraries.integers().between(0, 3), Arbitraries.of(ADDRS))
                .as(Req::new);
        return Combinators.combine(base, pre.list().ofMaxSize(6), req.list().ofMinSize(1).ofMaxSize(8))
                .as(Scenario::new);
    }

    static ProtocolFamily family(InetAddress a) {
        return a.getAddress().length == 4 ? StandardProtocolFamily.INET : StandardProtocolFamily.INET6;
    }

    /** Binds (and for TCP listens) exactly like the kernel model: an IPv4 socket for IPv4, IPv6 for IPv6. */
    static Closeable bind(Protocol p, String host, int port) throws IOException {
        InetSocketAddress sa = new InetSocketAddress(InetAddress.getByName(host), port);
        if (p == Protocol.TCP) {
            ServerSocketChannel ch = ServerSocketChannel.open(family(sa.getAddress()));
            try {
                ch.bind(sa);
                return ch;
            } catch (IOException e) {
                ch.close();
                throw e;
            }
        }
        DatagramChannel ch = DatagramChannel.open(family(sa.getAddress()));
        try {
            ch.bind(sa);
            return ch;
        } catch (IOException e) {
            ch.close();
            throw e;
        }
    }

    @Property(tries = 200, edgeCases = net.jqwik.api.EdgeCasesMode.MIXIN)
    void plannedBindingsBindAndReportedConflictsFail(@ForAll("scenarios") Scenario s) throws Exception {
        // Statistics are collected here, on jqwik's thread: rootless, ns.run runs the check on a thread inside.
        List<Status> verdicts = ns.call(() -> check(s));
        verdicts.forEach(v -> net.jqwik.api.statistics.Statistics.label("verdicts").collect(v));
    }

    /** The check, on a thread inside the lab namespace; returns the plan's verdicts. */
    private static List<Status> check(Scenario s) throws IOException {
        List<Status> verdicts = new ArrayList<>();
        List<Closeable> open = new ArrayList<>();
        try {
            List<String> fed = new ArrayList<>();
            for (Pre pre : s.pre) {
                int port = s.base + pre.offset;
                try {
                    open.add(bind(pre.proto, pre.addr, port));
                    fed.add(pre.notation(port));
                } catch (BindException busy) {
                    // collides with an earlier pre-bound socket: simply not there
                }
            }
            ListenerPlanner planner = ListenerPlanner.discover(Path.of("/proc"));
            fed.forEach(planner::existing);
            for (String a : ADDRS) {
                planner.hostAddress("lo", a);
            }
            for (int i = 0; i < s.reqs.size(); i++) {
                planner.request(s.reqs.get(i).build("r" + i, s.base));
            }
            ListenerPlan plan = planner.plan();
            String context = s + "\nfed=" + fed + "\n" + plan;

            for (Outcome o : plan.outcomes()) {
                verdicts.add(o.status());
                if (!o.isOk() || o.warnings().contains(Warning.TIME_WAIT_PRESENT)) {
                    continue;
                }
                for (Binding b : o.bindings()) {
                    try {
                        open.add(bind(b.protocol(), b.host(), b.port()));
                    } catch (BindException e) {
                        fail("planned " + b + " of " + o.name() + " did not bind: " + e.getMessage() + "\n" + context);
                    }
                }
            }
            for (Outcome o : plan.outcomes()) {
                if ((o.status() != Status.ADDRESS_IN_USE && o.status() != Status.NO_FREE_PORT)
                        || o.warnings().contains(Warning.V6ONLY_ASSUMED)) {
                    continue;
                }
                ListenRequest r = o.request();
                List<String> addrs = r.wild != ListenRequest.Wild.NONE ? List.of("0.0.0.0")
                        : r.require != null ? List.of(r.require.toString()) : List.of(ADDRS);
                for (int port = r.low; port <= r.high; port++) {
                    for (String a : addrs) {
                        boolean failed = false;
                        for (Protocol p : Protocol.values()) {
                            if (p == Protocol.TCP ? !r.tcp : !r.udp) {
                                continue;
                            }
                            try {
                                bind(p, a, port).close();
                            } catch (BindException e) {
                                failed = true;
                            }
                        }
                        assertTrue(failed, o.name() + " was " + o.status() + " but " + a + ":" + port
                                + " bound fine\n" + context);
                    }
                }
            }
            return verdicts;
        } finally {
            for (Closeable c : open) {
                try {
                    c.close();
                } catch (IOException ignored) {
                    // best effort
                }
            }
        }
    }
}
