package io.netns.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Turns one {@code run.sh} invocation's raw results into the Markdown tables of {@code RESULTS.md}: every JMH
 * score, then the ratios the issue sets targets for, each against a number measured in the same invocation
 * (the C floor's {@code floor <key> <ns/op> <ops>} lines, the CNI peer's {@code peer ...} lines).
 *
 * <p>Usage: {@code Report <jmh.json> <floor.txt> [peer.txt]}; prints Markdown, and exits 1 when a target with
 * both of its numbers present is missed (the tables are still printed; {@code run.sh} decides what a miss
 * means for its exit code).
 */
public final class Report {
    private final Map<String, double[]> jmh = new LinkedHashMap<>(); // short name → {score ns, error ns, median ns}
    private final Map<String, Double> ext = new LinkedHashMap<>();   // "floor.key" / "peer.key" → ns/op
    private final StringBuilder out = new StringBuilder();
    private boolean missed;
    private boolean unreadable;

    private Report() {
    }

    /**
     * @param args jmh.json, floor.txt, optional peer.txt
     * @throws IOException if a file cannot be read
     */
    public static void main(String[] args) throws IOException {
        Report r = of(args);
        System.out.print(r.out);
        System.exit(r.unreadable ? 2 : r.missed ? 1 : 0);
    }

    /** The report of these files (jmh.json, then floor.txt and peer.txt), without printing or exiting. */
    static Report of(String... args) throws IOException {
        Report r = new Report();
        r.readJmh(Path.of(args[0]));
        for (int i = 1; i < args.length; i++) {
            r.readExternal(Path.of(args[i]));
        }
        r.scores();
        r.ratios();
        return r;
    }

    /** @return the Markdown text */
    String text() {
        return out.toString();
    }

    @SuppressWarnings("unchecked")
    private void readJmh(Path file) throws IOException {
        if (!Files.exists(file)) {
            return;
        }
        String text = Files.readString(file);
        if (text.isBlank()) {
            out.append("JMH wrote no results (").append(file.getFileName()).append(" is empty: JMH failed before its first"
                    + " result; see jmh.log).\n\n");
            return;
        }
        List<Object> runs;
        try {
            runs = (List<Object>) new Json(text).parse();
        } catch (IllegalArgumentException | ClassCastException e) {
            out.append("JMH results unreadable: ").append(e.getMessage()).append(" (see jmh.log).\n\n");
            unreadable = true;
            return;
        }
        out.append("| benchmark | mode | score | ± error (99.9%) | unit |\n|---|---|---:|---:|---|\n");
        for (Object o : runs) {
            Map<String, Object> run = (Map<String, Object>) o;
            String name = (String) run.get("benchmark");
            name = name.substring(name.lastIndexOf('.', name.lastIndexOf('.') - 1) + 1);
            Map<String, Object> params = (Map<String, Object>) run.get("params");
            if (params != null) {
                name += params.toString().replace(", ", ",");
            }
            Map<String, Object> metric = (Map<String, Object>) run.get("primaryMetric");
            double score = ((Number) metric.get("score")).doubleValue();
            Object e = metric.get("scoreError");
            double error = e instanceof Number ? ((Number) e).doubleValue() : Double.NaN;
            String unit = (String) metric.get("scoreUnit");
            double toNs = unit.startsWith("ns") ? 1 : unit.startsWith("us") ? 1e3 : unit.startsWith("ms") ? 1e6
                    : unit.startsWith("s/") ? 1e9 : Double.NaN;
            jmh.put(name, new double[] {score * toNs, error * toNs, median(metric.get("rawData")) * toNs});
            out.append("| ").append(name).append(" | ").append(run.get("mode")).append(" | ").append(fmt(score))
                    .append(" | ").append(Double.isNaN(error) ? "—" : fmt(error)).append(" | ").append(unit).append(" |\n");
        }
        out.append('\n');
    }

