package io.netns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netns.internal.OwnerRecord;
import io.netns.internal.cni.CniCache;
import io.netns.internal.cni.Json;
import io.netns.testing.CniLab;
import io.netns.testing.Cmd;
import io.netns.testing.TestLab;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * CNI mode on a lab host with Debian's plugins (bridge, host-local, portmap, firewall, tuning): the plugins
 * run with the lab as their host, so their bridge, veths and iptables rules are the lab's. Checked with real
 * TCP, {@code ip}, {@code iptables-save} and host-local's lease files.
 */
class CniIT {
    @RegisterExtension
    final TestLab testLab = new TestLab("cniit");

    private final String p = testLab.prefix();
    private Host lab;
    private NetNamespace ext;
    private CniLab cni;

    @TempDir
    Path tmp;

    @BeforeEach
    void makeLab() throws Exception {
        lab = testLab.host();
        cni = new CniLab(tmp, p + "net", "cnb" + ProcessHandle.current().pid(), "10.77.0");
    }

    private CniMode mode() {
        return NetworkMode.cni(cni.network()).confDir(cni.confDir()).pluginDirs(CniLab.PLUGINS);
    }

    /** An outside namespace ext (192.0.2.2) linked to the lab (192.0.2.1 on up0). */
    private void makeOutside() throws NetnsException {
        ext = testLab.namespace("ext");
        Cmd.run("ip", "-n", p + "lab", "link", "add", "up0", "type", "veth", "peer", "name", "ext0", "netns", p + "ext");
        Cmd.run("ip", "-n", p + "lab", "addr", "add", "192.0.2.1/24", "dev", "up0");
        Cmd.run("ip", "-n", p + "lab", "link", "set", "up0", "up");
        Cmd.run("ip", "-n", p + "ext", "addr", "add", "192.0.2.2/24", "dev", "ext0");
        Cmd.run("ip", "-n", p + "ext", "link", "set", "ext0", "up");
        Cmd.run("ip", "-n", p + "ext", "link", "set", "lo", "up");
    }

    @Test
    void trafficOutInAndBetweenAndNothingLeft() throws Exception {
        cni.writeFull();
        makeOutside();
        List<String> ips = new ArrayList<>();
        try (Sandbox a = lab.create(p + "a", mode().publish(18080, 80).publish("18081-18082:81-82").mac("c2:11:22:33:44:55"));
                Sandbox b = lab.create(p + "b", mode())) {
            InetAddress ipA = a.addresses().get(0);
            InetAddress ipB = b.addresses().get(0);
            ips.add(ipA.getHostAddress());
            ips.add(ipB.getHostAddress());
            assertTrue(ipA.getHostAddress().startsWith("10.77.0."), ipA.toString());
            // iproute2's view of the sandbox: eth0 with the address and the MAC tuning set, a default route.
            String addr = Cmd.run("ip", "-n", p + "a", "-o", "-4", "addr", "show", "dev", "eth0");
            assertTrue(addr.contains("inet " + ipA.getHostAddress() + "/24"), addr);
            assertTrue(Cmd.run("ip", "-n", p + "a", "-o", "link", "show", "eth0").contains("c2:11:22:33:44:55"));
            assertTrue(Cmd.run("ip", "-n", p + "a", "route", "show", "default").contains("via 10.77.0.1 dev eth0"));
            // the result, as the sandbox exposes it
            CniResult r = a.cniResult().orElseThrow();
            assertEquals(ipA, r.ips().get(0).address());
            assertEquals(InetAddress.getByName("10.77.0.1"), r.ips().get(0).gateway());
            assertTrue(r.interfaces().stream().anyMatch(i -> i.name().equals("eth0")
                    && i.sandbox().equals("/run/netns/" + p + "a") && i.mac().equals("c2:11:22:33:44:55")), r.json());
            assertEquals(2, cni.leases().size(), "two leases: " + cni.leases());
            // a -> outside: masqueraded to the lab's address
            try (ServerSocket s = ext.call(() -> new ServerSocket(7000, 5, InetAddress.getByName("192.0.2.2")))) {
                a.run(() -> {
                    try (Socket c = new Socket()) {
                        c.connect(new InetSocketAddress("192.0.2.2", 7000), 3000);
                    }
                });
                try (Socket in = s.accept()) {
                    assertEquals(InetAddress.getByName("192.0.2.1"), in.getInetAddress(), "masqueraded by ipMasq");
                }
            }
            // outside -> published port 18080 on the lab -> a:80
            try (ServerSocket s = a.call(() -> new ServerSocket(80, 5, ipA))) {
                ext.run(() -> {
                    try (Socket c = new Socket()) {
                        c.connect(new InetSocketAddress("192.0.2.1", 18080), 3000);
                        c.getOutputStream().write('x');
                    }
                });
                try (Socket in = s.accept()) {
                    assertEquals('x', in.getInputStream().read());
                    assertEquals(InetAddress.getByName("192.0.2.2"), in.getInetAddress());
                }
            }
            // outside -> the last port of the range 18081-18082:81-82 (one portMappings entry per port) -> a:82
            try (ServerSocket s = a.call(() -> new ServerSocket(82, 5, ipA))) {
                ext.run(() -> {
                    try (Socket c = new Socket()) {
                        c.connect(new InetSocketAddress("192.0.2.1", 18082), 3000);
                        c.getOutputStream().write('y');
                    }
                });
                try (Socket in = s.accept()) {
                    assertEquals('y', in.getInputStream().read());
                }
            }
            // a <-> b over the bridge
            try (ServerSocket s = b.call(() -> new ServerSocket(7001, 5, ipB))) {
                a.run(() -> {
                    try (Socket c = new Socket()) {
                        c.connect(new InetSocketAddress(ipB, 7001), 3000);
                    }
                });
                try (Socket in = s.accept()) {
                    assertEquals(ipA, in.getInetAddress());
                }
            }
            Path cache = CniCache.file(cni.network(), p + "a", "eth0");
            assertTrue(Files.exists(cache), "cached result " + cache);
            System.out.println("cached result file " + cache + ":\n" + Files.readString(cache));
        }
        cni.assertNothingLeft(p + "lab", List.of(p + "a", p + "b"), ips);
        assertFalse(Files.exists(CniCache.file(cni.network(), p + "a", "eth0")), "cache entry removed");
    }

