package io.netns.planner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;

/**
 * Determinism guard for the planner's internals: three large plans (2,000 random requests of every kind over a
 * mixed IPv4/IPv6 host with existing sockets, 300 over an IPv4-only host, and 2,000 requests of the JMH benchmark's mix over 16 addresses) are
 * rendered in full (statuses, warnings, bindings, explanations, nginx and httpd lines) and compared byte for byte
 * with {@code golden-plans.txt.gz}, which was captured from the planner before its data structures were reworked
 * for speed. A change of any verdict, binding or explanation text fails here.
 *
 * <p>To re-capture after an intended change of behaviour (and only then), run with
 * {@code -Dnetns.planner.writeGolden=/path/to/netns-core/src/test/resources/io/netns/planner/golden-plans.txt.gz}.
 */
class GoldenPlanTest {

    static final String RESOURCE = "golden-plans.txt.gz";

    /**
     * Seeded-random requests of every shape over IPv4 addresses and loopback, and with {@code v6} also IPv6 and
     * link-local addresses.
     */
    static ListenerPlanner mixed(long seed, boolean withV6, int requests) {
        Random rnd = new Random(seed);
        ListenerPlanner p = ListenerPlanner.create()
                .kernel(KernelPorts.defaults().ephemeralRange(40000, 60999).reserved(40000, 40010)
                        .reserved(3005, 3007));
        List<String> v4 = new ArrayList<>();
        List<String> v6 = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            v4.add("10.1." + (i / 8) + "." + (10 + i % 8));
            p.hostAddress("eth" + (i % 3), v4.get(i));
        }
        for (int i = 0; i < (withV6 ? 6 : 0); i++) {
            v6.add("2001:db8::" + Integer.toHexString(0x10 + i));
            p.hostAddress("eth" + (i % 2), v6.get(i));
        }
        p.hostAddress("lo", "127.0.0.1");
        if (withV6) {
            p.hostAddress("eth0", "fe80::1").hostAddress("eth1", "fe80::1").hostAddress("lo", "::1");
        } else {
            v6.add("2001:db8:ffff::2"); // not on this host
        }
        String[] states = {"LISTEN", "LISTEN", "LISTEN", "TIME_WAIT", "ESTABLISHED"};
        for (int i = 0; i < 400; i++) {
            int port = pick(rnd, new int[] {22, 53, 80, 443, 3000 + rnd.nextInt(40), 8000 + rnd.nextInt(30),
                1024 + rnd.nextInt(100), 40000 + rnd.nextInt(30)});
            String uid = rnd.nextInt(3) == 0 ? " uid=" + (rnd.nextBoolean() ? 33 : 1000) : "";
            switch (rnd.nextInt(8)) {
                case 0: p.existing("tcp " + states[rnd.nextInt(states.length)] + " 0.0.0.0:" + port + uid); break;
                case 1: p.existing("tcp6 " + states[rnd.nextInt(3)] + " [::]:" + port + " v6only="
                        + "01?".charAt(rnd.nextInt(3)) + uid); break;
                case 2: p.existing("udp " + v4.get(rnd.nextInt(v4.size())) + ":" + port + uid); break;
                case 3: p.existing("udp6 [::]:" + port + " v6only=" + "01?".charAt(rnd.nextInt(3))); break;
                case 4: p.existing("tcp6 " + states[rnd.nextInt(states.length)] + " [" + v6.get(rnd.nextInt(v6.size()))
                        + "]:" + port + uid); break;
                case 5: p.existing("tcp6 LISTEN [::ffff:" + v4.get(rnd.nextInt(v4.size())) + "]:" + port + uid); break;
                case 6: p.existing("tcp6 LISTEN [fe80::1%eth" + rnd.nextInt(2) + "]:" + port); break;
                default: p.existing("tcp " + states[rnd.nextInt(states.length)] + " "
                        + v4.get(rnd.nextInt(v4.size())) + ":" + port + uid); break;
            }
        }
        String[] foreign = {"10.9.9.9", "2001:db8:ffff::1", "fe80::1", "fe80::1%eth0", "127.0.0.5", "::1"};
        for (int i = 0; i < requests; i++) {
            String name = "s" + i;
            int kind = rnd.nextInt(3);
            int shape = rnd.nextInt(4);
            ListenRequest r;
            int fixed = pick(rnd, new int[] {22, 53, 80, 443, 3000 + rnd.nextInt(40), 8000 + rnd.nextInt(30),
                1024 + rnd.nextInt(100), 40000 + rnd.nextInt(20), 500 + rnd.nextInt(10)});
            int lo = pick(rnd, new int[] {3000, 8000, 1024, 40000, 500, 60990});
            int hi = lo + pick(rnd, new int[] {0, 3, 20, 200});
            if (shape == 0) {
                r = kind == 0 ? ListenRequest.tcp(name, fixed) : kind == 1 ? ListenRequest.udp(name, fixed)
                        : ListenRequest.tcpAndUdp(name, fixed);
            } else if (shape == 1) {
                r = kind == 0 ? ListenRequest.tcp(name, lo, hi) : kind == 1 ? ListenRequest.udp(name, lo, hi)
                        : ListenRequest.tcpAndUdp(name, lo, hi);
            } else {
                r = kind == 0 ? ListenRequest.tcp(name) : kind == 1 ? ListenRequest.udp(name)
                        : ListenRequest.tcpAndUdp(name);
            }
            switch (rnd.nextInt(12)) {
                case 0: r = r.require(v4.get(rnd.nextInt(v4.size()))); break;
                case 1: r = r.require(v6.get(rnd.nextInt(v6.size()))); break;
                case 2: r = r.prefer(v4.get(rnd.nextInt(v4.size()))); break;
                case 3: r = r.prefer(foreign[rnd.nextInt(foreign.length)]); break;
                case 4: r = r.require(foreign[rnd.nextInt(foreign.length)]); break;
                case 5: r = rnd.nextBoolean() ? r.allInterfaces() : r.allInterfaces(rnd.nextBoolean() ? Family.IPV4
                        : Family.IPV6); break;
                case 6: r = r.family(rnd.nextBoolean() ? Family.IPV4 : Family.IPV6); break;
                case 7: r = r.require(v4.get(rnd.nextInt(v4.size()))).prefer(v4.get(0)); break;
                case 8: r = r.allInterfaces().prefer(v4.get(rnd.nextInt(v4.size()))); break;
                default: break;
            }
            if (rnd.nextInt(6) == 0) {
                r = r.reusePort(rnd.nextBoolean() ? 33 : 1000);
            }
            if (rnd.nextInt(5) == 0) {
                r = r.capNetBindService(false);
            }
            if (rnd.nextInt(10) == 0) {
                r = r.freebind();
            }
            if (rnd.nextInt(8) == 0) {
                r = r.tls();
            }
            p.request(r);
        }
        return p;
    }

    /**
     * The JMH {@code PlannerBenchmark} mix. At 2,000 requests over 16 addresses the fixed ports saturate, so the
     * ADDRESS_IN_USE explanations are pinned too.
     */
    static ListenerPlanner benchmarkMix(int addresses, int requests) {
        ListenerPlanner p = ListenerPlanner.create();
        String[] addrs = new String[addresses];
        for (int i = 0; i < addrs.length; i++) {
            addrs[i] = "10.20." + (30 + i / 250) + "." + (1 + i % 250);
            p.hostAddress("eth0", addrs[i]);
        }
        p.hostAddress("lo", "127.0.0.1").existing("tcp LISTEN 0.0.0.0:22");
        for (int i = 0; i < requests; i++) {
            String name = "svc" + i;
            switch (i % 4) {
                case 0: p.request(ListenRequest.tcp(name, 80 + (i / 4) % 16)); break;
                case 1: p.request(ListenRequest.tcp(name, 8000, 8999)); break;
                case 2: p.request(ListenRequest.tcp(name).capNetBindService(false)); break;
                default: p.request(ListenRequest.tcp(name, 20000, 29999).require(addrs[i % addrs.length])); break;
            }
        }
        return p;
    }

    private static int pick(Random rnd, int[] from) {
        return from[rnd.nextInt(from.length)];
    }

    static String render(ListenerPlan plan) {
        StringBuilder sb = new StringBuilder(plan.toString());
        List<String> nginx = new ArrayList<>();
        List<String> apache = new ArrayList<>();
        for (Outcome o : plan.outcomes()) {
            if (!o.isOk()) {
                continue;
            }
            try {
                nginx.addAll(plan.nginxListen(o.name()));
            } catch (UnsupportedOperationException e) {
                nginx.add(o.name() + ": " + e.getMessage());
            }
            try {
                apache.addAll(plan.apacheListen(o.name()));
            } catch (UnsupportedOperationException e) {
                apache.add(o.name() + ": " + e.getMessage());
            }
        }
        sb.append("--- nginx per service\n").append(String.join("\n", nginx)).append('\n');
        sb.append("--- httpd per service\n").append(String.join("\n", apache)).append('\n');
        sb.append("--- bindings\n");
        for (Binding b : plan.bindings()) {
            sb.append(b.service()).append(' ').append(b).append(b.v6only() ? " v6only" : "").append('\n');
        }
        return sb.toString();
    }

    static String renderAll() {
        return "=== mixed\n" + render(mixed(20240611L, true, 2000).plan()) + "=== IPv4 only\n"
                + render(mixed(7L, false, 300).plan()) + "=== benchmark mix\n" + render(benchmarkMix(16, 2000).plan());
    }

    @Test
    void largePlansRenderExactlyAsCaptured() throws IOException {
        String actual = renderAll();
        String out = System.getProperty("netns.planner.writeGolden");
        if (out != null) {
            try (OutputStream o = new GZIPOutputStream(Files.newOutputStream(Path.of(out)))) {
                o.write(actual.getBytes(StandardCharsets.UTF_8));
            }
        }
        String expected;
        try (InputStream in = GoldenPlanTest.class.getResourceAsStream(RESOURCE)) {
            assertNotNull(in, RESOURCE + " is missing");
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            new GZIPInputStream(in).transferTo(b);
            expected = b.toString(StandardCharsets.UTF_8);
        }
        if (!expected.equals(actual)) {
            String[] e = expected.split("\n", -1);
            String[] a = actual.split("\n", -1);
            for (int i = 0; i < Math.min(e.length, a.length); i++) {
                if (!e[i].equals(a[i])) {
                    fail("first difference at line " + (i + 1) + "\nexpected: " + e[i] + "\nactual:   " + a[i]);
                }
            }
            fail("renderings differ in length: expected " + e.length + " lines, got " + a.length);
        }
    }

    @Test
    void theGoldenPlansCoverEveryStatusAndWarning() {
        List<Outcome> all = new ArrayList<>(mixed(20240611L, true, 2000).plan().outcomes());
        all.addAll(mixed(7L, false, 300).plan().outcomes());
        for (Status s : Status.values()) {
            assertTrue(all.stream().anyMatch(o -> o.status() == s), "no outcome with status " + s);
        }
        for (Warning w : Warning.values()) {
            assertTrue(all.stream().anyMatch(o -> o.warnings().contains(w)), "no outcome with " + w);
        }
        ListenerPlan bench = benchmarkMix(16, 2000).plan();
        assertEquals(2000, bench.outcomes().size());
        assertTrue(bench.outcomes().stream().anyMatch(o -> o.status() == Status.ADDRESS_IN_USE));
        assertTrue(bench.outcomes().stream().filter(Outcome::isOk).count() > 1000);
    }
}
