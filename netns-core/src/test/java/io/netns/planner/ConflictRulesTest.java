package io.netns.planner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** One test per rule of research/planner-rules.md §0–§6. */
class ConflictRulesTest {

    static ListenerPlanner lab() {
        return ListenerPlanner.create()
                .hostAddress("eth0", "10.20.30.100").hostAddress("eth0", "10.20.30.200")
                .hostAddress("eth0", "2001:db8::100").hostAddress("eth0", "fe80::1")
                .hostAddress("lo", "127.0.0.1").hostAddress("lo", "::1");
    }

    static Outcome plan(ListenerPlanner p, ListenRequest r) {
        return p.request(r).plan().outcome(r.name());
    }

    static String only(Outcome o) {
        assertEquals(Status.OK, o.status(), o.toString());
        assertEquals(1, o.bindings().size(), o.toString());
        return o.bindings().get(0).toString();
    }

    static void blocked(Outcome o, Status st, String... fragments) {
        assertEquals(st, o.status(), o.toString());
        assertTrue(o.bindings().isEmpty());
        for (String f : fragments) {
            assertTrue(o.explanation().contains(f), "missing '" + f + "' in: " + o.explanation());
        }
    }

    @Nested
    class WildcardVersusSpecific {
        @Test
        void anExistingIpv4WildcardBlocksEverySpecificIpv4Address() {
            blocked(plan(lab().existing("tcp LISTEN 0.0.0.0:80"), ListenRequest.tcp("a", 80).require("10.20.30.100")),
                    Status.ADDRESS_IN_USE, "existing socket 'tcp LISTEN 0.0.0.0:80'", "0.0.0.0 covers every IPv4",
                    "Free instead: 10.20.30.100:81, [2001:db8::100]:80.",
                    "narrow the existing listener to one address");
        }

        @Test
        void anExistingSpecificAddressBlocksTheWildcard() {
            blocked(plan(lab().existing("tcp LISTEN 10.20.30.100:80"),
                    ListenRequest.tcp("a", 80).allInterfaces(Family.IPV4)), Status.ADDRESS_IN_USE,
                    "0.0.0.0 covers every IPv4 address, 10.20.30.100 included", "SO_REUSEADDR does not let");
        }

        @Test
        void twoSpecificAddressesShareAPort() {
            assertEquals("tcp 10.20.30.200:80",
                    only(plan(lab().existing("tcp LISTEN 10.20.30.100:80"), ListenRequest.tcp("a", 80))));
        }

        @Test
        void ipv4AndIpv6SpecificAddressesNeverCollide() {
            assertEquals("tcp [::1]:80", only(plan(lab().existing("tcp LISTEN 127.0.0.1:80"),
                    ListenRequest.tcp("a", 80).require("::1"))));
            assertEquals("tcp 0.0.0.0:80", only(plan(lab().existing("tcp6 LISTEN [2001:db8::100]:80"),
                    ListenRequest.tcp("a", 80).allInterfaces(Family.IPV4))));
        }
    }

    @Nested
    class V6only {
        @Test
        void dualStackWildcardCoversIpv4AndIpv6() {
            ListenerPlanner p = lab().existing("tcp6 LISTEN [::]:80 v6only=0");
            Outcome o = plan(p, ListenRequest.tcp("a", 80).require("10.20.30.100"));
            blocked(o, Status.ADDRESS_IN_USE, "[::] with v6only=0 covers every IPv4 address too");
            assertFalse(o.warnings().contains(Warning.V6ONLY_ASSUMED));
            blocked(plan(lab().existing("tcp6 LISTEN [::]:80 v6only=0"), ListenRequest.tcp("b", 80)
                    .require("2001:db8::100")), Status.ADDRESS_IN_USE, "[::] covers every IPv6 address");
        }