    private void readExternal(Path file) throws IOException {
        if (!Files.exists(file)) {
            return;
        }
        for (String line : Files.readAllLines(file)) {
            String[] f = line.trim().split("\\s+");
            if (f.length >= 3 && (f[0].equals("floor") || f[0].equals("peer"))) {
                ext.merge(f[0] + "." + f[1], Double.parseDouble(f[2]), (x, y) -> (x + y) / 2); // before + after JMH
            }
        }
    }

    private void scores() {
        if (ext.isEmpty()) {
            return;
        }
        out.append("| same-run reference (C floor: mean of its runs before and after JMH; peer) | ns/op |\n|---|---:|\n");
        ext.forEach((k, v) -> out.append("| ").append(k).append(" | ").append(fmt(v)).append(" |\n"));
        out.append('\n');
    }

    private void ratios() {
        out.append("| comparison | ours | reference | ratio | target | verdict |\n|---|---:|---:|---:|---|---|\n");
        ratio("switch: call() other ns and back / C setns round trip", "SwitchBenchmark.callOtherAndBack",
                "floor.setns_roundtrip", 1.15);
        absolute("re-entry: call() when already inside (home)", "SwitchBenchmark.reentryHome", 100);
        diff("re-entry from inside a switch (nested − switch)", "SwitchBenchmark.reentryNested",
                "SwitchBenchmark.callOtherAndBack");
        ratio("executor hand-off / plain pool of the same shape", "SwitchBenchmark.executorSubmit",
                "SwitchBenchmark.plainExecutorSubmit", Double.NaN);
        inverse("ip netns exec true / call() switch (peer/ours)", "ProcessBenchmark.ipNetnsExec",
                "SwitchBenchmark.callOtherAndBack");
        ratio("fork true inside via call() / ip netns exec true", "ProcessBenchmark.forkTrueInside",
                "ProcessBenchmark.ipNetnsExec", Double.NaN);
        ratio("jnr-ffi setns pair (errno saved) / C setns round trip", "SwitchAnatomyBenchmark.jnrSetnsPair",
                "floor.setns_roundtrip", Double.NaN);
        ratio("Native.setns pair / C setns round trip", "SwitchAnatomyBenchmark.nativeSetnsPair",
                "floor.setns_roundtrip", Double.NaN);
        diff("jnr-ffi overhead per call (jnrGetpid − C getpid)", "SwitchAnatomyBenchmark.jnrGetpid", "floor.getpid");
        ratio("namespace create+delete / C floor", "SetupBenchmark.namespaceCreateDelete", "floor.ns_create_delete",
                Double.NaN);
        ratio("none create+close / C floor (ns + lo up)", "SetupBenchmark.none", "floor.none_create_delete", 1.5);
        medianRatio("none create+close / C floor (ns + lo up)", "SetupBenchmark.none", "floor.none_create_delete");
        absolute("container create+close (opens the joined stack, owner record)", "SetupBenchmark.container", Double.NaN);
        absolute("host create+close (a handle on the host's stack, owner record)", "SetupBenchmark.host", Double.NaN);
        inverse("CNI bridge lifecycle (ip netns add, ADD, DEL, ip netns del) / bridge create+close (peer/ours)", "peer.cni_bridge_lifecycle",
                "SetupBenchmark.bridge");
        inverse("CNI bridge up (ip netns add + ADD) / bridge create+close (peer/ours)", "peer.cni_bridge_up",
                "SetupBenchmark.bridge");
        inverse("CNI bridge down (DEL + ip netns del) / bridge create+close (peer/ours)", "peer.cni_bridge_down",
                "SetupBenchmark.bridge");
        inverseTarget("CNI bridge+portmap lifecycle / bridge + published port create+close (peer/ours)",
                "peer.cni_portmap_lifecycle", "SetupBenchmark.bridgePublished", 15);
        inverse("CNI bridge+portmap up (ip netns add, bridge ADD, portmap ADD) / bridge + published create+close (peer/ours)",
                "peer.cni_portmap_up", "SetupBenchmark.bridgePublished");
        inverse("CNI bridge+portmap down (portmap DEL, bridge DEL, ip netns del) / bridge + published create+close (peer/ours)",
                "peer.cni_portmap_down", "SetupBenchmark.bridgePublished");
        ratio("cni(\"bridge-net\") create+close / the same plugins run by hand (ns, bridge ADD, DEL, ns delete)",
                "CniBenchmark.cniCreateClose", "CniBenchmark.pluginsByHand", 1.1);
        ratio("bridge create+close / C floor (ns, veth into the bridge, lo+eth0 up, address, default route)",
                "SetupBenchmark.bridge", "floor.bridge_create_delete", 2.0);
        ratio("bridge + published port / bridge", "SetupBenchmark.bridgePublished", "SetupBenchmark.bridge", Double.NaN);
        absolute("publish+remove one port, 10 ports published", "PublishBenchmark.onePort{published=10}", Double.NaN);
        ratio("publish+remove one port, 100 / 10 published (smoke size)", "PublishBenchmark.onePort{published=100}",
                "PublishBenchmark.onePort{published=10}", Double.NaN);
        ratio("publish+remove one port, 1,000 / 10 published", "PublishBenchmark.onePort{published=1000}",
                "PublishBenchmark.onePort{published=10}", Double.NaN);
        ratio("publish+remove one port, 10,000 / 10 published", "PublishBenchmark.onePort{published=10000}",
                "PublishBenchmark.onePort{published=10}", 1.2);
        medianRatio("publish+remove one port, 10,000 / 10 published", "PublishBenchmark.onePort{published=10000}",
                "PublishBenchmark.onePort{published=10}");
        ratio("publish+remove one port, 100 sandboxes x 100 ports / 10 published",
                "PublishBenchmark.onePortAmongSandboxes{portsEach=100,sandboxes=100}",
                "PublishBenchmark.onePort{published=10}", 1.2);
        medianRatio("publish+remove one port, 100 sandboxes x 100 ports / 10 published",
                "PublishBenchmark.onePortAmongSandboxes{portsEach=100,sandboxes=100}", "PublishBenchmark.onePort{published=10}");
        ratio("publish+remove a 1,000-port range / one port (10 published)", "PublishBenchmark.range",
                "PublishBenchmark.onePort{published=10}", Double.NaN);
        absolute("first packet: fresh connection through a published port, 10 published",
                "FirstPacketBenchmark.connect{background=10}", Double.NaN);
        ratio("first packet, 100 / 10 published (smoke size)", "FirstPacketBenchmark.connect{background=100}",
                "FirstPacketBenchmark.connect{background=10}", Double.NaN);
        ratio("first packet, 10,000 / 10 published", "FirstPacketBenchmark.connect{background=10000}",
                "FirstPacketBenchmark.connect{background=10}", 1.2);
        medianRatio("first packet, 10,000 / 10 published", "FirstPacketBenchmark.connect{background=10000}",
                "FirstPacketBenchmark.connect{background=10}");
        ratio("dual-stack bridge create+close / IPv4-only", "DualStackBenchmark.dualStack", "DualStackBenchmark.ipv4", 1.25);
        medianRatio("dual-stack bridge create+close / IPv4-only", "DualStackBenchmark.dualStack", "DualStackBenchmark.ipv4");
        absolute("planner, 10,000 requests over 64 addresses", "PlannerBenchmark.plan{addresses=64,requests=10000}", 100e6);
        ratio("planner 10,000 / 1,000 requests (linear: ≈10×)", "PlannerBenchmark.plan{addresses=64,requests=10000}",
                "PlannerBenchmark.plan{addresses=64,requests=1000}", Double.NaN);
        inverse("ip link add veth / library veth (peer/ours)", "RtnlBenchmark.vethIpProcess", "RtnlBenchmark.vethLibrary");
        inverse("ip link show (1,000) / library dump (peer/ours)", "RtnlBenchmark.dumpIpProcess", "RtnlBenchmark.dumpLibrary");
        out.append('\n');
    }

