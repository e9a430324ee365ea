package io.netns.planner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Plans from configuration, before anything starts: Debian apache2 and nginx layouts written as the packages ship
 * them ({@code configs/web1/apache2}, {@code configs/web2/apache2}, {@code configs/nginx}), read through
 * {@link ListenerPlanner#existingFromApacheConfig} and {@link ListenerPlanner#existingFromNginxConfig}.
 */
class ServerConfigTest {

    static Path configs() {
        try {
            return Path.of(ServerConfigTest.class.getResource("configs").toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    static List<String> sockets(List<ExistingSocket> s) {
        List<String> out = new ArrayList<>();
        for (ExistingSocket e : s) {
            out.add(e.notation() + " | " + e.holder.replace(configs().toString() + "/", ""));
        }
        return out;
    }

    @Test
    void debianApacheListensOn80AndOn443WhenSslIsEnabled() throws IOException {
        assertEquals(List.of(
                "tcp6 LISTEN [::]:80 v6only=0 | web1 (Listen 80 at web1/apache2/ports.conf:5)",
                "tcp6 LISTEN [::]:443 v6only=0 | web1 (Listen 443 at web1/apache2/ports.conf:8)"),
                sockets(ServerConfigs.apache("web1", configs().resolve("web1/apache2/apache2.conf"))));
        // web2 has no mods-enabled/ssl.load: <IfModule ssl_module> is off, and mod_gnutls is not loaded either
        assertEquals(List.of("tcp6 LISTEN [::]:80 v6only=0 | web2 (Listen 80 at web2/apache2/ports.conf:3)"),
                sockets(ServerConfigs.apache("web2", configs().resolve("web2/apache2/apache2.conf"))));
    }

    @Test
    void debianNginxBindsWhatNginxWould() throws IOException {
        assertEquals(List.of(
                "tcp LISTEN 10.20.30.100:53 | proxy (listen 10.20.30.100:53; at nginx/streams-enabled/dns.conf:3)",
                "tcp LISTEN 0.0.0.0:80 | proxy (listen 80 default_server; at nginx/sites-enabled/default:10)",
                "tcp6 LISTEN [::]:80 v6only=1 | proxy (listen [::]:80 default_server; at"
                        + " nginx/sites-enabled/default:11)",
                "tcp LISTEN 10.20.30.100:8080 | proxy (listen 10.20.30.100:8080 reuseport; at"
                        + " nginx/sites-enabled/api.conf:3)",
                "tcp6 LISTEN [2001:db8::100]:8443 | proxy (listen [2001:db8::100]:8443 ssl; at"
                        + " nginx/sites-enabled/api.conf:4)",
                // 10.20.30.200:9000 is served through 0.0.0.0:9000's socket: nginx binds only the wildcard
                "tcp LISTEN 0.0.0.0:9000 | proxy (listen 9000; at nginx/sites-enabled/api.conf:9)",
                "tcp6 LISTEN [::]:9443 v6only=0 | proxy (listen [::]:9443 ipv6only=off; at"
                        + " nginx/sites-enabled/api.conf:11)",
                "udp 10.20.30.100:53 | proxy (listen 10.20.30.100:53 udp; at nginx/streams-enabled/dns.conf:2)"),
                sockets(ServerConfigs.nginx("proxy", configs().resolve("nginx/nginx.conf"))));
    }

    /** The seed: two Debian apache2 configured {@code Listen 80} in host mode. */
    @Test
    void twoApacheConfigsWithListen80TheSecondFailsAndThePlanSaysHowToFixIt() throws IOException {
        ListenerPlanner lab = ListenerPlanner.create().hostAddress("eth0", "10.20.30.100")
                .hostAddress("eth0", "10.20.30.200").hostAddress("lo", "127.0.0.1");
        // web2's configuration asks for what web1's already holds
        List<ExistingSocket> web2 = ServerConfigs.apache("web2", configs().resolve("web2/apache2/apache2.conf"));
        assertEquals(1, web2.size());
        ListenerPlan why = lab.existingFromApacheConfig("web1", configs().resolve("web1/apache2/apache2.conf"))
                .request(ListenRequest.tcp("web2", 80).allInterfaces()).plan();
        Outcome o = why.outcome("web2");
        assertEquals(Status.ADDRESS_IN_USE, o.status(), o.toString());
        String e = o.explanation();
        assertTrue(e.contains("of web1 (Listen 80 at " + configs().resolve("web1/apache2/ports.conf") + ":5)"), e);
        assertTrue(e.contains("AH00072: make_sock: could not bind to address 0.0.0.0:80"), e);
        assertTrue(e.contains("narrow the existing listener to one address, e.g. 10.20.30.100:80, which leaves"
                + " 10.20.30.200:80 free for this service"), e);
        ListenerPlan fix = ListenerPlanner.create().hostAddress("eth0", "10.20.30.100")
                .hostAddress("eth0", "10.20.30.200").hostAddress("lo", "127.0.0.1")
                .request(ListenRequest.tcp("web1", 80)).request(ListenRequest.tcp("web2", 80)).plan();
        assertEquals(List.of("Listen 10.20.30.100:80"), fix.apacheListen("web1"));
        assertEquals(List.of("Listen 10.20.30.200:80"), fix.apacheListen("web2"));
    }

    @Test
    void theServiceIsNamedAfterTheConfigDirectoryByDefault() throws IOException {
        ListenerPlan p = ListenerPlanner.create().hostAddress("eth0", "10.20.30.100")
                .existingFromNginxConfig(configs().resolve("nginx/nginx.conf"))
                .request(ListenRequest.tcp("web", 80).require("10.20.30.100")).plan();
        assertTrue(p.outcome("web").explanation().contains("of nginx (listen 80 default_server; at "),
                p.outcome("web").explanation());
    }

    static void assertRejected(Path dir, String file, String text, String... fragments) throws IOException {
        Path f = dir.resolve(file);
        Files.createDirectories(f.getParent());
        Files.writeString(f, text);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> {
            if (file.endsWith("apache2.conf")) {
                ListenerPlanner.create().existingFromApacheConfig("a", f);
            } else {
                ListenerPlanner.create().existingFromNginxConfig("n", f);
            }
        });
        for (String s : fragments) {
            assertTrue(e.getMessage().contains(s), "missing '" + s + "' in: " + e.getMessage());
        }
    }

    @Test
    void malformedApacheLinesNameFileAndLine(@TempDir Path dir) throws IOException {
        String conf = "apache2/apache2.conf";
        Path f = dir.resolve(conf);
        assertRejected(dir, conf, "# c\nListen\n", f + ":2", "Listen [IP-address:]portnumber [protocol]");
        assertRejected(dir, conf, "Listen 80\nListen 10.0.0.1:http\n", f + ":2", "port must be 1..65535");
        assertRejected(dir, conf, "Listen 70000\n", f + ":1", "'70000'");
        assertRejected(dir, conf, "Listen 2001:db8::1:80\n", f + ":1", "brackets");
        assertRejected(dir, conf, "Listen www.example.com:80\n", f + ":1", "host names are not resolved");
        assertRejected(dir, conf, "Listen 80 https extra\n", f + ":1");
        assertRejected(dir, conf, "<VirtualHost *:80>\n  Listen 8080\n</VirtualHost>\n", f + ":2",
                "only in the server config");
        assertRejected(dir, conf, "<IfModule ssl_module>\nListen 443\n", f.toString(), "never closed");
        assertRejected(dir, conf, "Include missing.conf\n", f + ":1", "matches no file");
        // the error of an included file names that file
        Files.writeString(dir.resolve("apache2/ports.conf"), "\n\nListen 80 \\\n  https  x\n");
        assertRejected(dir, conf, "Include ports.conf\n", dir.resolve("apache2/ports.conf") + ":3");
        // IncludeOptional may match nothing
        Files.writeString(f, "IncludeOptional sites-enabled/*.conf\nListen [2001:db8::1]:8443 https\n");
        assertEquals(List.of("tcp6 LISTEN [2001:db8::1]:8443"),
                ServerConfigs.apache("a", f).stream().map(ExistingSocket::notation).collect(
                        java.util.stream.Collectors.toList()));
    }

    @Test
    void malformedNginxLinesNameFileAndLine(@TempDir Path dir) throws IOException {
        String conf = "nginx/nginx.conf";
        Path f = dir.resolve(conf);
        assertRejected(dir, conf, "http {\n server {\n  listen 80\n }\n}\n", f + ":3", "lacks its ';'");
        assertRejected(dir, conf, "http {\n server {\n  listen 80;\n }\n", f.toString(), "never closed");
        assertRejected(dir, conf, "http {\n server {\n  listen 80 fast;\n }\n}\n", f + ":3",
                "unknown listen parameter 'fast'");
        assertRejected(dir, conf, "http {\n server {\n  listen [::]:80 ipv6only=maybe;\n }\n}\n", f + ":3",
                "ipv6only must be on or off");
        assertRejected(dir, conf, "http {\n server {\n  listen 0;\n }\n}\n", f + ":3", "port must be 1..65535");
        assertRejected(dir, conf, "http {\n listen 80;\n}\n", f + ":2", "only in an http, stream or mail server");
        assertRejected(dir, conf, "http {\n include /nonexistent/x.conf;\n}\n", f + ":2", "matches no file");
        assertRejected(dir, conf, "}\n", f + ":1", "unexpected '}'");
        // the mail module's servers listen on TCP
        Files.writeString(f, "mail {\n server {\n  listen 127.0.0.1:110;\n  protocol pop3;\n }\n}\n");
        assertEquals(List.of("tcp LISTEN 127.0.0.1:110"), ServerConfigs.nginx("n", f).stream()
                .map(ExistingSocket::notation).collect(java.util.stream.Collectors.toList()));
    }
}