        @Test
        void v6onlyWildcardLeavesIpv4Free() {
            assertEquals("tcp 10.20.30.100:80", only(plan(lab().existing("tcp6 LISTEN [::]:80 v6only=1"),
                    ListenRequest.tcp("a", 80).require("10.20.30.100"))));
            assertEquals("tcp 0.0.0.0:80", only(plan(lab().existing("tcp6 LISTEN [::]:80 v6only=1"),
                    ListenRequest.tcp("a", 80).allInterfaces(Family.IPV4))));
            blocked(plan(lab().existing("tcp6 LISTEN [::]:80 v6only=1"), ListenRequest.tcp("a", 80)
                    .require("2001:db8::100")), Status.ADDRESS_IN_USE, "[::] covers every IPv6 address");
            blocked(plan(lab().existing("tcp6 LISTEN [::]:80 v6only=1"), ListenRequest.tcp("a", 80)
                    .allInterfaces(Family.IPV6)), Status.ADDRESS_IN_USE, "[::] and [::] always conflict");
        }

        @Test
        void unknownV6onlyIsAssumedDualStackWithAWarning() {
            Outcome o = plan(lab().existing("tcp6 LISTEN [::]:80"), ListenRequest.tcp("a", 80).require("10.20.30.100"));
            blocked(o, Status.ADDRESS_IN_USE, "v6only=?", "assumed 0");
            assertEquals(Set.of(Warning.V6ONLY_ASSUMED), o.warnings());
            Outcome u = plan(lab().existing("udp6 [::]:53"), ListenRequest.udp("u", 53).require("10.20.30.100"));
            assertEquals(Set.of(Warning.V6ONLY_ASSUMED), u.warnings());
            blocked(u, Status.ADDRESS_IN_USE, "UDP shares a port only when both sockets set SO_REUSEADDR");
        }

        @Test
        void anIpv4WildcardListenerOnTheSamePortProvesV6only() {
            // both listen, so [::] must be v6-only; unless the uids match (SO_REUSEPORT could explain both)
            ListenerPlanner inferred = lab().existing("tcp LISTEN 0.0.0.0:80 uid=0").existing("tcp6 LISTEN [::]:80 uid=33");
            Outcome o = plan(inferred, ListenRequest.tcp("a", 80).require("10.20.30.100"));
            blocked(o, Status.ADDRESS_IN_USE, "tcp LISTEN 0.0.0.0:80");
            assertFalse(o.warnings().contains(Warning.V6ONLY_ASSUMED));
            Outcome six = plan(lab().existing("tcp LISTEN 0.0.0.0:80").existing("tcp6 LISTEN [::]:80"),
                    ListenRequest.tcp("b", 80).require("2001:db8::100"));
            blocked(six, Status.ADDRESS_IN_USE, "v6only inferred 1");
            ListenerPlanner sameUid = lab().existing("tcp LISTEN 0.0.0.0:80 uid=0").existing("tcp6 LISTEN [::]:80 uid=0");
            assertTrue(plan(sameUid, ListenRequest.tcp("a", 80).require("10.20.30.100")).warnings()
                    .contains(Warning.V6ONLY_ASSUMED));
        }
    }

    @Test
    void ipv4MappedAddressesAreNormalisedToIpv4() {
        ListenerPlanner p = lab().existing("tcp6 LISTEN [::ffff:10.20.30.100]:80");
        blocked(plan(p, ListenRequest.tcp("a", 80).require("10.20.30.100")), Status.ADDRESS_IN_USE,
                "existing socket 'tcp6 LISTEN [::ffff:10.20.30.100]:80'", "the same address and port");
        assertEquals("tcp 10.20.30.200:80", only(plan(lab().existing("tcp6 LISTEN [::ffff:10.20.30.100]:80"),
                ListenRequest.tcp("b", 80).require("::ffff:10.20.30.200"))));
        assertEquals("tcp 2001:db8::100".replace("tcp ", "tcp [") + "]:80", only(plan(
                lab().existing("tcp6 LISTEN [::ffff:10.20.30.100]:80"),
                ListenRequest.tcp("c", 80).family(Family.IPV6))));
    }

    @Test
    void tcpAndUdpHaveSeparatePortSpaces() {
        assertEquals("udp 10.20.30.100:53", only(plan(lab().existing("tcp LISTEN 0.0.0.0:53"),
                ListenRequest.udp("a", 53).require("10.20.30.100"))));
        blocked(plan(lab().existing("udp 0.0.0.0:53"), ListenRequest.udp("b", 53).require("10.20.30.100")),
                Status.ADDRESS_IN_USE, "existing socket 'udp 0.0.0.0:53'");
        blocked(plan(lab().existing("udp 10.20.30.100:53"), ListenRequest.tcpAndUdp("c", 53).require("10.20.30.100")),
                Status.ADDRESS_IN_USE, "udp 10.20.30.100:53 is taken");
    }

