package io.netns.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netns.Host;
import io.netns.NamespaceNotFoundException;
import io.netns.NetNamespace;
import io.netns.NetnsException;
import io.netns.NetworkMode;
import io.netns.Sandbox;
import io.netns.internal.Names;
import io.netns.internal.OwnerRecord;
import io.netns.testing.Cmd;
import io.netns.testing.Ip;
import io.netns.testing.TestLab;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.function.Executable;

/**
 * Bad input fails at once, with an exception naming the bad value, and leaves nothing behind: no file
 * under /run/netns or /run/netns.d, no link in the lab.
 */
@Timeout(120)
class BadInputIT {
    private static final Path NETNS_D = Path.of("/run/netns.d");
    private static final Map<String, String> BAD_NAMES = Map.of(
            "", "\"\"",
            "..", "\"..\"",
            "/", "\"/\"",
            "a/b", "\"a/b\"",
            "../x", "\"../x\"",
            "a\nb", "a\\nb",
            "x".repeat(300), "300");

    @RegisterExtension
    final TestLab testLab = new TestLab("relbad");

    private final String p = testLab.prefix();
    private Host lab;
    private long slowestNanos;

    @BeforeEach
    void makeLab() throws NetnsException {
        lab = testLab.host();
    }

    @AfterEach
    void report() {
        // TestLab then closes the lab and fails on any namespace, owner record or lease directory of ours
        System.out.printf("bad input: slowest rejection took %.2f ms%n", slowestNanos / 1e6);
    }

    /** Asserts that the call throws {@code type} with a message containing {@code value}. */
    private <T extends Throwable> T rejects(Class<T> type, String value, Executable call) {
        long t0 = System.nanoTime();
        T e = assertThrows(type, call, "should reject " + Names.printable(value));
        slowestNanos = Math.max(slowestNanos, System.nanoTime() - t0);
        assertTrue(e.getMessage() != null && e.getMessage().contains(value),
                "the message names " + value + ": " + e.getMessage());
        return e;
    }

    /** Only what the lab had at the start: lo (and the bridge when a test made one). */
    private void labHasOnly(String... links) {
        String out = Cmd.run("ip", "-n", p + "lab", "-o", "link", "show");
        List<String> names = out.lines().map(l -> l.split(":")[1].trim().split("@")[0]).sorted().toList();
        assertEquals(List.of(links).stream().sorted().toList(), names, out);
    }

    private void nothingOf(String name) {
        assertFalse(Files.exists(NetNamespace.NETNS_DIR.resolve(name)), "namespace " + name + " left");
        assertFalse(Files.exists(OwnerRecord.DIR.resolve(name)), "owner record " + name + " left");
    }

    @Test
    void invalidNamesAreRejectedEverywhereANameIsTaken() {
        Map<String, Function<String, Executable>> takers = Map.of(
                "NetNamespace.create", n -> () -> NetNamespace.create(n),
                "NetNamespace.open", n -> () -> NetNamespace.open(n),
                "Host.createLab", n -> () -> Host.createLab(n),
                "Host.create(none)", n -> () -> lab.create(n, NetworkMode.none()),
                "Host.create(bridge)", n -> () -> lab.create(n, NetworkMode.bridge()),
                "NetworkMode.container", n -> () -> NetworkMode.container(n),
                "bridge().name", n -> () -> NetworkMode.bridge().name(n));
        takers.forEach((what, taker) -> BAD_NAMES.forEach((bad, shown) -> {
            IllegalArgumentException e = rejects(IllegalArgumentException.class, shown, taker.apply(bad));
            assertFalse(e.getMessage().contains("\n"), what + ": the message shows a newline escaped: " + e.getMessage());
        }));
        // nothing escaped /run/netns: no file was made next to it or above it
        assertFalse(Files.exists(Path.of("/run/x")));
        assertFalse(Files.exists(Path.of("/run/netns/a")));
        labHasOnly("lo");
    }

