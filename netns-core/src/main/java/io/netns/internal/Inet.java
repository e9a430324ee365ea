package io.netns.internal;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Objects;

/**
 * Internal use only: IP literals and CIDR blocks, parsed without any name lookup.
 */
public final class Inet {
    private Inet() {
    }

    /**
     * Parses an IPv4 or IPv6 literal; never resolves a host name.
     *
     * @param what what the value is, for the message
     * @param literal e.g. {@code 10.20.30.100} or {@code fe80::1}
     * @return the address
     * @throws IllegalArgumentException if it is not an IP literal
     */
    public static InetAddress parse(String what, String literal) {
        Objects.requireNonNull(literal, what);
        String s = literal.startsWith("[") && literal.endsWith("]") ? literal.substring(1, literal.length() - 1) : literal;
        boolean v4 = s.matches("\\d{1,3}(\\.\\d{1,3}){3}");
        boolean v6 = s.indexOf(':') >= 0 && s.matches("[0-9A-Fa-f:.]+");
        if (v4) {
            for (String part : s.split("\\.")) {
                if (Integer.parseInt(part) > 255) {
                    throw new IllegalArgumentException(what + " is not an IP address: \"" + Names.printable(literal) + "\"");
                }
            }
        }
        if (!v4 && !v6) {
            throw new IllegalArgumentException(what + " must be an IPv4 or IPv6 literal (no host names): \""
                    + Names.printable(literal) + "\"");
        }
        try {
            return InetAddress.getByName(s);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(what + " is not an IP address: \"" + Names.printable(literal) + "\"", e);
        }
    }

    /**
     * The text of an IPv6 address from its eight 16-bit groups, compressed per RFC 5952 (as {@code ip},
     * {@code ss}, {@code iptables} and {@code nft} print it): lower-case hex, no leading zeros, the longest
     * run of two or more zero groups (the first of equals) as {@code ::}.
     *
     * @param groups the eight groups, most significant first
     * @return e.g. {@code fd00:89::2}
     */
    public static String ipv6Text(int[] groups) {
        if (groups.length != 8) {
            throw new IllegalArgumentException("an IPv6 address has 8 groups, not " + groups.length);
        }
        int bestStart = -1;
        int bestLen = 1;
        for (int i = 0; i < 8; ) {
            if (groups[i] != 0) {
                i++;
                continue;
            }
            int j = i;
            while (j < 8 && groups[j] == 0) {
                j++;
            }
            if (j - i > bestLen) {
                bestStart = i;
                bestLen = j - i;
            }
            i = j;
        }
        StringBuilder s = new StringBuilder(39);
        for (int i = 0; i < 8; i++) {
            if (i == bestStart) {
                s.append("::");
                i += bestLen - 1;
                continue;
            }
            if (s.length() > 0 && s.charAt(s.length() - 1) != ':') {
                s.append(':');
            }
            s.append(Integer.toHexString(groups[i]));
        }
        return s.toString();
    }

    /**
     * @return the address as text without a host name or scope, IPv6 compressed per RFC 5952 as {@code ip}
     *     prints it: {@code 10.0.0.1}, {@code fe80::1}
     */
    public static String toText(InetAddress a) {
        if (a instanceof Inet6Address) {
            byte[] b = a.getAddress();
            int[] g = new int[8];
            for (int i = 0; i < 8; i++) {
                g[i] = ((b[2 * i] & 0xff) << 8) | (b[2 * i + 1] & 0xff);
            }
            return ipv6Text(g);
        }
        return a.getHostAddress();
    }

    /**
     * An IP network: address and prefix length, with the host bits zero.
     *
     * @param network the network address
     * @param prefix the prefix length
     */
    public record Cidr(InetAddress network, int prefix) {
        /**
         * Parses {@code 10.89.0.0/24} or {@code fd00:89::/64}.
         *
         * @param what what the value is, for the message
         * @param text the CIDR
         * @return the block
         * @throws IllegalArgumentException if it is not a CIDR, the prefix is out of range, or host bits are set
         */
        public static Cidr parse(String what, String text) {
            Objects.requireNonNull(text, what);
            int slash = text.indexOf('/');
            if (slash < 0) {
                throw new IllegalArgumentException(what + " must be a CIDR such as 10.89.0.0/24 or fd89:0:0:1::/64: \""
                        + Names.printable(text) + "\"");
            }
            InetAddress addr;
            try {
                addr = Inet.parse(what, text.substring(0, slash));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(what + " must be a CIDR such as 10.89.0.0/24 or fd89:0:0:1::/64: \""
                        + Names.printable(text) + "\" (" + e.getMessage() + ")", e);
            }
            int max = addr instanceof Inet4Address ? 32 : 128;
            int prefix;
            try {
                prefix = Integer.parseInt(text.substring(slash + 1));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(what + " has no valid prefix length: \"" + Names.printable(text) + "\"");
            }
            if (prefix < 0 || prefix > max) {
                throw new IllegalArgumentException(what + " prefix must be 0.." + max + ": \"" + text + "\"");
            }
            Cidr c = new Cidr(mask(addr, prefix), prefix);
            if (!c.network.equals(addr)) {
                throw new IllegalArgumentException(what + " has host bits set: \"" + text + "\" (did you mean "
                        + c + "?)");
            }
            return c;
        }

        /**
         * @param address any address of the block
         * @param prefix the prefix length
         * @return the block, host bits cleared
         */
        public static Cidr of(InetAddress address, int prefix) {
            return new Cidr(mask(address, prefix), prefix);
        }

        /** @return whether the address is inside this block */
        public boolean contains(InetAddress a) {
            return a.getClass() == network.getClass() && mask(a, prefix).equals(network);
        }

        /**
         * @param other another block
         * @return whether the two blocks share an address (one contains the other)
         */
        public boolean overlaps(Cidr other) {
            return prefix <= other.prefix ? contains(other.network) : other.contains(network);
        }

        /** @return true for an IPv6 block */
        public boolean isIpv6() {
            return network instanceof Inet6Address;
        }

        /** @return the number of host bits */
        public int hostBits() {
            return (isIpv6() ? 128 : 32) - prefix;
        }

        /**
         * @param n the offset from the network address
         * @return the address {@code n} after the network address
         */
        public InetAddress address(long n) {
            byte[] b = network.getAddress();
            long carry = n;
            for (int i = b.length - 1; i >= 0 && carry != 0; i--) {
                long v = (b[i] & 0xff) + (carry & 0xff);
                b[i] = (byte) v;
                carry = (carry >>> 8) + (v >>> 8);
            }
            try {
                return InetAddress.getByAddress(b);
            } catch (UnknownHostException e) {
                throw new IllegalStateException(e);
            }
        }

        /** @return {@code 10.89.0.0/24} */
        @Override
        public String toString() {
            return toText(network) + "/" + prefix;
        }

        private static InetAddress mask(InetAddress a, int prefix) {
            byte[] b = a.getAddress();
            for (int i = 0; i < b.length; i++) {
                int bits = Math.max(0, Math.min(8, prefix - i * 8));
                b[i] &= (byte) (0xff << (8 - bits));
            }
            try {
                return InetAddress.getByAddress(b);
            } catch (UnknownHostException e) {
                throw new IllegalStateException(e);
            }
        }
    }
}