    @Test
    void timeWaitIsSoftForAFixedPortAndAvoidedWhenPicking() {
        Outcome o = plan(lab().existing("tcp TIME_WAIT 10.20.30.100:8080"),
                ListenRequest.tcp("a", 8080).require("10.20.30.100"));
        assertEquals("tcp 10.20.30.100:8080", only(o));
        assertEquals(Set.of(Warning.TIME_WAIT_PRESENT), o.warnings());
        assertTrue(o.explanation().contains("SO_REUSEADDR"), o.explanation());
        Outcome clean = plan(lab().existing("tcp TIME_WAIT 10.20.30.100:8080"), ListenRequest.tcp("b", 8080));
        assertEquals("tcp 10.20.30.200:8080", only(clean));
        assertTrue(clean.warnings().isEmpty());
        assertEquals("tcp 10.20.30.100:8081", only(plan(lab().existing("tcp TIME_WAIT 10.20.30.100:8080"),
                ListenRequest.tcp("c", 8080, 8081).require("10.20.30.100"))));
    }

    @Test
    void anOutboundConnectionsPortIsAHardBlocker() {
        ListenerPlanner p = lab().existing("tcp ESTABLISHED 10.20.30.100:40000");
        blocked(plan(p, ListenRequest.tcp("a", 40000).require("10.20.30.100")), Status.ADDRESS_IN_USE,
                "state ESTABLISHED blocks a listener on an overlapping address even with SO_REUSEADDR");
        blocked(plan(lab().existing("tcp ESTABLISHED 10.20.30.100:40000"),
                ListenRequest.tcp("b", 40000).allInterfaces(Family.IPV4)), Status.ADDRESS_IN_USE, "ESTABLISHED");
        assertEquals("tcp 127.0.0.1:40000", only(plan(lab().existing("tcp ESTABLISHED 10.20.30.100:40000"),
                ListenRequest.tcp("c", 40000).require("127.0.0.1"))));
    }

    @Nested
    class ReusePort {
        @Test
        void sameUidSharesAnExistingAddressUnverified() {
            ListenerPlanner p = lab().existing("tcp LISTEN 10.20.30.100:8080 uid=33")
                    .existing("tcp ESTABLISHED 10.20.30.100:8080 uid=33"); // an accepted child: ignored
            Outcome o = plan(p, ListenRequest.tcp("a", 8080).require("10.20.30.100").reusePort(33));
            assertEquals("tcp 10.20.30.100:8080", only(o));
            assertEquals(Set.of(Warning.REUSEPORT_UNVERIFIED), o.warnings());
        }

        @Test
        void otherUidOrNoReusePortConflicts() {
            blocked(plan(lab().existing("tcp LISTEN 10.20.30.100:8080 uid=33"),
                    ListenRequest.tcp("a", 8080).require("10.20.30.100").reusePort(34)), Status.ADDRESS_IN_USE,
                    "same effective UID", "existing uid=33");
            blocked(plan(lab().existing("tcp LISTEN 10.20.30.100:8080 uid=33"),
                    ListenRequest.tcp("b", 8080).require("10.20.30.100")), Status.ADDRESS_IN_USE, "the same address");
        }

        @Test
        void plannedServicesShareWithTheSameUid() {
            ListenerPlan plan = lab()
                    .request(ListenRequest.tcp("a", 8080).require("10.20.30.100").reusePort(33))
                    .request(ListenRequest.tcp("b", 8080).require("10.20.30.100").reusePort(33))
                    .request(ListenRequest.tcp("c", 8080).require("10.20.30.100").reusePort(34))
                    .plan();
            assertTrue(plan.outcome("a").isOk() && plan.outcome("a").warnings().isEmpty());
            assertTrue(plan.outcome("b").isOk() && plan.outcome("b").warnings().isEmpty());
            blocked(plan.outcome("c"), Status.ADDRESS_IN_USE, "planned service a");
            assertEquals(List.of("listen 10.20.30.100:8080 reuseport;"), plan.nginxListen("a", "b"));
        }
    }

