package io.netns.bench;

import io.netns.Firewall;
import io.netns.Netns;
import io.netns.NetworkMode;
import io.netns.Sandbox;
import java.net.InetAddress;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Which parts of the library this build has, so that {@code run.sh} runs every benchmark that can run and
 * lists the others as pending with the reason, instead of failing on them. Run as a program it prints one
 * {@code key=yes} or {@code key=no <reason>} line per capability:
 *
 * <ul>
 *   <li>{@code netns}: namespaces can be made here (root, a Linux kernel);</li>
 *   <li>{@code none}: {@code NetworkMode.none()} sandboxes (needs {@code lo} up over rtnetlink);</li>
 *   <li>{@code bridge}: {@code NetworkMode.bridge()} sandboxes, probed on a lab host;</li>
 *   <li>{@code publish}: bridge with a published port (needs the iptables firewall module);</li>
 *   <li>{@code ranges}: a port range published as one publication through the firewall (issue #18), and so
 *       {@code PublishBenchmark.range};</li>
 *   <li>{@code ipv6}: dual-stack bridge networks, {@code NetworkMode.bridge().ipv6()} (issue #17), and so
 *       {@code DualStackBenchmark.dualStack};</li>
 *   <li>{@code rtnl}: the {@code io.netns.rtnl.RtnlClient} API (and so {@code RtnlBenchmark});</li>
 *   <li>{@code planner}: the {@code io.netns.planner} API (and so {@code PlannerBenchmark});</li>
 *   <li>{@code cni}: Debian's CNI plugins in {@code /usr/lib/cni} (and so {@code CniBenchmark}).</li>
 * </ul>
 *
 * The probes make sandboxes on a lab host of their own and remove it, like every benchmark.
 */
public final class Capabilities {
    private Capabilities() {
    }

    /**
     * Probes everything.
     *
     * @return capability → null when available, else why not
     */
    public static Map<String, String> probe() {
        Map<String, String> out = new LinkedHashMap<>();
        out.put("netns", Netns.isAvailable() ? null : String.valueOf(Netns.unavailabilityCause()));
        if (!Netns.isAvailable()) {
            for (String k : new String[] {"none", "bridge", "publish", "ranges", "ipv6"}) {
                out.put(k, "namespaces unavailable");
            }
        } else {
            try (Lab lab = Lab.open("p")) {
                out.put("none", trySandbox(lab, "pn", NetworkMode.none()));
                String br = Names.unique("br").substring(6);
                out.put("bridge", trySandbox(lab, "pb", NetworkMode.bridge().name(br).subnet("10.213.4.0/24")));
                out.put("publish", out.get("bridge") != null ? "needs bridge mode"
                        : trySandbox(lab, "pp", NetworkMode.bridge().name(br).subnet("10.213.4.0/24").publish(18081, 80)));
                out.put("ranges", out.get("publish") != null ? "needs published ports" : tryRange(lab, br));
                out.put("ipv6", out.get("bridge") != null ? "needs bridge mode" : tryDualStack(lab));
            } catch (Exception | Error e) {
                for (String k : new String[] {"none", "bridge", "publish", "ranges", "ipv6"}) {
                    out.putIfAbsent(k, "lab host failed: " + e);
                }
            }
        }
        out.put("rtnl", classMissing("io.netns.rtnl.RtnlClient"));
        out.put("planner", classMissing("io.netns.planner.ListenerPlanner"));
        out.put("cni", java.nio.file.Files.isExecutable(CniBenchmark.PLUGINS.resolve("bridge")) ? null
                : "no CNI plugins in " + CniBenchmark.PLUGINS + " (scripts/setup.sh installs containernetworking-plugins)");
        return out;
    }

    private static String trySandbox(Lab lab, String tag, NetworkMode mode) {
        try {
            Sandbox s = lab.host().create(Names.unique(tag), mode);
            s.close();
            return null;
        } catch (UnsupportedOperationException e) {
            return "not built yet: " + e.getMessage();
        } catch (Exception | Error e) {
            return "fails: " + e;
        }
    }

    /** Publishes and removes {@link PublishBenchmark#RANGE} through the firewall, as the benchmark does. */
    private static String tryRange(Lab lab, String bridge) {
        try {
            Firewall fw = Firewall.load();
            Firewall.Owner owner = Firewall.Owner.sandbox(lab.host().id(), "probe-range");
            try {
                fw.publish(lab.host().namespace(), owner, bridge, List.of(InetAddress.getByName("10.213.4.200")),
                        List.of(PublishBenchmark.RANGE));
            } finally {
                fw.remove(lab.host().namespace(), owner);
            }
            return null;
        } catch (IllegalArgumentException | UnsupportedOperationException e) {
            return "not built yet: " + e.getMessage();
        } catch (Exception | Error e) {
            return "fails: " + e;
        }
    }

    /** A dual-stack bridge sandbox, as {@link DualStackBenchmark} makes them. */
    private static String tryDualStack(Lab lab) {
        return trySandbox(lab, "p6", NetworkMode.bridge().name(Names.unique("b6").substring(6)).subnet("10.213.5.0/24").ipv6());
    }

    private static String classMissing(String name) {
        try {
            Class.forName(name, false, Capabilities.class.getClassLoader());
            return null;
        } catch (ClassNotFoundException e) {
            return "not built yet: no " + name;
        }
    }

    /**
     * Prints {@code key=yes} or {@code key=no <reason>} per capability.
     *
     * @param args none
     */
    public static void main(String[] args) {
        probe().forEach((k, v) -> System.out.println(k + "=" + (v == null ? "yes" : "no " + v.replace('\n', ' '))));
    }
}
