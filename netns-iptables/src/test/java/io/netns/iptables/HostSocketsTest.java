package io.netns.iptables;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netns.Protocol;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class HostSocketsTest {
    @Test
    void parsesProcNetTcp() {
        String tcp = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
                + "   0: 00000000:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4242 1 0 100 0 0 10 0\n"
                + "   1: 0100007F:0035 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4243 1 0 100 0 0 10 0\n"
                + "   2: 0100A8C0:D2F0 0200A8C0:0016 01 00000000:00000000 00:00000000 00000000     0        0 4244 1 0 100 0 0 10 0\n";
        String tcp6 = "  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
                + "   0: 00000000000000000000000000000000:0050 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 5151 1 0 100 0 0 10 0\n"
                + "   1: 0000000000000000FFFF00000100007F:1F91 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 5152 1 0 100 0 0 10 0\n";
        List<HostSockets.Socket> out = new ArrayList<>();
        HostSockets.parse(Protocol.TCP, false, tcp, out);
        HostSockets.parse(Protocol.TCP, true, tcp6, out);
        out.removeIf(s -> !s.isListening());
        assertEquals(4, out.size());
        assertEquals("tcp 0.0.0.0:8080 LISTEN (socket inode 4242)", out.get(0).toString());
        assertEquals("127.0.0.1", out.get(1).address().getHostAddress());
        assertEquals(53, out.get(1).port());
        assertTrue(out.get(2).address().isAnyLocalAddress());
        assertEquals(80, out.get(2).port());
        assertEquals("127.0.0.1", out.get(3).address().getHostAddress(), "v4-mapped");
    }
}