    @Nested
    class Ports {
        @Test
        void privilegedPortNeedsTheCapability() {
            blocked(plan(lab(), ListenRequest.tcp("a", 80).capNetBindService(false)), Status.PRIVILEGED_PORT,
                    "CAP_NET_BIND_SERVICE", "net.ipv4.ip_unprivileged_port_start=80", "EACCES",
                    "use 10.20.30.100:1024, the lowest free unprivileged port there");
            assertEquals("tcp 10.20.30.100:80", only(plan(lab(), ListenRequest.tcp("b", 80))));
            assertEquals("tcp 10.20.30.100:80", only(plan(lab().kernel(KernelPorts.defaults().unprivilegedPortStart(80)),
                    ListenRequest.tcp("c", 80).capNetBindService(false))));
            blocked(plan(lab(), ListenRequest.tcp("d", 10, 20).capNetBindService(false)), Status.PRIVILEGED_PORT);
            assertEquals("tcp 10.20.30.100:1024",
                    only(plan(lab(), ListenRequest.tcp("e", 1000, 1030).capNetBindService(false))));
        }

        @Test
        void explicitEphemeralOrReservedPortsAreAllowedWithWarnings() {
            Outcome e = plan(lab(), ListenRequest.tcp("a", 40000));
            assertEquals(Set.of(Warning.EPHEMERAL_RANGE), e.warnings());
            assertTrue(e.explanation().contains("ip_local_port_range 32768-60999"), e.explanation());
            Outcome r = plan(lab().kernel(KernelPorts.defaults().reserved("8080,9000-9001")), ListenRequest.tcp("b", 8080));
            assertEquals(Set.of(Warning.RESERVED_PORT), r.warnings());
        }

        @Test
        void rangesPreferPortsOutsideTheEphemeralRangeAndReservedPorts() {
            assertEquals("tcp 10.20.30.100:32760", only(plan(lab(), ListenRequest.tcp("a", 32760, 32770))));
            Outcome in = plan(lab(), ListenRequest.tcp("b", 32768, 32770));
            assertEquals("tcp 10.20.30.100:32768", only(in));
            assertEquals(Set.of(Warning.EPHEMERAL_RANGE), in.warnings());
            assertEquals("tcp 10.20.30.100:32761", only(plan(lab().existing("tcp LISTEN 0.0.0.0:32760"),
                    ListenRequest.tcp("c", 32760, 32770).require("10.20.30.100"))));
            KernelPorts k = KernelPorts.defaults().reserved(8000, 8001);
            assertEquals("tcp 10.20.30.100:8002", only(plan(lab().kernel(k), ListenRequest.tcp("d", 8000, 8005))));
            Outcome res = plan(lab().kernel(KernelPorts.defaults().reserved(8000, 8005)), ListenRequest.tcp("e", 8000, 8005));
            assertEquals("tcp 10.20.30.100:8000", only(res));
            assertEquals(Set.of(Warning.RESERVED_PORT), res.warnings());
        }

        @Test
        void anyPortIsTheLowestFreeOneBelowTheEphemeralRangeSkippingReservedPorts() {
            assertEquals("tcp 10.20.30.100:1101",
                    only(plan(lab().kernel(KernelPorts.defaults().reserved(1024, 1100)), ListenRequest.tcp("a"))));
            assertEquals("tcp 10.20.30.100:2000", only(plan(lab().kernel(KernelPorts.defaults()
                    .unprivilegedPortStart(2000)), ListenRequest.tcp("b").capNetBindService(false))));
            Outcome eph = plan(lab().kernel(KernelPorts.defaults().ephemeralRange(1024, 60999)), ListenRequest.tcp("c"));
            assertEquals("tcp 10.20.30.100:1024", only(eph));
            assertEquals(Set.of(Warning.EPHEMERAL_RANGE), eph.warnings());
        }

        @Test
        void portMajorIterationTriesEveryAddressBeforeTheNextPort() {
            assertEquals("tcp 10.20.30.200:8000", only(plan(lab().existing("tcp LISTEN 10.20.30.100:8000"),
                    ListenRequest.tcp("a", 8000, 8010))));
        }