    /** @return the median of JMH's per-iteration scores ({@code rawData}, one list per fork), NaN when none */
    static double median(Object rawData) {
        List<Double> all = new ArrayList<>();
        if (rawData instanceof List<?> forks) {
            for (Object f : forks) {
                if (f instanceof List<?> iterations) {
                    for (Object v : iterations) {
                        if (v instanceof Number n) {
                            all.add(n.doubleValue());
                        }
                    }
                }
            }
        }
        if (all.isEmpty()) {
            return Double.NaN;
        }
        all.sort(null);
        int n = all.size();
        return n % 2 == 1 ? all.get(n / 2) : (all.get(n / 2 - 1) + all.get(n / 2)) / 2;
    }

    /**
     * The ratio of the medians of the measured iterations, beside a target's row of means: on a loaded machine
     * one slow iteration moves a mean more than a median. Informative only: the verdict is the means'. A C floor
     * reference ({@code floor.*}) is a median of its rounds already.
     */
    private void medianRatio(String what, String ours, String ref) {
        double[] a = jmh.get(ours);
        double[] b = jmh.get(ref);
        double bm = b != null ? b[2] : ext.getOrDefault(ref, Double.NaN);
        boolean both = a != null && !Double.isNaN(a[2]) && !Double.isNaN(bm);
        if (both) {
            row(what + ", medians of the iterations", a[2], bm, String.format(Locale.ROOT, "%.2f×", a[2] / bm), "", "");
        }
    }

