package io.netns.planner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The example of DESIGN.md, end to end. */
class DesignExampleTest {

    static ListenerPlanner designPlanner(boolean withDualStackWildcard) {
        ListenerPlanner p = ListenerPlanner.create()
                .hostAddress("eth0", "10.20.30.100").hostAddress("eth0", "10.20.30.200")
                .hostAddress("eth0", "fe80::1").hostAddress("lo", "127.0.0.1")
                .existing("tcp LISTEN 0.0.0.0:22");
        if (withDualStackWildcard) {
            p.existing("tcp6 LISTEN [::]:80 v6only=?");
        }
        return p.existing("udp 127.0.0.53:53")
                .kernel(KernelPorts.defaults()
                        .unprivilegedPortStart(1024).ephemeralRange(32768, 60999).reserved(1024, 1100)
                        .nonlocalBind(false))
                .request(ListenRequest.tcp("web1", 80))
                .request(ListenRequest.tcp("web2", 80))
                .request(ListenRequest.tcp("api", 8000, 8099).require("10.20.30.200"))
                .request(ListenRequest.tcp("admin", 8080).prefer("10.20.30.100"))
                .request(ListenRequest.tcp("worker").capNetBindService(false))
                .request(ListenRequest.tcp("all", 443).allInterfaces())
                .request(ListenRequest.tcpAndUdp("dns", 53).require("10.20.30.100"))
                .request(ListenRequest.udp("stats", 8125))
                .request(ListenRequest.tcp("tls", 8443).require("10.20.30.100").tls())
                .request(ListenRequest.tcp("v6", 8080).family(Family.IPV6))
                .request(ListenRequest.tcp("w2", 8080).allInterfaces(Family.IPV4).reusePort(33))
                .request(ListenRequest.tcp("vip", 80).require("10.20.30.250").freebind());
    }

    @Test
    void withoutTheDualStackWildcardTheMotivatingServicesSplitTheAddresses() {
        ListenerPlan plan = designPlanner(false).plan();
        assertEquals(List.of("Listen 10.20.30.100:80"), plan.apacheListen("web1"));
        assertEquals(List.of("Listen 10.20.30.200:80"), plan.apacheListen("web2"));
        assertEquals(List.of("listen 10.20.30.100:80;"), plan.nginxListen("web1"));
        assertEquals(List.of("Listen 10.20.30.200:8000"), plan.apacheListen("api"));
        // worker: lowest port from 1024 outside the reserved 1024-1100
        assertEquals("tcp 10.20.30.100:1101", plan.bindings("worker").get(0).toString());
        // all: fe80::1 is an IPv6 address other than loopback, so both wildcards (one httpd line)
        assertEquals(List.of("Listen 443 http"), plan.apacheListen("all")); // plain on 443: explicit http
        assertEquals(List.of("listen 443;", "listen [::]:443;"), plan.nginxListen("all"));
        assertEquals(List.of("listen 10.20.30.100:53;", "listen 10.20.30.100:53 udp;"), plan.nginxListen("dns"));
        assertEquals(List.of("Listen 10.20.30.100:8443 https"), plan.apacheListen("tls"));
        assertEquals(List.of("listen 10.20.30.100:8443 ssl;"), plan.nginxListen("tls"));
        assertEquals(List.of("listen 8080 reuseport;"), plan.nginxListen("w2"));
        assertEquals(Set.of(Warning.NONLOCAL_BIND), plan.outcome("vip").warnings());
        // w2 (all interfaces) is planned before admin (only a preference) and holds 0.0.0.0:8080
        Outcome admin = plan.outcome("admin");
        assertEquals(Status.ADDRESS_IN_USE, admin.status());
        assertTrue(admin.explanation().contains("planned service w2"), admin.explanation());
        assertTrue(admin.explanation().contains("0.0.0.0 covers every IPv4 address"), admin.explanation());
        assertTrue(admin.explanation().contains("Free instead: 10.20.30.100:8081"), admin.explanation());
        // v6: the only IPv6 address is link-local, never picked automatically
        assertEquals(Status.ADDRESS_NOT_ON_HOST, plan.outcome("v6").status());
        assertFalse(plan.isFeasible());
        assertThrows(UnsupportedOperationException.class, () -> plan.apacheListen("dns"));
        assertThrows(UnsupportedOperationException.class, () -> plan.apacheListen("w2"));
        assertThrows(UnsupportedOperationException.class, () -> plan.apacheListen("vip"));
        assertThrows(IllegalStateException.class, () -> plan.apacheListen());
        assertEquals(List.of("Listen 10.20.30.100:80", "Listen 10.20.30.200:80", "Listen 443 http",
                "Listen 10.20.30.200:8000", "Listen 10.20.30.100:8443 https"),
                plan.apacheListen("web2", "web1", "all", "api", "tls", "web1"));
    }

    @Test
    void anUnknownV6onlyWildcardOnPort80IsAssumedDualStackAndBlocksBoth() {
        ListenerPlan plan = designPlanner(true).plan();
        for (String s : List.of("web1", "web2", "vip")) {
            Outcome o = plan.outcome(s);
            assertEquals(Status.ADDRESS_IN_USE, o.status(), o.toString());
            assertTrue(o.warnings().contains(Warning.V6ONLY_ASSUMED), o.toString());
            assertTrue(o.explanation().contains("existing socket 'tcp6 LISTEN [::]:80 v6only=?'"), o.explanation());
            assertTrue(o.explanation().contains("assumed 0"), o.explanation());
            assertTrue(o.explanation().contains("narrow the existing listener to one address"), o.explanation());
        }
        assertTrue(plan.outcome("web1").explanation().contains("Free instead: 10.20.30.100:81"),
                plan.outcome("web1").explanation());
        // the rest of the plan is unaffected
        assertEquals(List.of("Listen 10.20.30.200:8000"), plan.apacheListen("api"));
    }
}
