package io.netns.planner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Golden explanations: the situations an operator meets, each explained in full and compared with
 * {@code golden-explanations.txt} (one {@code ## case} header, then the explanation of every service of that
 * plan, one per line). The file is meant to be read: it is the planner's side of a conversation with a colleague.
 *
 * <p>To re-capture after an intended change of wording (and only then, reviewing the diff), run with
 * {@code -Dnetns.planner.writeExplanations=/path/to/netns-core/src/test/resources/io/netns/planner/golden-explanations.txt}.
 */
class ExplanationTest {

    static final String RESOURCE = "golden-explanations.txt";

    /** The demo lab: two IPv4 addresses on eth0, loopback. */
    static ListenerPlanner lab() {
        return ListenerPlanner.create().hostAddress("eth0", "10.20.30.100").hostAddress("eth0", "10.20.30.200")
                .hostAddress("lo", "127.0.0.1");
    }

    /** The demo lab with an IPv6 address too. */
    static ListenerPlanner lab6() {
        return lab().hostAddress("eth0", "2001:db8::100").hostAddress("lo", "::1");
    }

    static Map<String, ListenerPlan> cases() {
        Map<String, ListenerPlan> c = new LinkedHashMap<>();
        c.put("seed: web1 runs `Listen 80` (a dual-stack [::]:80), web2 wants every address on port 80",
                lab().existing("tcp6 LISTEN [::]:80 v6only=0")
                        .request(ListenRequest.tcp("web2", 80).allInterfaces()).plan());
        try {
            c.put("seed from configuration: web1's Debian apache2 (ports.conf `Listen 80`), web2 wants every address",
                    lab().existingFromApacheConfig("web1", ServerConfigTest.configs().resolve(
                            "web1/apache2/apache2.conf"))
                            .request(ListenRequest.tcp("web2", 80).allInterfaces()).plan());
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        c.put("[::]:80 v6only=? (read from /proc, v6only unknown), web2 wants 10.20.30.100:80",
                lab6().existing("tcp6 LISTEN [::]:80 v6only=?")
                        .request(ListenRequest.tcp("web2", 80).require("10.20.30.100")).plan());
        c.put("[::]:8080 v6only=? and a service that takes any port of 8080-8081: OK, with the check to run",
                lab().existing("tcp6 LISTEN [::]:8080 v6only=?")
                        .request(ListenRequest.tcp("api", 8080, 8081)).plan());
        c.put("[::]:80 v6only=1 (an nginx `listen [::]:80`), web2 wants every address on port 80",
                lab6().existing("tcp6 LISTEN [::]:80 v6only=1")
                        .request(ListenRequest.tcp("web2", 80).allInterfaces()).plan());
        c.put("a specific IPv4 listener, web2 wants 0.0.0.0:80",
                lab6().existing("tcp LISTEN 10.20.30.100:80")
                        .request(ListenRequest.tcp("web2", 80).allInterfaces(Family.IPV4)).plan());
        c.put("tcp+udp: dns wants both on 10.20.30.100:53, a TCP resolver holds tcp/53 there",
                lab6().existing("tcp LISTEN 10.20.30.100:53")
                        .request(ListenRequest.tcpAndUdp("dns", 53).require("10.20.30.100")).plan());
        c.put("two planned services: w2 on every IPv4 address, admin pinned to 10.20.30.100",
                lab().request(ListenRequest.tcp("w2", 8080).allInterfaces(Family.IPV4))
                        .request(ListenRequest.tcp("admin", 8080).require("10.20.30.100")).plan());
        c.put("a service without CAP_NET_BIND_SERVICE on port 80",
                lab().request(ListenRequest.tcp("web", 80).capNetBindService(false)).plan());
        c.put("an address that is not on the host",
                lab().request(ListenRequest.tcp("web", 80).require("10.20.30.250")).plan());
        return c;
    }

    static String renderAll() {
        StringBuilder sb = new StringBuilder();
        cases().forEach((name, plan) -> {
            sb.append("## ").append(name).append('\n');
            for (Outcome o : plan.outcomes()) {
                // the fixtures' directory differs per checkout: show it as the /srv of the README
                sb.append(o.explanation().replace(ServerConfigTest.configs().toString(), "/srv")).append('\n');
            }
            sb.append('\n');
        });
        return sb.toString();
    }

    @Test
    void explanationsReadAsCaptured() throws IOException {
        String actual = renderAll();
        String out = System.getProperty("netns.planner.writeExplanations");
        if (out != null) {
            Files.writeString(Path.of(out), actual, StandardCharsets.UTF_8);
        }
        String expected;
        try (InputStream in = ExplanationTest.class.getResourceAsStream(RESOURCE)) {
            assertNotNull(in, RESOURCE);
            expected = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        assertEquals(expected, actual);
    }
}