        @Test
        void aRangeWithEveryPortTakenHasNoFreePort() {
            ListenerPlanner p = lab().existing("tcp6 LISTEN [::]:8000 v6only=0").existing("tcp6 LISTEN [::]:8001 v6only=0");
            blocked(plan(p, ListenRequest.tcp("a", 8000, 8001)), Status.NO_FREE_PORT, "every port of 8000-8001",
                    "existing socket 'tcp6 LISTEN [::]:8000 v6only=0'", "the lowest free port above it on 10.20.30.100 is 8002");
        }
    }

    @Nested
    class Addresses {
        @Test
        void linkLocalNeedsAScope() {
            blocked(plan(lab(), ListenRequest.tcp("a", 80).require("fe80::1")), Status.SCOPE_REQUIRED, "EINVAL",
                    "write fe80::1%eth0");
            ListenerPlan plan = lab().request(ListenRequest.tcp("b", 80).require("fe80::1%eth0")).plan();
            assertEquals("tcp [fe80::1%eth0]:80", only(plan.outcome("b")));
            assertEquals("fe80::1%eth0", plan.bindings("b").get(0).host());
            assertEquals(List.of("Listen [fe80::1%eth0]:80"), plan.apacheListen("b"));
            assertThrows(UnsupportedOperationException.class, () -> plan.nginxListen("b"));
            blocked(plan(lab(), ListenRequest.tcp("c", 80).require("fe80::1%eth1")), Status.ADDRESS_NOT_ON_HOST);
        }

        @Test
        void aNonLocalAddressNeedsFreebindOrTheSysctl() {
            blocked(plan(lab(), ListenRequest.tcp("a", 80).require("10.9.9.9")), Status.ADDRESS_NOT_ON_HOST,
                    "EADDRNOTAVAIL", "IP_FREEBIND", "net.ipv4.ip_nonlocal_bind=1", "10.20.30.100");
            ListenerPlan fb = lab().request(ListenRequest.tcp("b", 80).require("10.9.9.9").freebind()).plan();
            assertEquals(Set.of(Warning.NONLOCAL_BIND), fb.outcome("b").warnings());
            assertThrows(UnsupportedOperationException.class, () -> fb.apacheListen("b"));
            assertThrows(UnsupportedOperationException.class, () -> fb.nginxListen("b"));
            ListenerPlan sys = lab().kernel(KernelPorts.defaults().nonlocalBind(true))
                    .request(ListenRequest.tcp("c", 80).require("10.9.9.9")).plan();
            assertEquals(Set.of(Warning.NONLOCAL_BIND), sys.outcome("c").warnings());
            assertEquals(List.of("Listen 10.9.9.9:80"), sys.apacheListen("c"));
            blocked(plan(lab().kernel(KernelPorts.defaults().nonlocalBind(true, false)),
                    ListenRequest.tcp("d", 80).require("2001:db8::999")), Status.ADDRESS_NOT_ON_HOST,
                    "net.ipv6.ip_nonlocal_bind=1", "IPV6_FREEBIND");
        }

        @Test
        void everyLoopbackAddressIsLocal() {
            assertEquals("tcp 127.3.4.5:80", only(plan(lab(), ListenRequest.tcp("a", 80).require("127.3.4.5"))));
        }

        @Test
        void loopbackAndLinkLocalAreNeverPickedAutomaticallyUnlessThatIsAllThereIs() {
            ListenerPlanner p = ListenerPlanner.create().hostAddress("lo", "127.0.0.1").hostAddress("lo", "::1");
            assertEquals("tcp 127.0.0.1:80", only(plan(p, ListenRequest.tcp("a", 80))));
            blocked(plan(ListenerPlanner.create(), ListenRequest.tcp("b", 80)), Status.ADDRESS_NOT_ON_HOST,
                    "no usable address");
        }

