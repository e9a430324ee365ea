package io.netns.iptables;

import io.netns.internal.OwnerRecord;
import io.netns.testing.Cmd;
import io.netns.testing.TestLab;
import io.netns.testing.Tools;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

/** What netns may leave on a lab host, read independently: ip, iptables-save, /run. */
final class Leftovers {
    static final Path NETNS_DIR = Path.of("/run/netns");
    static final Path IPAM_DIR = Path.of("/run/netns.d/ipam");

    private Leftovers() {
    }

    static List<String> namespaces(String prefix) {
        return files(NETNS_DIR, prefix);
    }

    static List<String> ownerRecords(String prefix) {
        return files(OwnerRecord.DIR, prefix);
    }

    /** @return every lease file of the host, as network/ip */
    static List<String> leases(String hostId) {
        Path dir = IPAM_DIR.resolve(hostId);
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(Files::isRegularFile).map(p -> dir.relativize(p).toString()).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** @return the names of the veths in the lab */
    static List<String> veths(String lab) throws Exception {
        String out = Lab.run(List.of("ip", "-n", lab, "-o", "link", "show", "type", "veth"));
        return out.lines().map(l -> l.split(":")[1].trim().split("@")[0]).sorted().toList();
    }

    /** @return the lines of iptables-save and nft in the lab that carry a netns tag other than the infrastructure's */
    static List<String> taggedRules(String lab, String tagPrefix) throws Exception {
        return Arrays.stream(save(lab).split("\n")).filter(l -> l.contains("\"" + tagPrefix)).toList();
    }

    /** @return iptables-save and ip6tables-save in the lab, then the library's nftables tables there */
    static String save(String lab) throws Exception {
        String path = NETNS_DIR.resolve(lab).toString();
        return Lab.run(List.of("ip", "netns", "exec", lab, "iptables-save"))
                + Lab.run(List.of("ip", "netns", "exec", lab, "ip6tables-save")) + nat(path, "ip") + nat(path, "ip6");
    }

    /**
     * @param netns the namespace's path
     * @param family {@code ip} or {@code ip6}
     * @return {@code nft list table <family> netns} there, or "" when nft itself says there is no such
     *     table; a missing {@code nft} or {@code nsenter}, or a missing namespace, fails the test: a
     *     "no rule left" check must never pass for want of a witness
     */
    static String nat(String netns, String family) throws Exception {
        Tools.require("nsenter");
        Tools.require("nft");
        if (!Files.exists(Path.of(netns))) {
            throw new AssertionError("no namespace at " + netns + " to read the " + family + " nat table of");
        }
        Cmd.Result r = Cmd.exec("nsenter", "--net=" + netns, "nft", "list", "table", family, NatTable.TABLE);
        if (r.exit() == 0) {
            return r.output();
        }
        if (r.exit() == 1 && r.error().startsWith("Error: No such file or directory")) {
            return ""; // nft's own answer: no such table
        }
        throw new AssertionError("nft list table " + family + " " + NatTable.TABLE + " in " + netns + " exited "
                + r.exit() + ": " + r.output() + r.error());
    }

    /** Waits until the kernel has destroyed the veths of deleted namespaces (it does so lazily). */
    static List<String> vethsSettled(String lab, List<String> allowed) throws Exception {
        long deadline = System.nanoTime() + 20_000_000_000L;
        List<String> v = veths(lab);
        while (!allowed.containsAll(v) && System.nanoTime() < deadline) {
            Thread.sleep(50);
            v = veths(lab);
        }
        return v;
    }

    private static List<String> files(Path dir, String prefix) {
        return TestLab.names(dir, prefix);
    }

    static int openFds() {
        try (Stream<Path> s = Files.list(Path.of("/proc/self/fd"))) {
            return (int) s.count();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
