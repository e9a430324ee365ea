package io.netns.internal.cni;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netns.NetnsException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Loading network configurations as libcni does, and deriving each plugin's request (spec section 3). */
class CniConfigTest {
    @TempDir
    Path dir;

    @Test
    void findsTheFirstConflistInNameOrderThenConfAndJson() throws Exception {
        Files.writeString(dir.resolve("20-b.conflist"), "{\"cniVersion\":\"1.0.0\",\"name\":\"net\",\"plugins\":[{\"type\":\"second\"}]}");
        Files.writeString(dir.resolve("10-a.conflist"), "{\"cniVersion\":\"1.0.0\",\"name\":\"net\",\"plugins\":[{\"type\":\"first\"}]}");
        Files.writeString(dir.resolve("05-single.conf"), "{\"cniVersion\":\"0.4.0\",\"name\":\"single\",\"type\":\"bridge\",\"bridge\":\"x\"}");
        Files.writeString(dir.resolve("06-other.json"), "{\"cniVersion\":\"0.3.1\",\"name\":\"other\",\"type\":\"ptp\"}");
        Files.writeString(dir.resolve("ignored.txt"), "not json");
        CniConfig net = CniConfig.load(dir, "net");
        assertEquals("first", net.type(0));
        assertEquals(1, net.size());
        CniConfig single = CniConfig.load(dir, "single");
        assertEquals("bridge", single.type(0));
        assertEquals(List.of("0.4.0"), single.candidateVersions());
        assertEquals("ptp", CniConfig.load(dir, "other").type(0));
        NetnsException e = assertThrows(NetnsException.class, () -> CniConfig.load(dir, "nope"));
        assertEquals("no CNI network named \"nope\" in " + dir + " (networks there: net, net, single, other)", e.getMessage());
        NetnsException none = assertThrows(NetnsException.class, () -> CniConfig.load(dir.resolve("absent"), "x"));
        assertTrue(none.getMessage().contains("the directory does not exist"), none.getMessage());
    }

    @Test
    void appendsPluginsOfTheSiblingDirectoryUnlessOnlyInlined() throws Exception {
        Files.writeString(dir.resolve("a.conflist"), "{\"cniVersion\":\"1.1.0\",\"name\":\"net\",\"plugins\":[{\"type\":\"bridge\"}]}");
        Files.createDirectories(dir.resolve("net"));
        Files.writeString(dir.resolve("net").resolve("10-portmap.conf"), "{\"type\":\"portmap\"}");
        CniConfig c = CniConfig.load(dir, "net");
        assertEquals(2, c.size());
        assertEquals("portmap", c.type(1));
        Files.writeString(dir.resolve("a.conflist"), "{\"cniVersion\":\"1.1.0\",\"name\":\"net\",\"loadOnlyInlinedPlugins\":true,"
                + "\"plugins\":[{\"type\":\"bridge\"}]}");
        assertEquals(1, CniConfig.load(dir, "net").size());
    }

    @Test
    void malformedFilesFailNamingTheFileAndWhere() throws Exception {
        Path f = Files.writeString(dir.resolve("bad.conflist"), "{\"name\":\"x\",\n\"plugins\":[}");
        NetnsException e = assertThrows(NetnsException.class, () -> CniConfig.load(dir, "x"));
        assertEquals("invalid CNI configuration " + f + ": malformed JSON at line 2, column 12: expected a JSON value, found '}'",
                e.getMessage());
        for (String[] bad : new String[][] {
            {"{\"plugins\":[{\"type\":\"a\"}]}", "no \"name\""},
            {"{\"name\":\"a/b\",\"plugins\":[{\"type\":\"a\"}]}", "\"name\" must start with a letter"},
            {"{\"name\":\"n\",\"plugins\":[]}", "\"plugins\" is empty"},
            {"{\"name\":\"n\",\"plugins\":[{\"x\":1}]}", "missing \"type\""},
            {"{\"name\":\"n\",\"plugins\":[{\"type\":\"../bin/sh\"}]}", "must be a file name"},
            {"{\"name\":\"n\",\"cniVersion\":\"1.0\",\"plugins\":[{\"type\":\"a\"}]}", "MAJOR.MINOR.PATCH"},
            {"{\"name\":\"n\",\"disableCheck\":\"maybe\",\"plugins\":[{\"type\":\"a\"}]}", "\"disableCheck\" must be true or false"},
            {"[1]", "expected a JSON object"},
        }) {
            NetnsException x = assertThrows(NetnsException.class,
                    () -> CniConfig.parse(bad[0].getBytes(StandardCharsets.UTF_8), "t", true), bad[0]);
            assertTrue(x.getMessage().contains(bad[1]), x.getMessage());
        }
    }

    @Test
    void versionsAreTheHighestFirstAndNeverNewerThanTheSpec() throws Exception {
        CniConfig c = CniConfig.parse(("{\"name\":\"n\",\"cniVersion\":\"0.4.0\",\"cniVersions\":[\"1.0.0\",\"0.3.1\",\"2.0.0\",\"1.1.0\"],"
                + "\"plugins\":[{\"type\":\"a\"}]}").getBytes(StandardCharsets.UTF_8), "t", true);
        assertEquals(List.of("1.1.0", "1.0.0", "0.4.0", "0.3.1"), c.candidateVersions());
        CniConfig future = CniConfig.parse("{\"name\":\"n\",\"cniVersion\":\"2.0.0\",\"plugins\":[{\"type\":\"a\"}]}"
                .getBytes(StandardCharsets.UTF_8), "t", true);
        NetnsException e = assertThrows(NetnsException.class, future::candidateVersions);
        assertTrue(e.getMessage().contains("newer than this runtime implements (1.1.0)"), e.getMessage());
    }

    @Test
    void requestInsertsNameVersionRuntimeConfigAndPrevResult() throws Exception {
        CniConfig c = CniConfig.parse(("{\"name\":\"n\",\"cniVersion\":\"1.0.0\",\"plugins\":["
                + "{\"type\":\"portmap\",\"name\":\"ignored\",\"capabilities\":{\"portMappings\":true,\"mac\":false},\"keep\":[1]}]}")
                .getBytes(StandardCharsets.UTF_8), "t", true);
        Map<String, Object> caps = Map.of("portMappings", List.of(Map.of("hostPort", 8080L)), "mac", "c2:11:22:33:44:55");
        String req = new String(c.request(0, "1.0.0", caps, Map.of("cniVersion", "1.0.0"), Map.of()), StandardCharsets.UTF_8);
        assertEquals("{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"type\":\"portmap\",\"keep\":[1],"
                + "\"runtimeConfig\":{\"portMappings\":[{\"hostPort\":8080}]},\"prevResult\":{\"cniVersion\":\"1.0.0\"}}", req);
        String status = new String(c.request(0, "1.0.0", null, null, Map.of()), StandardCharsets.UTF_8);
        assertFalse(status.contains("runtimeConfig") || status.contains("prevResult") || status.contains("capabilities"), status);
        // the cache's self-contained copy reads back the same
        CniConfig back = CniConfig.parse(Json.writeBytes(c.toConflist()), "cache", true);
        assertEquals(req, new String(back.request(0, "1.0.0", caps, Map.of("cniVersion", "1.0.0"), Map.of()), StandardCharsets.UTF_8));
    }
}
