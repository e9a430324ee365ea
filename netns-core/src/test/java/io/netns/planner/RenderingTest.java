package io.netns.planner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Golden httpd/nginx renderings (planner-rules.md §1, §2, §6.10) and what a renderer cannot express. */
class RenderingTest {

    static ListenerPlan plan() {
        return ListenerPlanner.create()
                .hostAddress("eth0", "10.20.30.100").hostAddress("eth0", "10.20.30.200")
                .hostAddress("eth0", "2001:db8::1").hostAddress("lo", "127.0.0.1")
                .request(ListenRequest.tcp("web1", 80).require("10.20.30.100"))
                .request(ListenRequest.tcp("web2", 80).require("10.20.30.200"))
                .request(ListenRequest.tcp("web6", 80).require("2001:db8::1"))
                .request(ListenRequest.tcp("secure", 443).require("10.20.30.100").tls())
                .request(ListenRequest.tcp("plain443", 443).require("10.20.30.200"))
                .request(ListenRequest.tcp("alt", 8443).require("2001:db8::1").tls())
                .request(ListenRequest.tcp("all", 8080).allInterfaces())
                .request(ListenRequest.tcp("all4", 9090).allInterfaces(Family.IPV4))
                .request(ListenRequest.udp("dns", 53).require("10.20.30.100"))
                .request(ListenRequest.tcp("rp", 7000).require("10.20.30.100").reusePort(33))
                .plan();
    }

    static final List<String> TCP_HTTP = List.of("web1", "web2", "web6", "secure", "plain443", "alt", "all", "all4");

    @Test
    void apacheGolden() {
        assertEquals(List.of(
                "Listen 10.20.30.100:80",
                "Listen 10.20.30.200:80",
                "Listen [2001:db8::1]:80",
                "Listen 10.20.30.100:443",
                "Listen 10.20.30.200:443 http",
                "Listen 8080",
                "Listen [2001:db8::1]:8443 https",
                "Listen 0.0.0.0:9090"), plan().apacheListen(TCP_HTTP.toArray(new String[0])));
    }

    @Test
    void nginxGolden() {
        assertEquals(List.of(
                "listen 10.20.30.100:53 udp;",
                "listen 10.20.30.100:80;",
                "listen 10.20.30.200:80;",
                "listen [2001:db8::1]:80;",
                "listen 10.20.30.100:443 ssl;",
                "listen 10.20.30.200:443;",
                "listen 10.20.30.100:7000 reuseport;",
                "listen 8080;",
                "listen [::]:8080;",
                "listen [2001:db8::1]:8443 ssl;",
                "listen 9090;"), plan().nginxListen());
    }

    @Test
    void oneOrSeveralServicesAndNeverADuplicateLine() {
        ListenerPlan p = plan();
        assertEquals(List.of("Listen [2001:db8::1]:80"), p.apacheListen("web6"));
        assertEquals(List.of("Listen 10.20.30.100:80", "Listen 10.20.30.200:80"), p.apacheListen("web2", "web1", "web2"));
        assertEquals(List.of("listen [::1]:80;"), ListenerPlanner.create().hostAddress("lo", "::1")
                .request(ListenRequest.tcp("a", 80).require("::1")).plan().nginxListen("a", "a"));
    }

    @Test
    void whatHttpdCannotExpressThrowsWithTheReason() {
        ListenerPlan p = plan();
        UnsupportedOperationException udp = assertThrows(UnsupportedOperationException.class, () -> p.apacheListen("dns"));
        assertTrue(udp.getMessage().contains("SOCK_STREAM"), udp.getMessage());
        UnsupportedOperationException rp = assertThrows(UnsupportedOperationException.class, () -> p.apacheListen("rp"));
        assertTrue(rp.getMessage().contains("SO_REUSEPORT"), rp.getMessage());
        assertThrows(UnsupportedOperationException.class, () -> p.apacheListen());
        ListenerPlan fb = ListenerPlanner.create().hostAddress("eth0", "10.0.0.1")
                .request(ListenRequest.tcp("vip", 80).require("10.0.0.99").freebind()).plan();
        UnsupportedOperationException f = assertThrows(UnsupportedOperationException.class, () -> fb.apacheListen("vip"));
        assertTrue(f.getMessage().contains("IP_FREEBIND"), f.getMessage());
        // freebind asked but the address is local: nothing to express
        assertEquals(List.of("Listen 10.0.0.1:80"), ListenerPlanner.create().hostAddress("eth0", "10.0.0.1")
                .request(ListenRequest.tcp("x", 80).require("10.0.0.1").freebind()).plan().apacheListen());
    }

    @Test
    void unknownOrFailedServicesCannotBeRendered() {
        ListenerPlan p = ListenerPlanner.create().hostAddress("eth0", "10.0.0.1")
                .request(ListenRequest.tcp("a", 80)).request(ListenRequest.tcp("b", 80).require("10.0.0.1")).plan();
        assertThrows(IllegalArgumentException.class, () -> p.apacheListen("nope"));
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> p.nginxListen("a"));
        assertTrue(e.getMessage().contains("ADDRESS_IN_USE"), e.getMessage());
    }
}