    @Test
    void checkPassesThenReportsWhatIsMissing() throws Exception {
        cni.write("1.0.0", cni.bridgePlugin(), "{\"type\":\"firewall\"}", "{\"type\":\"tuning\"}");
        try (Sandbox s = lab.create(p + "c", mode())) {
            assertTrue(s.check(), "CHECK ran and passed");
            Cmd.run("ip", "-n", p + "c", "route", "del", "default");
            CniException e = assertThrows(CniException.class, s::check);
            assertEquals("bridge", e.plugin());
            assertEquals("CHECK", e.verb());
            assertTrue(e.getMessage().contains("Expected Route") && e.getMessage().contains("not found"), e.getMessage());
            System.out.println("CHECK after the default route was deleted: " + e.getMessage());
        }
        cni.assertNothingLeft(p + "lab", List.of(p + "c"), List.of());
    }

    @Test
    void failedAddLeavesNothingAndNamesThePlugin() throws Exception {
        cni.write("1.0.0", cni.bridgePlugin(),
                "{\"type\":\"tuning\",\"sysctl\":{\"net.ipv4.conf.eth0.no_such_sysctl\":\"1\"}}");
        CniException e = assertThrows(CniException.class, () -> lab.create(p + "f", mode()));
        assertEquals("tuning", e.plugin());
        assertEquals("ADD", e.verb());
        assertTrue(e.getMessage().startsWith("CNI plugin tuning (network " + cni.network() + ") failed ADD: "), e.getMessage());
        assertFalse(Files.exists(NetNamespace.NETNS_DIR.resolve(p + "f")), "namespace removed");
        assertFalse(Files.exists(OwnerRecord.DIR.resolve(p + "f")), "owner record removed");
        assertFalse(Files.exists(CniCache.file(cni.network(), p + "f", "eth0")), "cache entry removed");
        cni.assertNothingLeft(p + "lab", List.of(p + "f"), List.of("10.77.0.2"));
    }

    @Test
    void badConfigurationsFailBeforeAnyPluginRuns() throws Exception {
        cni.write("1.0.0", cni.bridgePlugin());
        NetnsException unknown = assertThrows(NetnsException.class,
                () -> lab.create(p + "u", NetworkMode.cni("nosuchnet").confDir(cni.confDir()).pluginDirs(CniLab.PLUGINS)));
        assertTrue(unknown.getMessage().contains("no CNI network named \"nosuchnet\" in " + cni.confDir()
                + " (networks there: " + cni.network() + ")"), unknown.getMessage());

        cni.writeAs("missing.conflist", "missingplug", "1.0.0", "{\"type\":\"nosuchplugin\"}");
        NetnsException missing = assertThrows(NetnsException.class,
                () -> lab.create(p + "u", NetworkMode.cni("missingplug").confDir(cni.confDir()).pluginDirs(CniLab.PLUGINS)));
        assertTrue(missing.getMessage().contains("CNI plugin nosuchplugin of network missingplug not found"), missing.getMessage());

        cni.writeAs("old.conflist", "oldnet", "0.3.1", cni.bridgePlugin(), "{\"type\":\"firewall\"}");
        NetnsException version = assertThrows(NetnsException.class,
                () -> lab.create(p + "u", NetworkMode.cni("oldnet").confDir(cni.confDir()).pluginDirs(CniLab.PLUGINS)));
        assertTrue(version.getMessage().contains("asks for version 0.3.1, which not every plugin supports")
                && version.getMessage().contains("firewall supports 0.4.0, 1.0.0"), version.getMessage());

        Path bad = Files.writeString(cni.confDir().resolve("zz-bad.conflist"), "{\"name\": \"badnet\",\n \"plugins\": [}");
        NetnsException malformed = assertThrows(NetnsException.class,
                () -> lab.create(p + "u", NetworkMode.cni(bad)));
        assertTrue(malformed.getMessage().contains("invalid CNI configuration " + bad + ": malformed JSON at line 2"),
                malformed.getMessage());

        assertFalse(Files.exists(NetNamespace.NETNS_DIR.resolve(p + "u")), "no namespace was made");
        assertFalse(Files.exists(OwnerRecord.DIR.resolve(p + "u")));
        assertFalse(Cmd.run("ip", "-n", p + "lab", "-o", "link").contains(cni.bridge()), "no plugin ran");
        assertEquals(List.of(), cni.leases());
    }