    private Double get(String key) {
        if (ext.containsKey(key)) {
            return ext.get(key);
        }
        double[] v = jmh.get(key);
        return v == null ? null : v[0];
    }

    private void ratio(String what, String ours, String ref, double target) {
        Double a = get(ours);
        Double b = get(ref);
        String r = a == null || b == null ? "—" : String.format(Locale.ROOT, "%.2f×", a / b);
        String verdict = Double.isNaN(target) ? "" : a == null || b == null ? "not run" : verdict(a / b <= target);
        row(what + " (" + ours + " / " + ref + ")", a, b, r, Double.isNaN(target) ? "" : "≤ " + target + "×", verdict);
    }

    private void inverse(String what, String peer, String ours) {
        Double p = get(peer);
        Double o = get(ours);
        row(what, o, p, p == null || o == null ? "—" : String.format(Locale.ROOT, "%.1f×", p / o), "", "");
    }

    private void inverseTarget(String what, String peer, String ours, double atLeast) {
        Double p = get(peer);
        Double o = get(ours);
        boolean both = p != null && o != null;
        row(what + " (" + peer + " / " + ours + ")", o, p, both ? String.format(Locale.ROOT, "%.1f×", p / o) : "—",
                "≥ " + fmt(atLeast) + "×", both ? verdict(p / o >= atLeast) : "not run");
    }

    private void diff(String what, String a, String b) {
        Double x = get(a);
        Double y = get(b);
        row(what, x == null || y == null ? null : x - y, y, "—", "", "");
    }

    private void absolute(String what, String ours, double maxNs) {
        Double a = get(ours);
        boolean t = !Double.isNaN(maxNs);
        row(what + " (" + ours + ")", a, Double.NaN, "—", t ? "≤ " + ns(maxNs) : "",
                !t ? "" : a == null ? "not run" : verdict(a <= maxNs));
    }

    private String verdict(boolean ok) {
        missed |= !ok;
        return ok ? "ok" : "**MISSED**";
    }

    private void row(String what, Double ours, Double ref, String ratio, String target, String verdict) {
        out.append("| ").append(what).append(" | ").append(ns(ours)).append(" | ").append(ns(ref)).append(" | ")
                .append(ratio).append(" | ").append(target).append(" | ").append(verdict).append(" |\n");
    }

    private static String ns(Double v) {
        if (v != null && v.isNaN()) {
            return "—";
        }
        if (v == null) {
            return "pending / not run";
        }
        double a = Math.abs(v);
        return a >= 1e6 ? fmt(v / 1e6) + " ms" : a >= 1e4 ? fmt(v / 1e3) + " µs" : fmt(v) + " ns";
    }

