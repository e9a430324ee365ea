package io.netns.rtnl;

import io.netns.internal.nl.IfAddrMsg;
import io.netns.internal.nl.IfInfoMsg;
import io.netns.internal.nl.Nl;
import io.netns.internal.nl.NlFormatException;
import io.netns.internal.nl.RtAttrs;
import io.netns.internal.nl.RtMsg;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;

/** Turns kernel messages into the public values. Pure: no system calls. */
final class Decode {
    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private Decode() {
    }

    /**
     * @param buf the buffer
     * @param msg the offset of an {@code RTM_NEWLINK} message
     * @return the link
     * @throws NlFormatException if the message is malformed or has no name
     */
    static Link link(ByteBuffer buf, int msg) {
        IfInfoMsg ifi = IfInfoMsg.read(buf, msg);
        RtAttrs a = IfInfoMsg.attributes(buf, msg);
        String name = a.getString(Nl.IFLA_IFNAME);
        if (name == null) {
            throw new NlFormatException("RTM_NEWLINK for index " + ifi.index() + " without IFLA_IFNAME");
        }
        String kind = null;
        RtAttrs info = a.nested(Nl.IFLA_LINKINFO);
        if (info != null) {
            kind = info.getString(Nl.IFLA_INFO_KIND);
        }
        byte[] mac = a.getBytes(Nl.IFLA_ADDRESS);
        return new Link(ifi.index(), name, kind == null ? "" : kind, ifi.flags(), a.getU32(Nl.IFLA_MTU, 0),
                a.getU32(Nl.IFLA_MASTER, 0), mac == null ? "" : mac(mac));
    }

    /**
     * @param buf the buffer
     * @param msg the offset of an {@code RTM_NEWADDR} message
     * @return the address, or null for a family other than IPv4 and IPv6
     */
    static Addr addr(ByteBuffer buf, int msg) {
        IfAddrMsg ifa = IfAddrMsg.read(buf, msg);
        if (ifa.family() != Nl.AF_INET && ifa.family() != Nl.AF_INET6) {
            return null;
        }
        RtAttrs a = IfAddrMsg.attributes(buf, msg);
        byte[] raw = a.getBytes(Nl.IFA_LOCAL); // the local end; IFA_ADDRESS is the peer on p2p links
        if (raw == null) {
            raw = a.getBytes(Nl.IFA_ADDRESS);
        }
        if (raw == null) {
            throw new NlFormatException("RTM_NEWADDR for index " + ifa.index() + " without an address");
        }
        int flags = a.getU32(Nl.IFA_FLAGS, ifa.flags()); // IFA_FLAGS holds all 32 bits (kernel 3.14+)
        return new Addr(ifa.index(), ip(raw, ifa.family()), ifa.prefixLength(), ifa.family(), ifa.scope(), flags);
    }

    /**
     * @param buf the buffer
     * @param msg the offset of an {@code RTM_NEWROUTE} message
     * @return the route, or null for a family other than IPv4 and IPv6
     */
    static Route route(ByteBuffer buf, int msg) {
        RtMsg rtm = RtMsg.read(buf, msg);
        int family = rtm.family();
        if (family != Nl.AF_INET && family != Nl.AF_INET6) {
            return null;
        }
        RtAttrs a = RtMsg.attributes(buf, msg);
        byte[] dst = a.getBytes(Nl.RTA_DST);
        byte[] gw = a.getBytes(Nl.RTA_GATEWAY);
        InetAddress destination = dst == null ? ip(new byte[family == Nl.AF_INET ? 4 : 16], family) : ip(dst, family);
        return new Route(family, destination, rtm.dstLength(), gw == null ? null : ip(gw, family),
                a.getU32(Nl.RTA_OIF, 0), a.getU32(Nl.RTA_TABLE, rtm.table()), rtm.protocol(), rtm.scope(),
                rtm.type());
    }

    static InetAddress ip(byte[] raw, int family) {
        int want = family == Nl.AF_INET ? 4 : 16;
        if (raw.length != want) {
            throw new NlFormatException("address of " + raw.length + " bytes for family " + family);
        }
        try {
            return InetAddress.getByAddress(raw);
        } catch (UnknownHostException e) {
            throw new NlFormatException("bad address: " + e.getMessage());
        }
    }

    static String mac(byte[] b) {
        if (b.length == 0) {
            return "";
        }
        StringBuilder s = new StringBuilder(b.length * 3 - 1);
        for (int i = 0; i < b.length; i++) {
            if (i > 0) {
                s.append(':');
            }
            s.append(HEX[(b[i] >> 4) & 0xf]).append(HEX[b[i] & 0xf]);
        }
        return s.toString();
    }
}
