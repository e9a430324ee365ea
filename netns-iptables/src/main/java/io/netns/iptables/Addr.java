package io.netns.iptables;

import io.netns.internal.Inet;
import java.net.Inet6Address;
import java.net.InetAddress;

/** Internal use only: addresses as iptables prints them (IPv6 compressed per RFC 5952). */
final class Addr {
    private Addr() {
    }

    static String text(InetAddress a) {
        if (!(a instanceof Inet6Address)) {
            return Inet.toText(a);
        }
        byte[] b = a.getAddress();
        int[] w = new int[8];
        for (int i = 0; i < 8; i++) {
            w[i] = ((b[2 * i] & 0xff) << 8) | (b[2 * i + 1] & 0xff);
        }
        return Inet.ipv6Text(w);
    }

    static String cidr(Inet.Cidr c) {
        return text(c.network()) + "/" + c.prefix();
    }
}
