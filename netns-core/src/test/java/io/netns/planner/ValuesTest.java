package io.netns.planner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import org.junit.jupiter.api.Test;

/** The small immutable values: addresses, kernel settings, requests and bindings. */
class ValuesTest {

    @Test
    void ipLiteralsParseWithoutLookupsAndPrintInRfc5952Form() {
        assertEquals("2001:db8::1", Ip.parse("2001:0DB8:0:0:0:0:0:1").toString());
        assertEquals("2001:db8:0:1::", Ip.parse("[2001:db8:0:1:0:0:0:0]").toString());
        assertEquals("::", Ip.parse("::").toString());
        assertEquals("::1", Ip.parse("::1").toString());
        assertEquals("2001:0:0:1::1", Ip.parse("2001:0:0:1:0:0:0:1").toString());
        assertEquals("10.20.30.100", Ip.parse("::ffff:10.20.30.100").toString());
        assertEquals("fe80::1%eth0", Ip.parse("fe80::1%eth0").toString());
        assertEquals("2001:db8::1", Ip.parse("2001:db8::1%eth0").toString()); // scope only matters for link-local
        assertTrue(Ip.parse("127.9.9.9").isLoopback());
        assertTrue(Ip.parse("febf::1").isLinkLocal());
        assertFalse(Ip.parse("fec0::1").isLinkLocal());
        assertTrue(Ip.parse("10.0.0.1").compareTo(Ip.parse("::1")) < 0);
        assertTrue(Ip.parse("10.0.0.2").compareTo(Ip.parse("9.255.255.255")) > 0);
        for (String bad : new String[] {"localhost", "1.2.3", "1.2.3.4.5", "01234.1.1.1", "::g", "fe80::1%", " "}) {
            assertThrows(IllegalArgumentException.class, () -> Ip.parse(bad), bad);
        }
    }

    @Test
    void kernelPortsAreImmutableAndRoundTripTheSysctlSyntax() {
        KernelPorts d = KernelPorts.defaults();
        KernelPorts k = d.reserved("8080, 1024-1100,1101").ephemeralRange(40000, 50000).unprivilegedPortStart(0);
        assertEquals("1024-1101,8080", k.reservedPorts());
        assertEquals("", d.reservedPorts());
        assertEquals(1024, d.unprivilegedPortStart());
        assertTrue(k.isEphemeral(40000) && !k.isEphemeral(39999));
        assertEquals(k, KernelPorts.defaults().ephemeralRange(40000, 50000).unprivilegedPortStart(0).reserved(1024, 1101)
                .reserved(8080, 8080));
        assertThrows(IllegalArgumentException.class, () -> d.unprivilegedPortStart(-1));
        assertFalse(d.nonlocalBind(Family.IPV4));
        assertTrue(d.nonlocalBind(false, true).nonlocalBind(Family.IPV6));
    }

    @Test
    void requestsAreImmutableValuesWithAReadableForm() {
        ListenRequest base = ListenRequest.tcp("api", 8000, 8099);
        ListenRequest r = base.require("10.0.0.1").tls().capNetBindService(false);
        assertEquals("tcp(\"api\", 8000, 8099)", base.toString());
        assertEquals("tcp(\"api\", 8000, 8099).require(\"10.0.0.1\").tls().capNetBindService(false)", r.toString());
        assertEquals("tcpAndUdp(\"dns\", 53).allInterfaces(Family.IPV4).reusePort(0)",
                ListenRequest.tcpAndUdp("dns", 53).allInterfaces(Family.IPV4).reusePort(0).toString());
        assertEquals(r, ListenRequest.tcp("api", 8000, 8099).require("10.0.0.1").tls().capNetBindService(false));
    }

    @Test
    void bindingsExposeJdkAddresses() {
        ListenerPlan plan = ListenerPlanner.create().hostAddress("lo", "::1").hostAddress("eth0", "10.0.0.1")
                .request(ListenRequest.tcp("a", 80).require("::1"))
                .request(ListenRequest.udp("b", 53).allInterfaces(Family.IPV4))
                .plan();
        Binding a = plan.bindings("a").get(0);
        assertEquals(new InetSocketAddress("::1", 80), a.address());
        assertEquals(Protocol.TCP, a.protocol());
        assertTrue(a.v6only());
        Binding b = plan.bindings("b").get(0);
        assertEquals(new InetSocketAddress("0.0.0.0", 53), b.address());
        assertTrue(b.isWildcard());
        assertEquals("udp 0.0.0.0:53", b.toString());
        assertEquals(2, plan.bindings().size());
        assertThrows(IllegalArgumentException.class, () -> ListenerPlanner.create().hostAddress("eth0", "fe80::1%eth1"));
    }
}
