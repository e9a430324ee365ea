package io.netns.iptables;

import io.netns.internal.Inet;
import java.net.InetAddress;

/** Internal use only: addresses as iptables prints them (IPv6 compressed per RFC 5952). */
final class Addr {
    private Addr() {
    }

    static String text(InetAddress a) {
        return Inet.toText(a);
    }

    static String cidr(Inet.Cidr c) {
        return text(c.network()) + "/" + c.prefix();
    }
}
