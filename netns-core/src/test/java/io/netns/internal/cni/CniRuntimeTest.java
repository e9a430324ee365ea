package io.netns.internal.cni;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netns.CniException;
import io.netns.NetnsException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The runtime's side of the protocol (CNI spec sections 2 and 3), against stand-in plugins that record
 * their environment, standard input and order: no privileges needed.
 */
class CniRuntimeTest {
    @TempDir
    Path dir;
    private CniRuntime runtime;
    private final CniRuntime.Attachment att = new CniRuntime.Attachment("c1", "/run/netns/c1", "eth0",
            linked("K8S_POD", "web", "IgnoreUnknown", "1"), Map.of("portMappings", List.of(Map.of("hostPort", 8080L)),
                    "mac", "c2:11:22:33:44:55"));

    private static Map<String, String> linked(String... kv) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put(kv[i], kv[i + 1]);
        }
        return m;
    }

    @BeforeEach
    void plugins() throws IOException {
        for (String name : List.of("fa", "fb", "fc")) {
            try (InputStream in = CniRuntimeTest.class.getResourceAsStream("fake-plugin")) {
                Path f = dir.resolve(name);
                Files.write(f, in.readAllBytes());
                Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rwxr-xr-x"));
            }
        }
        runtime = runtime(Duration.ofSeconds(20));
    }

    private CniRuntime runtime(Duration timeout) {
        return new CniRuntime(List.of(dir.resolve("none"), dir), timeout, pb -> {
            try {
                return pb.start();
            } catch (IOException e) {
                throw NetnsException.wrap("start", e);
            }
        });
    }

    private CniConfig config(String version, String... plugins) throws NetnsException {
        StringBuilder b = new StringBuilder("{\"cniVersion\":\"" + version + "\",\"name\":\"n1\",\"plugins\":[");
        for (int i = 0; i < plugins.length; i++) {
            b.append(i == 0 ? "" : ",").append(plugins[i]);
        }
        return CniConfig.parse(b.append("]}").toString().getBytes(StandardCharsets.UTF_8), "test", true);
    }

    private void give(String plugin, String verb, String what, String content) throws IOException {
        Files.writeString(dir.resolve(plugin + "." + verb + "." + what), content);
    }

    private String got(String plugin, String verb, String what) throws IOException {
        Path f = dir.resolve(plugin + "." + verb + "." + what);
        return Files.exists(f) ? Files.readString(f).strip() : null;
    }

    private List<String> calls() throws IOException {
        Path f = dir.resolve("calls");
        return Files.exists(f) ? Files.readAllLines(f) : List.of();
    }

    private static final String R1 = "{\"cniVersion\":\"1.0.0\",\"interfaces\":[{\"name\":\"eth0\",\"sandbox\":\"/run/netns/c1\"}],"
            + "\"ips\":[{\"address\":\"10.1.0.5/24\",\"gateway\":\"10.1.0.1\",\"interface\":0}]}";
    private static final String R2 = "{\"cniVersion\":\"1.0.0\",\"interfaces\":[{\"name\":\"eth0\",\"sandbox\":\"/run/netns/c1\","
            + "\"mac\":\"c2:11:22:33:44:55\"}],\"ips\":[{\"address\":\"10.1.0.5/24\",\"gateway\":\"10.1.0.1\",\"interface\":0}]}";

    @Test
    void addChainsPrevResultAndDelRunsInReverseWithTheCachedResult() throws Exception {
        CniConfig c = config("1.0.0", "{\"type\":\"fa\",\"k\":1}",
                "{\"type\":\"fb\",\"capabilities\":{\"mac\":true,\"portMappings\":false}}");
        give("fa", "ADD", "out", R1);
        give("fb", "ADD", "out", R2);
        Map<String, Object> result = runtime.add(c, "1.0.0", att);
        assertEquals(Json.parse(R2), result);
        assertEquals("{\"cniVersion\":\"1.0.0\",\"name\":\"n1\",\"type\":\"fa\",\"k\":1}", got("fa", "ADD", "stdin"),
                "first plugin: no prevResult, no runtimeConfig it did not declare");
        assertEquals("{\"cniVersion\":\"1.0.0\",\"name\":\"n1\",\"type\":\"fb\",\"runtimeConfig\":{\"mac\":\"c2:11:22:33:44:55\"},"
                + "\"prevResult\":" + R1 + "}", got("fb", "ADD", "stdin"), "the previous result, and only the declared capability");
        assertEquals("CNI_ARGS=K8S_POD=web;IgnoreUnknown=1\nCNI_COMMAND=ADD\nCNI_CONTAINERID=c1\nCNI_IFNAME=eth0\n"
                + "CNI_NETNS=/run/netns/c1\nCNI_PATH=" + dir.resolve("none") + ":" + dir, got("fa", "ADD", "env"));

        runtime.del(c, "1.0.0", att, result);
        assertEquals(List.of("ADD fa", "ADD fb", "DEL fb", "DEL fa"), calls());
        assertTrue(got("fa", "DEL", "stdin").endsWith(",\"prevResult\":" + R2 + "}"), got("fa", "DEL", "stdin"));
        assertTrue(got("fb", "DEL", "stdin").endsWith(",\"prevResult\":" + R2 + "}"), got("fb", "DEL", "stdin"));
        assertTrue(got("fa", "DEL", "env").contains("CNI_COMMAND=DEL"));
    }

    @Test
    void delBefore040GetsNoPrevResult() throws Exception {
        CniConfig c = config("0.3.1", "{\"type\":\"fa\"}");
        runtime.del(c, "0.3.1", att, Json.parseObject(R1.getBytes(StandardCharsets.UTF_8)));
        assertFalse(got("fa", "DEL", "stdin").contains("prevResult"));
    }

    @Test
    void aFailedAddRunsDelOfTheWholeListInReverseAndMapsTheError() throws Exception {
        CniConfig c = config("1.0.0", "{\"type\":\"fa\"}", "{\"type\":\"fb\"}", "{\"type\":\"fc\"}");
        give("fa", "ADD", "out", R1);
        give("fb", "ADD", "out", "{\"cniVersion\":\"1.0.0\",\"code\":7,\"msg\":\"bad subnet\",\"details\":\"10.0.0.0/33\"}");
        give("fb", "ADD", "rc", "1");
        CniException e = assertThrows(CniException.class, () -> runtime.add(c, "1.0.0", att));
        assertEquals("CNI plugin fb (network n1) failed ADD: code 7 (invalid network config): bad subnet: 10.0.0.0/33",
                e.getMessage());
        assertEquals(7, e.code());
        assertEquals("fb", e.plugin());
        assertEquals("ADD", e.verb());
        assertEquals("bad subnet", e.pluginMessage());
        assertEquals("10.0.0.0/33", e.details());
        assertEquals(List.of("ADD fa", "ADD fb", "DEL fc", "DEL fb", "DEL fa"), calls());
        assertTrue(got("fc", "DEL", "stdin").endsWith(",\"prevResult\":" + R1 + "}"), "DEL gets what was added");
    }

    @Test
    void aCrashWithoutAnErrorResultKeepsStderr() throws Exception {
        CniConfig c = config("1.0.0", "{\"type\":\"fa\"}");
        give("fa", "ADD", "rc", "2");
        give("fa", "ADD", "err", "panic: runtime error");
        CniException e = assertThrows(CniException.class, () -> runtime.add(c, "1.0.0", att));
        assertEquals(0, e.code());
        assertEquals("CNI plugin fa (network n1) failed ADD: exited with status 2 and no error result; it wrote to stderr: "
                + "panic: runtime error", e.getMessage());
        give("fa", "ADD", "out", "not json");
        CniException notJson = assertThrows(CniException.class, () -> runtime.add(c, "1.0.0", att));
        assertTrue(notJson.getMessage().contains("an error result that is not JSON: not json"), notJson.getMessage());
        Files.delete(dir.resolve("fa.ADD.rc"));
        CniException badResult = assertThrows(CniException.class, () -> runtime.add(c, "1.0.0", att));
        assertEquals(CniException.DECODING_FAILURE, badResult.code());
        assertTrue(badResult.getMessage().contains("its result is not a JSON object"), badResult.getMessage());
    }

    @Test
    void aPluginOverItsTimeLimitIsKilled() throws Exception {
        CniConfig c = config("1.0.0", "{\"type\":\"fa\"}");
        give("fa", "ADD", "sleep", "30");
        long t0 = System.nanoTime();
        CniException e = assertThrows(CniException.class, () -> runtime(Duration.ofMillis(300)).add(c, "1.0.0", att));
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertTrue(e.getMessage().startsWith("CNI plugin fa (network n1) failed ADD: did not finish within 300 ms and was killed"),
                e.getMessage());
        assertTrue(ms < 10_000, "took " + ms + " ms");
        assertEquals(List.of("ADD fa", "DEL fa"), calls());
    }

    @Test
    void theVersionIsTheBestThatEveryPluginSupports() throws Exception {
        give("fa", "VERSION", "out", "{\"cniVersion\":\"1.1.0\",\"supportedVersions\":[\"0.4.0\",\"1.0.0\"]}");
        give("fb", "VERSION", "out", "{\"cniVersion\":\"1.1.0\",\"supportedVersions\":[\"1.0.0\",\"1.1.0\"]}");
        CniConfig c = CniConfig.parse(("{\"cniVersion\":\"0.4.0\",\"cniVersions\":[\"1.1.0\",\"1.0.0\"],\"name\":\"n1\","
                + "\"plugins\":[{\"type\":\"fa\"},{\"type\":\"fb\"}]}").getBytes(StandardCharsets.UTF_8), "test", true);
        assertEquals("1.0.0", runtime.negotiate(c));
        assertEquals("1.0.0", runtime.negotiate(c));
        assertEquals(List.of("VERSION fa", "VERSION fb"), calls(), "asked once per plugin file");
        assertEquals("{\"cniVersion\":\"1.1.0\"}", got("fa", "VERSION", "stdin"));
        assertEquals("CNI_COMMAND=VERSION\nCNI_PATH=" + dir.resolve("none") + ":" + dir, got("fa", "VERSION", "env"));

        CniConfig only11 = config("1.1.0", "{\"type\":\"fa\"}", "{\"type\":\"fb\"}");
        NetnsException e = assertThrows(NetnsException.class, () -> runtime.negotiate(only11));
        assertEquals("CNI network n1 (test) asks for version 1.1.0, which not every plugin supports: fa supports 0.4.0, 1.0.0; "
                + "fb supports 1.0.0, 1.1.0", e.getMessage());

        CniConfig missing = config("1.0.0", "{\"type\":\"fa\"}", "{\"type\":\"nope\"}");
        NetnsException m = assertThrows(NetnsException.class, () -> runtime.negotiate(missing));
        assertEquals("CNI plugin nope of network n1 not found: no executable file nope in " + dir.resolve("none") + ":" + dir
                + " (set the directories with NetworkMode.cni(...).pluginDirs(...))", m.getMessage());
        assertEquals(2, calls().size(), "nothing ran for the missing plugin's network");
    }

    @Test
    void statusAndGcRunFrom110AndAreSkippedBefore() throws Exception {
        CniConfig c = config("1.1.0", "{\"type\":\"fa\",\"capabilities\":{\"mac\":true}}", "{\"type\":\"fb\"}");
        assertTrue(runtime.status(c, "1.1.0"));
        assertEquals("{\"cniVersion\":\"1.1.0\",\"name\":\"n1\",\"type\":\"fa\"}", got("fa", "STATUS", "stdin"));
        assertEquals("CNI_COMMAND=STATUS\nCNI_PATH=" + dir.resolve("none") + ":" + dir, got("fa", "STATUS", "env"));
        assertTrue(runtime.gc(c, "1.1.0", List.<String[]>of(new String[] {"c1", "eth0"})));
        assertEquals("{\"cniVersion\":\"1.1.0\",\"name\":\"n1\",\"type\":\"fb\",\"cni.dev/valid-attachments\":"
                + "[{\"containerID\":\"c1\",\"ifname\":\"eth0\"}],\"cni.dev/attachments\":[{\"containerID\":\"c1\",\"ifname\":\"eth0\"}]}",
                got("fb", "GC", "stdin"));
        assertEquals(List.of("STATUS fa", "STATUS fb", "GC fa", "GC fb"), calls());

        CniConfig old = config("1.0.0", "{\"type\":\"fa\"}");
        assertFalse(runtime.status(old, "1.0.0"));
        assertFalse(runtime.gc(old, "1.0.0", List.of()));
        assertFalse(runtime.check(config("0.3.1", "{\"type\":\"fa\"}"), "0.3.1", att, Map.of()));
        CniConfig noCheck = CniConfig.parse("{\"cniVersion\":\"1.0.0\",\"name\":\"n1\",\"disableCheck\":true,\"disableGC\":true,\"plugins\":[{\"type\":\"fa\"}]}"
                .getBytes(StandardCharsets.UTF_8), "test", true);
        assertFalse(runtime.check(noCheck, "1.0.0", att, Map.of()));
        assertEquals(4, calls().size(), "nothing ran when skipped");
        assertNull(got("fa", "CHECK", "stdin"));
    }

    @Test
    void statusFailureIsNotAvailableAndGcContinuesPastFailures() throws Exception {
        CniConfig c = config("1.1.0", "{\"type\":\"fa\"}", "{\"type\":\"fb\"}");
        give("fa", "STATUS", "out", "{\"code\":50,\"msg\":\"daemon down\"}");
        give("fa", "STATUS", "rc", "1");
        CniException e = assertThrows(CniException.class, () -> runtime.status(c, "1.1.0"));
        assertEquals(CniException.NOT_AVAILABLE, e.code());
        assertEquals("CNI plugin fa (network n1) failed STATUS: code 50 (plugin not available): daemon down", e.getMessage());
        give("fa", "GC", "rc", "1");
        give("fb", "GC", "rc", "1");
        NetnsException gc = assertThrows(NetnsException.class, () -> runtime.gc(c, "1.1.0", List.of()));
        assertEquals(1, gc.getSuppressed().length, "both failures reported");
        assertEquals(List.of("STATUS fa", "GC fa", "GC fb"), calls());
    }

    @Test
    void checkRunsInOrderWithTheCachedResult() throws Exception {
        CniConfig c = config("1.0.0", "{\"type\":\"fa\"}", "{\"type\":\"fb\"}");
        assertTrue(runtime.check(c, "1.0.0", att, Json.parseObject(R2.getBytes(StandardCharsets.UTF_8))));
        assertEquals(List.of("CHECK fa", "CHECK fb"), calls());
        assertTrue(got("fa", "CHECK", "stdin").endsWith(",\"prevResult\":" + R2 + "}"));
        give("fa", "CHECK", "out", "{\"code\":999,\"msg\":\"route missing\"}");
        give("fa", "CHECK", "rc", "1");
        CniException e = assertThrows(CniException.class, () -> runtime.check(c, "1.0.0", att, Map.of()));
        assertEquals("CNI plugin fa (network n1) failed CHECK: code 999 (the plugin's own error code): route missing", e.getMessage());
        assertEquals(List.of("CHECK fa", "CHECK fb", "CHECK fa"), calls(), "CHECK stops at the first failure");
    }
}
