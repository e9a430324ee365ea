package io.netns.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netns.Host;
import io.netns.internal.cni.CniCache;
import io.netns.internal.cni.Json;
import io.netns.testing.ChildJvm;
import io.netns.testing.CniLab;
import io.netns.testing.Cmd;
import io.netns.testing.TestLab;
import java.io.BufferedReader;
import java.io.InputStreamReader;
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
 * A cni sandbox outlives the JVM that made it: its cached result survives the JVM's end, and
 * {@code reclaim()} in another JVM (this one) runs DEL with it, so nothing of it is left in the lab.
 */
class CniRestartIT {
    @RegisterExtension
    final TestLab testLab = new TestLab("cnirs");

    private final String p = testLab.prefix();
    private Host lab;
    private CniLab cni;

    @TempDir
    Path tmp;

    @BeforeEach
    void makeLab() throws Exception {
        lab = testLab.host();
        cni = new CniLab(tmp, p + "net", "cnr" + ProcessHandle.current().pid(), "10.78.0");
        cni.writeFull();
    }

    /** Starts the child, returns it after READY with the lines it printed. */
    private Process child(String sandbox, String end, List<String> lines) throws Exception {
        List<String> argv = ChildJvm.argv(List.of(), System.getProperty("java.class.path"), CniChild.class,
                p + "lab", sandbox, cni.network(), cni.confDir().toString(), CniLab.PLUGINS.toString(), end);
        Process c = new ProcessBuilder(argv).redirectErrorStream(true).start();
        BufferedReader r = new BufferedReader(new InputStreamReader(c.getInputStream(), StandardCharsets.UTF_8));
        for (String line; (line = r.readLine()) != null; ) {
            lines.add(line);
            if (line.equals("READY")) {
                return c;
            }
        }
        c.waitFor(30, TimeUnit.SECONDS);
        throw new AssertionError("the child ended before READY: " + lines);
    }

    private static String value(List<String> lines, String key) {
        return lines.stream().filter(l -> l.startsWith(key + " ")).findFirst().orElseThrow().substring(key.length() + 1);
    }

    @Test
    void theCachedResultSurvivesTheJvmAndDelFromANewJvmRemovesEverything() throws Exception {
        List<String> lines = new ArrayList<>();
        Process c = child(p + "x", "exit", lines);
        assertTrue(c.waitFor(30, TimeUnit.SECONDS));
        String ip = value(lines, "ip");
        Path cache = CniCache.file(cni.network(), p + "x", "eth0");
        assertTrue(Files.exists(cache), "the cache entry outlives its JVM");
        Map<String, Object> entry = Json.parseObject(Files.readAllBytes(cache));
        assertEquals(Json.parse(value(lines, "result")), entry.get("result"), "the cached result is the child's");
        assertEquals(List.of(ip), cni.leases(), "the lease is still held");
        assertTrue(Cmd.run("ip", "netns", "exec", p + "lab", "iptables-save", "-t", "nat").contains("--to-destination " + ip + ":80"),
                "the published port's DNAT is still there");

        assertEquals(List.of(p + "x"), lab.reclaim());
        cni.assertNothingLeft(p + "lab", List.of(p + "x"), List.of(ip));
        assertFalse(Files.exists(cache), "the cache entry is gone");
        assertFalse(Files.exists(Path.of("/run/netns", p + "x")), "the namespace is gone");
        assertEquals(List.of(), lab.reclaim(), "nothing more to reclaim");
    }

    @Test
    void aSigkilledOwnersAttachmentIsRemovedByReclaim() throws Exception {
        List<String> lines = new ArrayList<>();
        Process c = child(p + "k", "wait", lines);
        String ip = value(lines, "ip");
        assertEquals(List.of(), lab.reclaim(), "a live owner's sandbox stays");
        assertEquals(List.of(ip), cni.leases());
        c.destroyForcibly(); // SIGKILL
        assertTrue(c.waitFor(30, TimeUnit.SECONDS));
        assertEquals(List.of(p + "k"), lab.reclaim());
        cni.assertNothingLeft(p + "lab", List.of(p + "k"), List.of(ip));
        assertFalse(Files.exists(CniCache.file(cni.network(), p + "k", "eth0")));
    }
}