    @Test
    void invalidSubnetsPortsAndAddressesAreRejectedNamingTheValue() {
        for (String bad : List.of("10.0.0.0/33", "10.0.0.0/31", "10.0.0.0/32", "not a cidr", "10.0.0.0", "10.0.0.0/",
                "10.0.0.0/-1", "10.0.0.1/24", "300.0.0.0/24", "10.0.0.0/24\n-A", "fd00::/64", "example.com/24")) {
            rejects(IllegalArgumentException.class, Names.printable(bad), () -> NetworkMode.bridge().subnet(bad));
        }
        for (int bad : new int[] {0, -1, 65536, 70000}) {
            if (bad != 0) { // host port 0: any free port, as docker run -p 0:80
                rejects(IllegalArgumentException.class, Integer.toString(bad), () -> NetworkMode.bridge().publish(bad, 80));
                rejects(IllegalArgumentException.class, Integer.toString(bad),
                        () -> NetworkMode.bridge().publish("10.0.0.1", bad, 80));
            }
            rejects(IllegalArgumentException.class, Integer.toString(bad), () -> NetworkMode.bridge().publish(8080, bad));
            rejects(IllegalArgumentException.class, "8080:" + bad, () -> NetworkMode.bridge().publish("8080:" + bad));
        }
        for (String bad : List.of("", "8080:", "80/sctp", "9000-9010:80-85", "localhost:8080:80", "1.2.3.4:5:8080:80",
                "8080:80\n-A", "80/udp/x", "0-10:80")) {
            rejects(IllegalArgumentException.class, "publish spec \"" + Names.printable(bad) + "\"",
                    () -> NetworkMode.bridge().publish(bad));
        }
        rejects(IllegalArgumentException.class, "8080", () -> NetworkMode.bridge().publish(8080, 80).publish(8080, 81));
        rejects(IllegalArgumentException.class, "web.example", () -> NetworkMode.bridge().publish("web.example", 80, 80));
        rejects(IllegalArgumentException.class, "10.1.0.5",
                () -> NetworkMode.bridge().subnet("10.89.0.0/24").ip("10.1.0.5"));
        rejects(IllegalArgumentException.class, "99999", () -> NetworkMode.bridge().mtu(99999));
        rejects(IllegalArgumentException.class, "-5", () -> NetworkMode.container(-5));
        labHasOnly("lo");
    }

    @Test
    void anUnknownContainerAndAMissingNamespaceFailAndLeaveNothing() {
        rejects(IllegalArgumentException.class, "nosuch", () -> lab.create(p + "j1", NetworkMode.container("nosuch")));
        nothingOf(p + "j1");
        String missing = p + "missing";
        NamespaceNotFoundException e = rejects(NamespaceNotFoundException.class, missing, () -> NetNamespace.open(missing));
        assertEquals("ENOENT", e.errnoName());
        rejects(NamespaceNotFoundException.class, missing,
                () -> lab.create(p + "j2", NetworkMode.container(NetNamespace.NETNS_DIR.resolve(missing))));
        nothingOf(p + "j2");
        nothingOf(missing);
        rejects(NamespaceNotFoundException.class, "/proc/999999999",
                () -> lab.create(p + "j3", NetworkMode.container(999_999_999L)));
        nothingOf(p + "j3");
        labHasOnly("lo");
    }

    @Test
    void aDuplicateNameFailsAndLeavesBothTheFirstAndAForeignNamespaceUnharmed() throws Exception {
        try (Sandbox first = lab.create(p + "dup", NetworkMode.bridge())) {
            rejects(NetnsException.class, p + "dup", () -> lab.create(p + "dup", NetworkMode.bridge()));
            rejects(NetnsException.class, p + "dup", () -> lab.create(p + "dup", NetworkMode.none()));
            assertTrue(Cmd.run("ip", "-n", p + "dup", "-o", "addr").contains("10.89.0.2/24"), "the first is unharmed");
            assertEquals(first, lab.sandbox(p + "dup").orElseThrow());
            // a namespace ip made under the name wanted: refused, the foreign one left alone
            Ip.netnsAdd(p + "foreign");
            try {
                rejects(NetnsException.class, p + "foreign", () -> lab.create(p + "foreign", NetworkMode.bridge()));
                assertTrue(Files.exists(NetNamespace.NETNS_DIR.resolve(p + "foreign")), "the foreign namespace stays");
                assertFalse(Files.exists(OwnerRecord.DIR.resolve(p + "foreign")), "the failed create's record is gone");
                assertEquals(1, Cmd.run("ip", "-n", p + "foreign", "-o", "link").lines().count());
            } finally {
                Cmd.run("ip", "netns", "delete", p + "foreign");
            }
            // the same network asked with another subnet: refused naming both, nothing of the second left
            rejects(IllegalArgumentException.class, "10.90.0.0/24",
                    () -> lab.create(p + "sub", NetworkMode.bridge().subnet("10.90.0.0/24")));
            nothingOf(p + "sub");
            // an address that is taken, or reserved
            rejects(NetnsException.class, "10.89.0.2", () -> lab.create(p + "ip", NetworkMode.bridge().ip("10.89.0.2")));
            nothingOf(p + "ip");
            rejects(IllegalArgumentException.class, "10.89.0.1", () -> lab.create(p + "gw", NetworkMode.bridge().ip("10.89.0.1")));
            nothingOf(p + "gw");
            // The kernel destroys a failed sandbox's veth with its namespace, lazily: wait for it, not for ever.
            String veths = Cmd.run("ip", "-n", p + "lab", "-o", "link", "show", "type", "veth");
            for (int i = 0; i < 100 && veths.lines().count() > 1; i++) {
                Thread.sleep(20);
                veths = Cmd.run("ip", "-n", p + "lab", "-o", "link", "show", "type", "veth");
            }
            assertEquals(1, veths.lines().count(), "only the first sandbox's veth:\n" + veths);
        }
        assertEquals(List.of(), TestLab.names(OwnerRecord.DIR, p + "dup"));
    }
}
