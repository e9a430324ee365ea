package io.netns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link PublishedPort#parse(String)} against Docker's {@code -p}: the cases of docker/go-connections'
 * {@code nat_test.go} (v0.8.1, which docker/cli v29 vendors) and of Docker's documentation, and every rule
 * broken once.
 */
class PublishedPortTest {
    /** Text as {@code docker run -p} takes it, and what Docker publishes (toString of the parsed port). */
    static Stream<Arguments> accepted() {
        return Stream.of(
                // container port only: a free host port of every address (Docker: HostPort "")
                Arguments.of("80", "tcp *:0->80"),
                Arguments.of(":80", "tcp *:0->80"),
                Arguments.of("::6000", "tcp *:0->6000"), // nat_test "no mapping, port, or proto"
                Arguments.of("0:80", "tcp *:0->80"), // host port 0: the daemon allocates one
                Arguments.of("0-0:80", "tcp *:0->80"),
                // host port and container port
                Arguments.of("8080:80", "tcp *:8080->80"),
                Arguments.of(":8080:6000/tcp", "tcp *:8080->6000"), // nat_test "no host mapping"
                Arguments.of("65535:65535", "tcp *:65535->65535"),
                Arguments.of("1:1", "tcp *:1->1"),
                // a host address
                Arguments.of("127.0.0.1:8080:80", "tcp 127.0.0.1:8080->80"),
                Arguments.of("192.168.1.100:8080:6000", "tcp 192.168.1.100:8080->6000"),
                Arguments.of("0.0.0.0:8080:80", "tcp 0.0.0.0:8080->80"),
                Arguments.of("127.0.0.1::80", "tcp 127.0.0.1:0->80"),
                Arguments.of("192.168.1.100::6000/udp", "udp 192.168.1.100:0->6000"),
                Arguments.of("[127.0.0.1]:8080:80", "tcp 127.0.0.1:8080->80"), // Go's SplitHostPort allows it
                Arguments.of("[]:8080:80", "tcp *:8080->80"), // brackets around nothing: no address
                Arguments.of("::ffff:127.0.0.1:8080:80", "tcp 127.0.0.1:8080->80"),
                // IPv6, bracketed or not (nat_test TestPartPortSpecIPV6)
                Arguments.of("[::1]:8080:80", "tcp [::1]:8080->80"),
                Arguments.of("[::1]:80:80", "tcp [::1]:80->80"),
                Arguments.of("[::1]::6000/udp", "udp [::1]:0->6000"),
                Arguments.of("[2001:4860:0:2001::68]::333", "tcp [2001:4860:0:2001::68]:0->333"),
                Arguments.of("::1:8080:80", "tcp [::1]:8080->80"),
                Arguments.of("::1:8080:6000/udp", "udp [::1]:8080->6000"),
                Arguments.of("2001:4860:0:2001::68::333", "tcp [2001:4860:0:2001::68]:0->333"),
                Arguments.of("::::80", "tcp [::]:0->80"),
                Arguments.of("::::6000/udp", "udp [::]:0->6000"),
                // ranges
                Arguments.of("8000-8099:8000-8099", "tcp *:8000-8099->8000-8099"),
                Arguments.of("0.0.0.0:1234-1235:3333-3334/tcp", "tcp 0.0.0.0:1234-1235->3333-3334"),
                Arguments.of("1234-1236:1234-1236/udp", "udp *:1234-1236->1234-1236"),
                Arguments.of("8000-8002", "tcp *:0->8000-8002"), // each on its own free host port
                Arguments.of("127.0.0.1::8000-8002", "tcp 127.0.0.1:0->8000-8002"),
                Arguments.of("80-80", "tcp *:0->80"),
                Arguments.of("8080-8080:80-80", "tcp *:8080->80"),
                // a host range for one container port: a choice
                Arguments.of("9000-9010:80", "tcp *:9000-9010->80"),
                Arguments.of("127.0.0.1:9000-9010:80/udp", "udp 127.0.0.1:9000-9010->80"),
                // protocols: any case, empty means tcp
                Arguments.of("5353:53/udp", "udp *:5353->53"),
                Arguments.of("53/UDP", "udp *:0->53"),
                Arguments.of("8080:80/Tcp", "tcp *:8080->80"),
                Arguments.of("8080:80/", "tcp *:8080->80"),
                // numbers as strconv.ParseInt reads them
                Arguments.of("0080:080", "tcp *:80->80"), // nat_test "octal value": decimal 123 for 0123
                Arguments.of("+8080:+80", "tcp *:8080->80"),
                // the CLI's long form (convertToStandardNotation)
                Arguments.of("published=8080,target=80", "tcp *:8080->80"),
                Arguments.of("target=53,published=5353,protocol=udp", "udp *:5353->53"),
                Arguments.of("target=80", "tcp *:0->80"),
                Arguments.of("published=8080,target=80,mode=host", "tcp *:8080->80"),
                Arguments.of("published=8080,target=80,published=8081", "tcp *:8081->80"), // the last wins
                Arguments.of("published=127.0.0.1:8080,target=80", "tcp 127.0.0.1:8080->80"));
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @MethodSource("accepted")
    void parsesAsDockerDoes(String spec, String expected) {
        PublishedPort p = PublishedPort.parse(spec);
        assertEquals(expected, p.toString());
        assertEquals(p, PublishedPort.parse(spec), "parsing is a function of the text");
    }

    /** Text {@code docker run -p} (or netns, where it says so) refuses, and the rule the message names. */
    static Stream<Arguments> refused() {
        return Stream.of(
                // no container port (nat_test TestParsePortSpecEmptyContainerPort)
                Arguments.of("", "no port specified"),
                Arguments.of("0.0.0.0:1234-1235:", "no port specified"),
                Arguments.of("0.0.0.0:1234-1235:/tcp", "no port specified"),
                Arguments.of("8080:", "no port specified"),
                Arguments.of("/udp", "no port specified"),
                Arguments.of("published=8080", "no port specified"),
                // protocol
                Arguments.of("80/sctp", "protocol sctp is not supported: netns publishes tcp and udp only"),
                Arguments.of("8080:80/SCTP", "protocol sctp is not supported"),
                Arguments.of("80/icmp", "invalid proto: icmp (tcp or udp)"),
                Arguments.of("80/udp/x", "invalid proto: udp/x"),
                // host address
                Arguments.of("localhost:1234:1234/tcp", "invalid IP address: localhost"),
                Arguments.of("1.2.3.4:5:8080:80", "invalid IP address: 1.2.3.4:5"),
                Arguments.of("300.1.1.1:8080:80", "invalid IP address: 300.1.1.1"),
                Arguments.of("01.2.3.4:8080:80", "invalid IP address: 01.2.3.4 (an IPv4 octet with a leading zero)"),
                Arguments.of("1.2.3:8080:80", "invalid IP address: 1.2.3"),
                Arguments.of("fe80::1%eth0:8080:80", "invalid IP address: fe80::1%eth0"),
                Arguments.of("2001:db8::1:80", "invalid IP address: 2001:db8:"), // the address is all before the last two ':'
                Arguments.of("[::1:8080:80", "invalid IP address [::1:"),
                Arguments.of("[::1]x:8080:80", "invalid IP address [::1]x"),
                Arguments.of("[[::1]]:8080:80", "invalid IP address [[::1]]"),
                Arguments.of("::1]:8080:80", "invalid IP address: ::1]"),
                // container port
                Arguments.of("192.168.1.100", "invalid containerPort: 192.168.1.100 (invalid start port "
                        + "'192.168.1.100': invalid syntax)"), // nat_test TestParseNetworkOptsPublicNoPort
                Arguments.of("8080:80a", "invalid containerPort: 80a (invalid start port '80a': invalid syntax)"),
                Arguments.of("asdf", "invalid containerPort: asdf"),
                Arguments.of(" 80", "invalid containerPort:  80 (invalid start port ' 80': invalid syntax)"),
                Arguments.of("70000", "invalid containerPort: 70000 (invalid start port '70000': value out of range (0–65535))"),
                Arguments.of("8080:65536", "invalid containerPort: 65536"),
                Arguments.of("192.168.1.100:-1:-1", "invalid containerPort: -1 (invalid start port '': value is empty)"),
                Arguments.of("90-80", "invalid containerPort: 90-80 (invalid port range: 90-80, it ends before it starts)"),
                Arguments.of("80-", "invalid containerPort: 80- (invalid end port '': value is empty)"),
                Arguments.of("1-2-3", "invalid containerPort: 1-2-3 (invalid end port '2-3': invalid syntax)"),
                Arguments.of("99999999999999999999", "value out of range (0–65535)"),
                // host port
                Arguments.of("127.0.0.1:80", "invalid hostPort: 127.0.0.1"),
                Arguments.of("70000:80", "invalid hostPort: 70000 (invalid start port '70000': value out of range (0–65535))"),
                Arguments.of("-1:80", "invalid hostPort: -1 (invalid start port '': value is empty)"),
                Arguments.of("8000-:80", "invalid hostPort: 8000- (invalid end port '': value is empty)"),
                Arguments.of("9010-9000:80", "invalid hostPort: 9010-9000 (invalid port range"),
                Arguments.of("x:80", "invalid hostPort: x"),
                // ranges of different sizes
                Arguments.of("9000-9010:80-85", "invalid ranges specified for container and host ports: 80-85 and "
                        + "9000-9010 (the ranges differ in size"),
                Arguments.of("8000-8001:80-82", "invalid ranges specified for container and host ports: 80-82 and 8000-8001"),
                Arguments.of("8080:80-81", "invalid ranges specified for container and host ports: 80-81 and 8080"),
                Arguments.of("0:80-81", "invalid ranges specified for container and host ports: 80-81 and 0"),
                // port 0
                Arguments.of("8080:0", "invalid port specification: \"0/tcp\" (container port 0"),
                Arguments.of("0/udp", "invalid port specification: \"0/udp\""),
                Arguments.of("0-5", "invalid port specification: \"0/tcp\""),
                Arguments.of("0-10:80", "invalid hostPort: 0-10 (host port 0, any free port, cannot be part of a range)"),
                Arguments.of("0-1:80-81", "host port 0, any free port, cannot be part of a range"),
                // the long form
                Arguments.of("publised=8080,target=80", "unknown name 'publised'"),
                Arguments.of("published=8080,,target=80", "invalid publish opts format (should be name=value but got '')"),
                Arguments.of("=80", "invalid publish opts format (should be name=value but got '=80')"),
                Arguments.of("published=8080,target", "invalid publish opts format (should be name=value but got 'target')"),
                Arguments.of("target=80,protocol=sctp", "protocol sctp is not supported"));
    }

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("refused")
    void refusesWhatDockerRefusesNamingTheTextAndTheRule(String spec, String rule) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PublishedPort.parse(spec));
        String prefix = "publish spec \"" + spec + "\": ";
        assertTrue(e.getMessage().startsWith(prefix), "names the whole text: " + e.getMessage());
        assertTrue(e.getMessage().substring(prefix.length()).startsWith(rule) || e.getMessage().contains(rule),
                "names the rule '" + rule + "': " + e.getMessage());
    }

    @Test
    void wholeMessagesReadWell() {
        assertEquals("publish spec \"9000-9010:80-85\": invalid ranges specified for container and host ports: 80-85 "
                + "and 9000-9010 (the ranges differ in size; a host range goes with a container range of the same "
                + "size, or with one container port to choose one free host port of it)",
                message("9000-9010:80-85"));
        assertEquals("publish spec \"80/sctp\": protocol sctp is not supported: netns publishes tcp and udp only",
                message("80/sctp"));
        assertEquals("publish spec \"\": no port specified: no container port (the part after the last ':', before '/')",
                message(""));
        assertEquals("publish spec must not be null", message(null));
        assertEquals("publish spec \"8080:80\\n\": invalid containerPort: 80\\n (invalid start port '80\\n': invalid syntax)",
                message("8080:80\n"), "control characters are shown escaped");
    }

    @Test
    void theFieldsOfEachShape() throws Exception {
        PublishedPort one = PublishedPort.parse("127.0.0.1:5353:53/udp");
        assertEquals(new PublishedPort(Protocol.UDP, InetAddress.getByName("127.0.0.1"), 5353, 53), one);
        assertFalse(one.choosesHostPort());
        assertEquals(1, one.count());

        PublishedPort range = PublishedPort.parse("8000-8099:9000-9099");
        assertEquals(new PublishedPort(Protocol.TCP, null, 8000, 8099, 9000, 9099), range);
        assertFalse(range.choosesHostPort());
        assertEquals(100, range.count());

        PublishedPort choice = PublishedPort.parse("9000-9010:80");
        assertEquals(new PublishedPort(Protocol.TCP, null, 9000, 9010, 80, 80), choice);
        assertTrue(choice.choosesHostPort());
        assertEquals(1, choice.count());

        PublishedPort any = PublishedPort.parse("[::1]::80");
        assertEquals(new PublishedPort(Protocol.TCP, InetAddress.getByName("::1"), 0, 0, 80, 80), any);
        assertTrue(any.choosesHostPort());
        assertEquals(List.of(any), any.each());

        PublishedPort anyRange = PublishedPort.parse("8000-8002");
        assertTrue(anyRange.choosesHostPort());
        assertEquals(3, anyRange.count());
        assertEquals(List.of(new PublishedPort(Protocol.TCP, null, 0, 8000), new PublishedPort(Protocol.TCP, null, 0, 8001),
                new PublishedPort(Protocol.TCP, null, 0, 8002)), anyRange.each());
    }

    @Test
    void theRecordChecksItsValues() {
        assertMessage("hostPort must be 1..65535, or 0 for any free port: -1", () -> new PublishedPort(Protocol.TCP, null, -1, 80));
        assertMessage("containerPort must be 1..65535: 0", () -> new PublishedPort(Protocol.TCP, null, 8080, 0));
        assertMessage("host port 0 (any free port) cannot start a range: 0-10",
                () -> new PublishedPort(Protocol.TCP, null, 0, 10, 80, 80));
        assertMessage("host port range ends before it starts: 10-9", () -> new PublishedPort(Protocol.TCP, null, 10, 9, 80, 80));
        assertMessage("differ in size", () -> new PublishedPort(Protocol.TCP, null, 8000, 8001, 80, 82));
        assertEquals(3, new PublishedPort(Protocol.TCP, null, 0, 0, 80, 82).count(), "any free port, for each of a range");
    }

    @Test
    void appendRefusesHostPortsPublishedTwiceAndChoicesWithNoPortLeft() throws Exception {
        List<PublishedPort> none = List.of();
        PublishedPort range = PublishedPort.parse("8000-8099:8000-8099");
        List<PublishedPort> one = PublishedPort.append(none, range);
        assertMessage("host port tcp 8050 is published twice", () -> PublishedPort.append(one, PublishedPort.parse("8050:80")));
        assertMessage("host port tcp 8099 is published twice",
                () -> PublishedPort.append(one, PublishedPort.parse("8099-8100:90-91")));
        assertMessage("is published twice", () -> PublishedPort.append(one, PublishedPort.parse("127.0.0.1:8000:80")));
        assertMessage("is published twice", () -> PublishedPort.append(
                PublishedPort.append(none, PublishedPort.parse("0.0.0.0:8080:80")), PublishedPort.parse("127.0.0.1:8080:80")));
        // other protocol, other address of the same family, other family's unspecified address: no overlap
        assertEquals(2, PublishedPort.append(one, PublishedPort.parse("8050:80/udp")).size());
        assertEquals(2, PublishedPort.append(PublishedPort.append(none, PublishedPort.parse("127.0.0.1:8080:80")),
                PublishedPort.parse("127.0.0.2:8080:80")).size());
        assertEquals(2, PublishedPort.append(PublishedPort.append(none, PublishedPort.parse("0.0.0.0:8080:80")),
                PublishedPort.parse("[::]:8080:80")).size());
        assertEquals(2, PublishedPort.append(one, PublishedPort.parse("8100:80")).size());
        // any free port overlaps nothing
        List<PublishedPort> anys = PublishedPort.append(PublishedPort.append(none, PublishedPort.parse("80")),
                PublishedPort.parse("0:81"));
        assertEquals(2, anys.size());
        // choices may share ports with fixed ports and other choices while a port is left for each
        List<PublishedPort> choices = PublishedPort.append(PublishedPort.append(none, PublishedPort.parse("9000:80")),
                PublishedPort.parse("9000-9001:81"));
        assertEquals(2, choices.size());
        assertMessage("host port range tcp 9000-9001 of tcp *:9000-9001->81 has no port left to choose",
                () -> PublishedPort.append(choices, PublishedPort.parse("9001:82")));
        assertMessage("has no port left to choose", () -> PublishedPort.append(choices, PublishedPort.parse("9000-9001:83")));
        assertMessage("has no port left to choose", () -> PublishedPort.append(
                PublishedPort.append(none, PublishedPort.parse("9000-9001:9000-9001")), PublishedPort.parse("9000-9001:80")));
        assertEquals(3, PublishedPort.append(choices, PublishedPort.parse("9000-9002:83")).size());
    }

    private static String message(String spec) {
        return assertThrows(IllegalArgumentException.class, () -> PublishedPort.parse(spec)).getMessage();
    }

    private static void assertMessage(String text, Runnable r) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, r::run);
        assertTrue(e.getMessage().contains(text), e.getMessage());
    }
}