        @Test
        void aRequiredAddressNeverFallsBackButAPreferredOneDoes() {
            blocked(plan(lab().existing("tcp LISTEN 10.20.30.100:8080"),
                    ListenRequest.tcp("a", 8080).require("10.20.30.100")), Status.ADDRESS_IN_USE,
                    "Free instead: 10.20.30.200:8080");
            Outcome p = plan(lab().existing("tcp LISTEN 10.20.30.100:8080"),
                    ListenRequest.tcp("b", 8080).prefer("10.20.30.100"));
            assertEquals("tcp 10.20.30.200:8080", only(p));
            assertEquals(Set.of(Warning.PREFERRED_IP_UNAVAILABLE), p.warnings());
            assertTrue(p.explanation().contains("preferred 10.20.30.100:8080 is taken"), p.explanation());
            Outcome gone = plan(lab(), ListenRequest.tcp("c", 8080).prefer("10.9.9.9"));
            assertEquals("tcp 10.20.30.100:8080", only(gone));
            assertEquals(Set.of(Warning.PREFERRED_IP_UNAVAILABLE), gone.warnings());
            assertEquals("tcp 10.20.30.200:8080", only(plan(lab(), ListenRequest.tcp("d", 8080).prefer("10.20.30.200"))));
        }

        @Test
        void familyFiltersCandidates() {
            assertEquals("tcp [2001:db8::100]:80", only(plan(lab(), ListenRequest.tcp("a", 80).family(Family.IPV6))));
        }
    }

    @Nested
    class AllInterfaces {
        @Test
        void claimsBothWildcardsWhenTheHostHasBothFamilies() {
            ListenerPlan plan = lab().request(ListenRequest.tcp("a", 80).allInterfaces()).plan();
            assertEquals("[tcp 0.0.0.0:80, tcp [::]:80]", plan.bindings("a").toString());
            assertTrue(plan.bindings("a").get(1).v6only());
            assertEquals(List.of("Listen 80"), plan.apacheListen());
            assertEquals(List.of("listen 80;", "listen [::]:80;"), plan.nginxListen());
        }

        @Test
        void claimsOnlyIpv4WhenTheHostHasNoNonLoopbackIpv6() {
            ListenerPlan plan = ListenerPlanner.create().hostAddress("eth0", "10.0.0.1").hostAddress("lo", "::1")
                    .request(ListenRequest.tcp("a", 80).allInterfaces()).plan();
            assertEquals(Set.of(Warning.IPV4_ONLY_ALL), plan.outcome("a").warnings());
            assertEquals(List.of("Listen 0.0.0.0:80"), plan.apacheListen());
            assertEquals(List.of("listen 80;"), plan.nginxListen());
        }

        @Test
        void claimsADualStackWildcardOnAnIpv6OnlyHost() {
            ListenerPlan plan = ListenerPlanner.create().hostAddress("eth0", "2001:db8::1")
                    .request(ListenRequest.tcp("a", 80).allInterfaces()).plan();
            assertFalse(plan.bindings("a").get(0).v6only());
            assertEquals(List.of("Listen 80"), plan.apacheListen());
        }

        @Test
        void perFamily() {
            ListenerPlan plan = lab().existing("tcp LISTEN 10.20.30.100:80")
                    .request(ListenRequest.tcp("six", 80).allInterfaces(Family.IPV6))
                    .request(ListenRequest.tcp("four", 80).allInterfaces(Family.IPV4))
                    .request(ListenRequest.tcp("both", 8080).family(Family.IPV4).allInterfaces())
                    .plan();
            assertEquals("[tcp [::]:80]", plan.bindings("six").toString());
            blocked(plan.outcome("four"), Status.ADDRESS_IN_USE, "10.20.30.100 included");
            assertEquals("[tcp 0.0.0.0:8080]", plan.bindings("both").toString());
            assertEquals(List.of("listen [::]:80;"), plan.nginxListen("six"));
            UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class,
                    () -> plan.apacheListen("six"));
            assertTrue(e.getMessage().contains("dual-stack"), e.getMessage());
        }

