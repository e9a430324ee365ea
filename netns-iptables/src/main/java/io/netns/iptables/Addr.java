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
        int bestStart = -1;
        int bestLen = 1;
        for (int i = 0; i < 8; ) {
            if (w[i] != 0) {
                i++;
                continue;
            }
            int j = i;
            while (j < 8 && w[j] == 0) {
                j++;
            }
            if (j - i > bestLen) {
                bestStart = i;
                bestLen = j - i;
            }
            i = j;
        }
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < 8; i++) {
            if (i == bestStart) {
                s.append("::");
                i += bestLen - 1;
                continue;
            }
            if (s.length() > 0 && s.charAt(s.length() - 1) != ':') {
                s.append(':');
            }
            s.append(Integer.toHexString(w[i]));
        }
        return s.toString();
    }

    static String cidr(Inet.Cidr c) {
        return text(c.network()) + "/" + c.prefix();
    }
}
