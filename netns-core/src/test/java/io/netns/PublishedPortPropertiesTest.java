package io.netns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

/** {@link PublishedPort#parse(String)} over generated text: the fields of every valid form, and no other failure. */
class PublishedPortPropertiesTest {
    /** Text made of the characters of -p syntax (and a few more) only ever parses or fails with the rule. */
    @Property(tries = 2000)
    void anyTextParsesOrIsRefusedNamingIt(@ForAll("junk") String text) {
        try {
            PublishedPort p = PublishedPort.parse(text);
            assertTrue(p.containerPort() >= 1 && p.containerPortEnd() <= 65535, p.toString());
            assertEquals(p, PublishedPort.parse(text));
        } catch (IllegalArgumentException e) {
            assertTrue(e.getMessage().startsWith("publish spec \""), e.getMessage());
        }
    }

    @Provide
    Arbitrary<String> junk() {
        return Arbitraries.strings().withChars("0123456789:-/[].:::--abcdeftcpudsP=, +%\n").ofMaxLength(24);
    }

    /** Every combination of the valid parts reads back as the port it spells. */
    @Property(tries = 1000)
    void validTextReadsAsTheFieldsItSpells(@ForAll @IntRange(min = 0, max = 4) int address,
            @ForAll @IntRange(min = 0, max = 4) int hostShape, @ForAll @IntRange(min = 1, max = 65000) int container,
            @ForAll @IntRange(min = 0, max = 30) int width, @ForAll @IntRange(min = 1, max = 65000) int host,
            @ForAll @IntRange(min = 0, max = 3) int proto) throws Exception {
        String[] ips = {null, "127.0.0.1", "[::1]", "::1", "0.0.0.0"};
        String ip = ips[address];
        int containerEnd = container + (hostShape == 4 ? 0 : width);
        int hostPort;
        int hostEnd;
        String hostText;
        switch (hostShape) {
            case 0: // none: any free port
                hostPort = 0;
                hostEnd = 0;
                hostText = "";
                break;
            case 1: // host port 0: any free port
                hostPort = 0;
                hostEnd = 0;
                hostText = "0";
                containerEnd = container;
                break;
            case 4: // a choice
                hostPort = host;
                hostEnd = host + width;
                hostText = width == 0 ? Integer.toString(host) : host + "-" + hostEnd;
                break;
            default: // a port or a range of the container's size
                hostPort = host;
                hostEnd = host + (containerEnd - container);
                hostText = hostPort == hostEnd ? Integer.toString(hostPort) : hostPort + "-" + hostEnd;
        }
        String containerText = container == containerEnd ? Integer.toString(container) : container + "-" + containerEnd;
        String[] protos = {"", "/tcp", "/udp", "/UDP"};
        StringBuilder text = new StringBuilder();
        if (ip != null) {
            text.append(ip).append(':').append(hostText).append(':');
        } else if (!hostText.isEmpty()) {
            text.append(hostText).append(':');
        }
        text.append(containerText).append(protos[proto]);

        PublishedPort p = PublishedPort.parse(text.toString());
        InetAddress expectedIp = ip == null ? null : InetAddress.getByName(ip.replace("[", "").replace("]", ""));
        Protocol expectedProto = proto >= 2 ? Protocol.UDP : Protocol.TCP;
        assertEquals(new PublishedPort(expectedProto, expectedIp, hostPort, hostEnd, container, containerEnd), p,
                text.toString());
        assertEquals(hostPort == 0 || (hostEnd != hostPort && container == containerEnd), p.choosesHostPort(), text.toString());
    }
}
