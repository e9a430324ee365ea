package io.netns.planner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Parsing /proc/net/{tcp,tcp6,udp,udp6}, /proc/net/if_inet6 and the sysctls (planner-rules.md §5). */
class ProcParsingTest {

    static final String TCP = ""
            + "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
            + "   0: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1601 1 0000000000000000 100 0 0 10 0\n"
            + "   1: 641E140A:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000    33        0 1602 1 0000000000000000 100 0 0 10 0\n"
            + "   2: 0100007F:0050 0100007F:9C40 01 00000000:00000000 00:00000000 00000000  1000        0 1603 1 0000000000000000 20 4 30 10 -1\n"
            + "   3: 641E140A:9C41 C81E140A:01BB 01 00000000:00000000 00:00000000 00000000  1000        0 1604 1 0000000000000000 20 4 30 10 -1\n"
            + "   4: 641E140A:1F91 C81E140A:D431 06 00000000:00000000 03:00001770 00000000     0        0 0 3 0000000000000000\n";

    static final String TCP6 = ""
            + "  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
            + "   0: 00000000000000000000000000000000:0050 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 2001 1 0000000000000000 100 0 0 10 0\n"
            + "   1: B80D0120000000000000000000010000:01BB 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000    33        0 2002 1 0000000000000000 100 0 0 10 0\n"
            + "   2: 0000000000000000FFFF0000641E140A:1F92 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 2003 1 0000000000000000 100 0 0 10 0\n"
            + "   3: 00000000000000000000000001000000:0277 00000000000000000000000001000000:B3A0 06 00000000:00000000 03:00000ABC 00000000     0        0 0 3 0000000000000000\n";

    static final String UDP = ""
            + "   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops\n"
            + "  123: 3500007F:0035 00000000:0000 07 00000000:00000000 00:00000000 00000000   101        0 3001 2 0000000000000000 0\n"
            + "  124: 00000000:0000 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 3002 2 0000000000000000 0\n"
            + "  125: 641E140A:D8F1 08080808:0035 01 00000000:00000000 00:00000000 00000000  1000        0 3003 2 0000000000000000 0\n";

    static final String UDP6 = ""
            + "  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops\n"
            + "  700: 00000000000000000000000000000000:14E9 00000000000000000000000000000000:0000 07 00000000:00000000 00:00000000 00000000   104        0 4001 2 0000000000000000 0\n";

    static List<String> notations(String file, String text, ByteOrder order) {
        return ExistingSocket.parseProc(file, text, order).stream().map(ExistingSocket::notation)
                .collect(Collectors.toList());
    }

    @Test
    void tcpLittleEndianWithListenEstablishedAndTimeWait() {
        assertEquals(List.of("tcp LISTEN 0.0.0.0:22 uid=0", "tcp LISTEN 10.20.30.100:8080 uid=33",
                "tcp ESTABLISHED 127.0.0.1:80 uid=1000", "tcp ESTABLISHED 10.20.30.100:40001 uid=1000",
                "tcp TIME_WAIT 10.20.30.100:8081 uid=0"), notations("tcp", TCP, ByteOrder.LITTLE_ENDIAN));
    }

    @Test
    void tcp6WordsAreHostEndianAndMappedAddressesBecomeIpv4() {
        assertEquals(List.of("tcp6 LISTEN [::]:80 v6only=? uid=0", "tcp6 LISTEN [2001:db8::100]:443 uid=33",
                "tcp6 LISTEN [::ffff:10.20.30.100]:8082 uid=0", "tcp6 TIME_WAIT [::1]:631 uid=0"),
                notations("tcp6", TCP6, ByteOrder.LITTLE_ENDIAN));
        ExistingSocket mapped = ExistingSocket.parseProc("tcp6", TCP6, ByteOrder.LITTLE_ENDIAN).get(2);
        assertEquals("10.20.30.100", mapped.addr.toString());
    }

    @Test
    void bigEndianCapturesDecodeWithTheirOwnOrder() {
        String be = "   0: 0A141E64:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000    33        0 1 1\n";
        assertEquals(List.of("tcp LISTEN 10.20.30.100:8080 uid=33"), notations("tcp", be, ByteOrder.BIG_ENDIAN));
        String be6 = "   0: 20010DB8000000000000000000000100:01BB 00000000000000000000000000000000:0000 0A 0:0 0:0 0 33 0 1\n";
        assertEquals(List.of("tcp6 LISTEN [2001:db8::100]:443 uid=33"), notations("tcp6", be6, ByteOrder.BIG_ENDIAN));
    }