    /**
     * The same plugins run by hand (the spec's environment, the configuration on stdin with prevResult
     * chained by string surgery, as cnitool does) give the same result as cni() for the same parameters; only
     * the host-side veth's random name and MAC differ.
     */
    @Test
    void resultEqualsThePluginsRunByHand() throws Exception {
        String bridgeConf = cni.bridgePlugin();
        String tuningConf = "{\"type\":\"tuning\",\"sysctl\":{\"net.core.somaxconn\":\"500\"}}";
        cni.write("1.0.0", bridgeConf, tuningConf);
        Map<String, Object> ours;
        try (Sandbox s = lab.create(p + "s", mode().args("IgnoreUnknown", "1").args("IP", "10.77.0.50"))) {
            ours = Json.parseObject(s.cniResult().orElseThrow().json().getBytes(StandardCharsets.UTF_8));
        }
        Cmd.run("ip", "netns", "add", p + "s");
        try {
            Map<String, String> env = Map.of("CNI_CONTAINERID", p + "s", "CNI_NETNS", "/run/netns/" + p + "s",
                    "CNI_IFNAME", "eth0", "CNI_ARGS", "IgnoreUnknown=1;IP=10.77.0.50", "CNI_PATH", CniLab.PLUGINS.toString());
            String head = "{\"cniVersion\":\"1.0.0\",\"name\":\"" + cni.network() + "\",";
            String r1 = byHand("ADD", env, head + bridgeConf.substring(1));
            String r2 = byHand("ADD", env, head + tuningConf.substring(1, tuningConf.length() - 1) + ",\"prevResult\":" + r1 + "}");
            Map<String, Object> theirs = Json.parseObject(r2.getBytes(StandardCharsets.UTF_8));
            assertEquals(normalized(theirs), normalized(ours));
            byHand("DEL", env, head + tuningConf.substring(1, tuningConf.length() - 1) + ",\"prevResult\":" + r2 + "}");
            byHand("DEL", env, head + bridgeConf.substring(1, bridgeConf.length() - 1) + ",\"prevResult\":" + r2 + "}");
        } finally {
            Cmd.run("ip", "netns", "del", p + "s");
        }
        cni.assertNothingLeft(p + "lab", List.of(p + "s"), List.of("10.77.0.50"));
    }

    private String byHand(String verb, Map<String, String> env, String stdin) throws Exception {
        String plugin = (String) Json.parseObject(stdin.getBytes(StandardCharsets.UTF_8)).get("type");
        ProcessBuilder pb = new ProcessBuilder("ip", "netns", "exec", p + "lab", CniLab.PLUGINS.resolve(plugin).toString());
        pb.environment().putAll(env);
        pb.environment().put("CNI_COMMAND", verb);
        Process pr = pb.start();
        pr.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
        pr.getOutputStream().close();
        String out = new String(pr.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(pr.waitFor(30, TimeUnit.SECONDS));
        assertEquals(0, pr.exitValue(), plugin + " " + verb + ": " + out);
        return out;
    }

    /** The result with the host-side veth's name and MAC (random per ADD) blanked. */
    @SuppressWarnings("unchecked")
    private static Object normalized(Map<String, Object> result) {
        Map<String, Object> copy = (Map<String, Object>) Json.copy(result);
        for (Object o : (List<Object>) copy.get("interfaces")) {
            Map<String, Object> i = (Map<String, Object>) o;
            if (String.valueOf(i.get("name")).startsWith("veth")) {
                i.put("name", "veth*");
                i.put("mac", "*");
            }
            if (i.get("sandbox") != null) {
                i.remove("mac"); // eth0's MAC is random per ADD too
            }
        }
        return copy;
    }
}