        @Test
        void aWildcardAndASpecificAddressCollapseToTheWildcard() {
            Outcome o = plan(lab(), ListenRequest.tcp("a", 80).allInterfaces().require("10.20.30.100"));
            assertEquals(Set.of(Warning.WILDCARD_COLLAPSED), o.warnings());
            assertEquals("[tcp 0.0.0.0:80, tcp [::]:80]", o.bindings().toString());
        }
    }

    @Nested
    class Requests {
        @Test
        void contradictionsAreInvalidRequests() {
            blocked(plan(lab(), ListenRequest.tcp("a", 80).require("10.20.30.100").prefer("10.20.30.200")),
                    Status.INVALID_REQUEST, "exclude each other");
            blocked(plan(lab(), ListenRequest.udp("b", 80).tls()), Status.INVALID_REQUEST, "tls() needs TCP");
            blocked(plan(lab(), ListenRequest.tcp("c", 80).require("10.20.30.100").family(Family.IPV6)),
                    Status.INVALID_REQUEST, "family");
            blocked(plan(lab(), ListenRequest.tcp("d", 80).allInterfaces(Family.IPV4).family(Family.IPV6)),
                    Status.INVALID_REQUEST, "contradicts");
            blocked(plan(lab(), ListenRequest.tcp("e", 80).require("0.0.0.0")), Status.INVALID_REQUEST,
                    "allInterfaces(Family.IPV4)");
        }

        @Test
        void malformedValuesThrowAtTheCall() {
            assertThrows(IllegalArgumentException.class, () -> ListenRequest.tcp("a", 0));
            assertThrows(IllegalArgumentException.class, () -> ListenRequest.tcp("a", 65536));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> ListenRequest.tcp("a", 9000, 8000));
            assertTrue(e.getMessage().contains("9000-8000"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> ListenRequest.tcp(" "));
            assertThrows(IllegalArgumentException.class, () -> ListenRequest.tcp("a", 80).require("example.com"));
            assertThrows(IllegalArgumentException.class, () -> ListenRequest.tcp("a", 80).require("10.0.0.256"));
            assertThrows(IllegalArgumentException.class, () -> ListenRequest.tcp("a", 80).reusePort(-1));
            assertThrows(IllegalArgumentException.class,
                    () -> ListenerPlanner.create().request(ListenRequest.tcp("a")).request(ListenRequest.udp("a")));
            assertThrows(IllegalArgumentException.class, () -> KernelPorts.defaults().ephemeralRange(5, 4));
            assertThrows(IllegalArgumentException.class, () -> KernelPorts.defaults().reserved("12-x"));
            assertThrows(IllegalArgumentException.class, () -> ListenerPlanner.create().hostAddress("eth0", "0.0.0.0"));
            for (String bad : List.of("tcp 0.0.0.0:80", "tcp LISTEN [::]:80", "tcp6 LISTEN 0.0.0.0:80",
                    "udp LISTEN 0.0.0.0:53", "tcp LISTEN 0.0.0.0:80 v6only=1", "tcp6 LISTEN [::1]:80 v6only=0",
                    "tcp LISTEN 0.0.0.0:0", "sctp LISTEN 0.0.0.0:1", "tcp LISTEN 0.0.0.0:80 uid=x")) {
                assertThrows(IllegalArgumentException.class, () -> ListenerPlanner.create().existing(bad), bad);
            }
        }

        @Test
        void mostConstrainedServicesArePlannedFirst() {
            ListenerPlan plan = ListenerPlanner.create().hostAddress("eth0", "10.0.0.1").hostAddress("eth0", "10.0.0.2")
                    .request(ListenRequest.tcp("a", 80))
                    .request(ListenRequest.tcp("z", 80).require("10.0.0.1"))
                    .plan();
            assertEquals("tcp 10.0.0.1:80", only(plan.outcome("z")));
            assertEquals("tcp 10.0.0.2:80", only(plan.outcome("a")));
        }
    }

    @Test
    void notationRoundTrips() {
        for (String s : List.of("tcp LISTEN 0.0.0.0:22", "tcp6 LISTEN [::]:80 v6only=?", "udp 127.0.0.53:53",
                "tcp6 TIME_WAIT [2001:db8::1]:443 uid=33", "udp6 [::]:5353 v6only=1", "tcp6 LISTEN [::ffff:10.0.0.1]:80")) {
            assertEquals(s, ExistingSocket.parse(s).notation());
        }
        assertEquals("tcp6 LISTEN [::]:80 v6only=?", ExistingSocket.parse("tcp6 listen [::]:80").notation());
    }
}