    @Test
    void udpHasNoStateAndUnboundSocketsAreSkipped() {
        assertEquals(List.of("udp 127.0.0.53:53 uid=101", "udp 10.20.30.100:55537 uid=1000"),
                notations("udp", UDP, ByteOrder.LITTLE_ENDIAN));
        assertEquals(List.of("udp6 [::]:5353 v6only=? uid=104"), notations("udp6", UDP6, ByteOrder.LITTLE_ENDIAN));
    }

    @Test
    void malformedLinesAreRejectedNamingTheLine() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ExistingSocket.parseProc("tcp", "   0: XYZ:0016 00000000:0000 0A 0:0 0:0 0 0 0 1\n", ByteOrder.LITTLE_ENDIAN));
        assertTrue(e.getMessage().contains("XYZ:0016"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ExistingSocket.parseProc("tcp7", "", ByteOrder.LITTLE_ENDIAN));
        assertThrows(IllegalArgumentException.class,
                () -> ExistingSocket.parseProc("tcp", "   0: 00000000:0016 00000000:0000 0F 0:0 0:0 0 0 0 1\n", ByteOrder.LITTLE_ENDIAN));
    }

    @Test
    void parsedSocketsDrivePlanning() {
        ListenerPlan plan = ListenerPlanner.create()
                .hostAddress("eth0", "10.20.30.100").hostAddress("eth0", "10.20.30.200").hostAddress("eth0", "2001:db8::100")
                .existingFromProc("tcp", TCP, ByteOrder.LITTLE_ENDIAN)
                .existingFromProc("tcp6", TCP6, ByteOrder.LITTLE_ENDIAN)
                .request(ListenRequest.tcp("web", 80))
                .request(ListenRequest.tcp("alt", 8080).require("10.20.30.100").reusePort(33))
                .request(ListenRequest.tcp("six", 443).family(Family.IPV6))
                .plan();
        // [::]:80 from /proc has unknown v6only and no 0.0.0.0:80 listener: assumed dual-stack
        assertEquals(Status.ADDRESS_IN_USE, plan.outcome("web").status());
        assertTrue(plan.outcome("web").warnings().contains(Warning.V6ONLY_ASSUMED));
        assertEquals(Status.OK, plan.outcome("alt").status());
        assertTrue(plan.outcome("alt").warnings().contains(Warning.REUSEPORT_UNVERIFIED));
        assertEquals(Status.ADDRESS_IN_USE, plan.outcome("six").status());
    }

    @Test
    void discoverReadsAProcTree(@TempDir Path root) throws IOException {
        Path net = Files.createDirectories(root.resolve("thread-self/net"));
        Files.writeString(net.resolve("tcp"), TCP);
        Files.writeString(net.resolve("udp"), UDP);
        Path v4 = Files.createDirectories(root.resolve("sys/net/ipv4"));
        Files.writeString(v4.resolve("ip_unprivileged_port_start"), "80\n");
        Files.writeString(v4.resolve("ip_local_port_range"), "40000\t50000\n");
        Files.writeString(v4.resolve("ip_local_reserved_ports"), "8000-8010,9000\n");
        Files.writeString(v4.resolve("ip_nonlocal_bind"), "1\n");
        ListenerPlanner p = ListenerPlanner.discover(root);
        assertEquals("KernelPorts[unprivilegedPortStart=80, ephemeralRange=40000-50000, reserved=8000-8010,9000,"
                + " nonlocalBind=1/0]", p.kernel().toString());
        ListenerPlan plan = p.hostAddress("eth0", "10.20.30.100")
                .request(ListenRequest.tcp("ssh", 22).require("10.20.30.100"))
                .request(ListenRequest.udp("dns", 53).require("127.0.0.53"))
                .plan();
        assertTrue(plan.outcome("ssh").explanation().contains("tcp LISTEN 0.0.0.0:22 uid=0"));
        assertTrue(plan.outcome("dns").explanation().contains("udp 127.0.0.53:53 uid=101"));
    }

    @Test
    void discoverInTheCallingThreadsNamespaceFindsLoopbackAndOurOwnListener() throws IOException {
        try (java.net.ServerSocket s = new java.net.ServerSocket()) {
            s.bind(new java.net.InetSocketAddress("127.0.0.1", 0));
            int port = s.getLocalPort();
            ListenerPlan plan = ListenerPlanner.discover()
                    .request(ListenRequest.tcp("x", port).require("127.0.0.1")).plan();
            Outcome o = plan.outcome("x");
            assertEquals(Status.ADDRESS_IN_USE, o.status(), o.toString());
            // the JDK binds an IPv6 socket to the v4-mapped address: tcp6 LISTEN [::ffff:127.0.0.1]:port
            assertTrue(o.explanation().contains("127.0.0.1]:" + port + " uid=")
                    || o.explanation().contains("LISTEN 127.0.0.1:" + port + " uid="), o.explanation());
        }
    }
}