    private static String fmt(double v) {
        double a = Math.abs(v);
        return String.format(Locale.ROOT, a >= 100 ? "%.0f" : a >= 10 ? "%.1f" : "%.2f", v);
    }

    /**
     * Just enough JSON for JMH's result file: objects, arrays, strings, numbers, literals. Strict: anything
     * else, or input that ends early (an empty or truncated file from a JMH run that failed), is an
     * {@link IllegalArgumentException} naming the offset, never an index error.
     */
    static final class Json {
        private final String s;
        private int i;

        Json(String s) {
            this.s = s;
        }

        /** @return the whole input as one value; trailing non-blank text is an error */
        Object parse() {
            Object v = value();
            ws();
            if (i != s.length()) {
                throw error("trailing text");
            }
            return v;
        }

        private Object value() {
            ws();
            char c = peek();
            if (c == '{') {
                Map<String, Object> m = new LinkedHashMap<>();
                i++;
                ws();
                if (peek() == '}') {
                    i++;
                    return m;
                }
                while (true) {
                    ws();
                    if (peek() != '"') {
                        throw error("expected a key");
                    }
                    String k = string();
                    ws();
                    expect(':');
                    m.put(k, value());
                    ws();
                    char d = next();
                    if (d == '}') {
                        return m;
                    }
                    if (d != ',') {
                        throw error("expected ',' or '}'");
                    }
                }
            }
            if (c == '[') {
                List<Object> l = new ArrayList<>();
                i++;
                ws();
                if (peek() == ']') {
                    i++;
                    return l;
                }
                while (true) {
                    l.add(value());
                    ws();
                    char d = next();
                    if (d == ']') {
                        return l;
                    }
                    if (d != ',') {
                        throw error("expected ',' or ']'");
                    }
                }
            }
            if (c == '"') {
                return string();
            }
            int start = i;
            while (i < s.length() && ",}]: \n\r\t".indexOf(s.charAt(i)) < 0) {
                i++;
            }
            String lit = s.substring(start, i);
            switch (lit) {
                case "true":
                    return Boolean.TRUE;
                case "false":
                    return Boolean.FALSE;
                case "null":
                    return null;
                case "NaN":
                    return Double.NaN;
                default:
                    try {
                        return Double.parseDouble(lit);
                    } catch (NumberFormatException e) {
                        i = start;
                        throw error("not a JSON value: '" + lit + "'");
                    }
            }
        }

        private String string() {
            StringBuilder b = new StringBuilder();
            expect('"');
            while (true) {
                char c = next();
                if (c == '"') {
                    return b.toString();
                }
                if (c == '\\') {
                    char e = next();
                    switch (e) {
                        case 'u':
                            if (i + 4 > s.length()) {
                                throw error("truncated \\u escape");
                            }
                            b.append((char) Integer.parseInt(s.substring(i, i + 4), 16));
                            i += 4;
                            break;
                        case 'n':
                            b.append('\n');
                            break;
                        case 't':
                            b.append('\t');
                            break;
                        case 'r':
                            b.append('\r');
                            break;
                        case 'b':
                            b.append('\b');
                            break;
                        case 'f':
                            b.append('\f');
                            break;
                        default:
                            b.append(e);
                    }
                } else {
                    b.append(c);
                }
            }
        }

        private char peek() {
            if (i >= s.length()) {
                throw error("unexpected end of input");
            }
            return s.charAt(i);
        }

        private char next() {
            char c = peek();
            i++;
            return c;
        }

        private void expect(char c) {
            if (next() != c) {
                i--;
                throw error("expected '" + c + "'");
            }
        }

        private IllegalArgumentException error(String what) {
            return new IllegalArgumentException("JMH result file: " + what + " at offset " + i + " of " + s.length());
        }

        private void ws() {
            while (i < s.length() && Character.isWhitespace(s.charAt(i))) {
                i++;
            }
        }
    }
}
