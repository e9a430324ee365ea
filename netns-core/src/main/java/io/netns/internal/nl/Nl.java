package io.netns.internal.nl;

import io.netns.internal.posix.Native;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Internal use only: netlink and rtnetlink constants, spelled as in {@code <linux/netlink.h>},
 * {@code <linux/rtnetlink.h>}, {@code <linux/if_link.h>} and {@code <linux/if_addr.h>}, and the
 * alignment rules.
 */
public final class Nl {
    /** {@code NETLINK_ROUTE} ({@code <linux/netlink.h>}). */
    public static final int NETLINK_ROUTE = 0;
    /** {@code NETLINK_SOCK_DIAG} ({@code <linux/netlink.h>}). */
    public static final int NETLINK_SOCK_DIAG = 4;
    /** {@code NETLINK_NETFILTER} ({@code <linux/netlink.h>}). */
    public static final int NETLINK_NETFILTER = 12;
    /** {@code NETLINK_CAP_ACK}: errors do not echo the request's payload. */
    public static final int NETLINK_CAP_ACK = 10;
    /** {@code NETLINK_EXT_ACK}: errors carry the kernel's extended-ack TLVs. */
    public static final int NETLINK_EXT_ACK = 11;
    /** {@code NETLINK_GET_STRICT_CHK}: the kernel validates request headers strictly. */
    public static final int NETLINK_GET_STRICT_CHK = 12;

    /** {@code NLMSG_ALIGNTO}. */
    public static final int NLMSG_ALIGNTO = 4;
    /** {@code NLMSG_HDRLEN}. */
    public static final int NLMSG_HDRLEN = 16;
    /** {@code RTA_ALIGNTO}. */
    public static final int RTA_ALIGNTO = 4;
    /** {@code sizeof(struct rtattr)}. */
    public static final int RTA_HDRLEN = 4;

    /** {@code NLMSG_NOOP}. */
    public static final int NLMSG_NOOP = 1;
    /** {@code NLMSG_ERROR}. */
    public static final int NLMSG_ERROR = 2;
    /** {@code NLMSG_DONE}. */
    public static final int NLMSG_DONE = 3;
    /** {@code NLMSG_OVERRUN}. */
    public static final int NLMSG_OVERRUN = 4;

    /** {@code NLM_F_REQUEST}. */
    public static final int NLM_F_REQUEST = 0x1;
    /** {@code NLM_F_MULTI}. */
    public static final int NLM_F_MULTI = 0x2;
    /** {@code NLM_F_ACK}. */
    public static final int NLM_F_ACK = 0x4;
    /** {@code NLM_F_ECHO}. */
    public static final int NLM_F_ECHO = 0x8;
    /** {@code NLM_F_DUMP_INTR}: the dump was interrupted by a change and may be inconsistent. */
    public static final int NLM_F_DUMP_INTR = 0x10;
    /** {@code NLM_F_DUMP_FILTERED}. */
    public static final int NLM_F_DUMP_FILTERED = 0x20;
    /** {@code NLM_F_ROOT}. */
    public static final int NLM_F_ROOT = 0x100;
    /** {@code NLM_F_MATCH}. */
    public static final int NLM_F_MATCH = 0x200;
    /** {@code NLM_F_DUMP}. */
    public static final int NLM_F_DUMP = NLM_F_ROOT | NLM_F_MATCH;
    /** {@code NLM_F_REPLACE}. */
    public static final int NLM_F_REPLACE = 0x100;
    /** {@code NLM_F_EXCL}. */
    public static final int NLM_F_EXCL = 0x200;
    /** {@code NLM_F_CREATE}. */
    public static final int NLM_F_CREATE = 0x400;
    /** {@code NLM_F_APPEND}. */
    public static final int NLM_F_APPEND = 0x800;
    /** {@code NLM_F_CAPPED} (on NLMSG_ERROR): the request's payload was not echoed. */
    public static final int NLM_F_CAPPED = 0x100;
    /** {@code NLM_F_ACK_TLVS} (on NLMSG_ERROR and NLMSG_DONE): extended-ack TLVs follow. */
    public static final int NLM_F_ACK_TLVS = 0x200;

    /** {@code NLMSGERR_ATTR_MSG}: the error text. */
    public static final int NLMSGERR_ATTR_MSG = 1;
    /** {@code NLMSGERR_ATTR_OFFS}: offset of the offending attribute in the request. */
    public static final int NLMSGERR_ATTR_OFFS = 2;

    /** {@code RTM_NEWLINK}. */
    public static final int RTM_NEWLINK = 16;
    /** {@code RTM_DELLINK}. */
    public static final int RTM_DELLINK = 17;
    /** {@code RTM_GETLINK}. */
    public static final int RTM_GETLINK = 18;
    /** {@code RTM_SETLINK}. */
    public static final int RTM_SETLINK = 19;
    /** {@code RTM_NEWADDR}. */
    public static final int RTM_NEWADDR = 20;
    /** {@code RTM_DELADDR}. */
    public static final int RTM_DELADDR = 21;
    /** {@code RTM_GETADDR}. */
    public static final int RTM_GETADDR = 22;
    /** {@code RTM_NEWROUTE}. */
    public static final int RTM_NEWROUTE = 24;
    /** {@code RTM_DELROUTE}. */
    public static final int RTM_DELROUTE = 25;
    /** {@code RTM_GETROUTE}. */
    public static final int RTM_GETROUTE = 26;

    /** {@code AF_UNSPEC}. */
    public static final int AF_UNSPEC = 0;
    /** {@code AF_INET}. */
    public static final int AF_INET = 2;
    /** {@code AF_INET6}. */
    public static final int AF_INET6 = 10;

    /** {@code IFF_UP}. */
    public static final int IFF_UP = 0x1;
    /** {@code IFF_LOOPBACK}. */
    public static final int IFF_LOOPBACK = 0x8;
    /** {@code IFF_LOWER_UP}. */
    public static final int IFF_LOWER_UP = 0x10000;

    /** {@code IFLA_ADDRESS}. */
    public static final int IFLA_ADDRESS = 1;
    /** {@code IFLA_BROADCAST}. */
    public static final int IFLA_BROADCAST = 2;
    /** {@code IFLA_IFNAME}. */
    public static final int IFLA_IFNAME = 3;
    /** {@code IFLA_MTU}. */
    public static final int IFLA_MTU = 4;
    /** {@code IFLA_LINK}. */
    public static final int IFLA_LINK = 5;
    /** {@code IFLA_MASTER}. */
    public static final int IFLA_MASTER = 10;
    /** {@code IFLA_OPERSTATE}. */
    public static final int IFLA_OPERSTATE = 16;
    /** {@code IFLA_LINKINFO}. */
    public static final int IFLA_LINKINFO = 18;
    /** {@code IFLA_NET_NS_PID}. */
    public static final int IFLA_NET_NS_PID = 19;
    /** {@code IFLA_NET_NS_FD}. */
    public static final int IFLA_NET_NS_FD = 28;
    /** {@code IFLA_EXT_MASK}. */
    public static final int IFLA_EXT_MASK = 29;
    /** {@code IFLA_INFO_KIND} (inside IFLA_LINKINFO). */
    public static final int IFLA_INFO_KIND = 1;
    /** {@code IFLA_INFO_DATA} (inside IFLA_LINKINFO). */
    public static final int IFLA_INFO_DATA = 2;
    /** {@code VETH_INFO_PEER} (inside IFLA_INFO_DATA of a veth). */
    public static final int VETH_INFO_PEER = 1;
    /** {@code IFLA_INFO_SLAVE_KIND} (inside IFLA_LINKINFO): the master's kind, e.g. {@code bridge}. */
    public static final int IFLA_INFO_SLAVE_KIND = 4;
    /** {@code IFLA_INFO_SLAVE_DATA} (inside IFLA_LINKINFO): the port's settings in its master. */
    public static final int IFLA_INFO_SLAVE_DATA = 5;
    /** {@code IFLA_BRPORT_MODE} (inside IFLA_INFO_SLAVE_DATA of a bridge port): hairpin mode, a u8. */
    public static final int IFLA_BRPORT_MODE = 4;

    /** {@code IFA_ADDRESS}. */
    public static final int IFA_ADDRESS = 1;
    /** {@code IFA_LOCAL}. */
    public static final int IFA_LOCAL = 2;
    /** {@code IFA_LABEL}. */
    public static final int IFA_LABEL = 3;
    /** {@code IFA_BROADCAST}. */
    public static final int IFA_BROADCAST = 4;
    /** {@code IFA_FLAGS}. */
    public static final int IFA_FLAGS = 8;

    /** {@code RTA_DST}. */
    public static final int RTA_DST = 1;
    /** {@code RTA_SRC}. */
    public static final int RTA_SRC = 2;
    /** {@code RTA_OIF}. */
    public static final int RTA_OIF = 4;
    /** {@code RTA_GATEWAY}. */
    public static final int RTA_GATEWAY = 5;
    /** {@code RTA_PRIORITY}. */
    public static final int RTA_PRIORITY = 6;
    /** {@code RTA_PREFSRC}. */
    public static final int RTA_PREFSRC = 7;
    /** {@code RTA_TABLE}. */
    public static final int RTA_TABLE = 15;

    /** {@code RT_TABLE_MAIN}. */
    public static final int RT_TABLE_MAIN = 254;
    /** {@code RT_TABLE_LOCAL}. */
    public static final int RT_TABLE_LOCAL = 255;
    /** {@code RTPROT_BOOT}: what {@code ip route add} uses. */
    public static final int RTPROT_BOOT = 3;
    /** {@code RTPROT_KERNEL}. */
    public static final int RTPROT_KERNEL = 2;
    /** {@code RT_SCOPE_UNIVERSE}. */
    public static final int RT_SCOPE_UNIVERSE = 0;
    /** {@code RT_SCOPE_LINK}. */
    public static final int RT_SCOPE_LINK = 253;
    /** {@code RT_SCOPE_HOST}. */
    public static final int RT_SCOPE_HOST = 254;
    /** {@code RTN_UNICAST}. */
    public static final int RTN_UNICAST = 1;

    /** Mask that strips {@code NLA_F_NESTED} and {@code NLA_F_NET_BYTEORDER} from an attribute type. */
    public static final int NLA_TYPE_MASK = 0x3fff;

    /** {@code struct sockaddr_nl} of the kernel: {@code AF_NETLINK}, {@code nl_pid} 0, no groups. */
    private static final ByteBuffer KERNEL_ADDRESS = ByteBuffer.allocateDirect(12).order(ByteOrder.nativeOrder())
            .putShort(0, (short) Native.AF_NETLINK).putInt(4, 0).putInt(8, 0);

    private Nl() {
    }

    /**
     * The kernel's netlink address, for {@code sendto} and for {@code bind} with the port id left to the
     * kernel: {@code struct sockaddr_nl { sa_family_t nl_family; unsigned short nl_pad; __u32 nl_pid;
     * __u32 nl_groups; }}.
     *
     * @return a view of one shared direct buffer, position 0 and limit 12 (a caller may move its own view)
     */
    public static ByteBuffer kernelAddress() {
        return KERNEL_ADDRESS.duplicate();
    }

    /**
     * {@code NLMSG_ALIGN(len)}.
     *
     * @param len a length
     * @return it rounded up to a multiple of 4
     */
    public static int nlmsgAlign(int len) {
        return (len + NLMSG_ALIGNTO - 1) & ~(NLMSG_ALIGNTO - 1);
    }

    /**
     * {@code RTA_ALIGN(len)}.
     *
     * @param len a length
     * @return it rounded up to a multiple of 4
     */
    public static int rtaAlign(int len) {
        return (len + RTA_ALIGNTO - 1) & ~(RTA_ALIGNTO - 1);
    }

    /**
     * @param type a message type
     * @return its C name, e.g. {@code RTM_NEWLINK}, or the number
     */
    public static String messageTypeName(int type) {
        switch (type) {
            case NLMSG_NOOP: return "NLMSG_NOOP";
            case NLMSG_ERROR: return "NLMSG_ERROR";
            case NLMSG_DONE: return "NLMSG_DONE";
            case NLMSG_OVERRUN: return "NLMSG_OVERRUN";
            case RTM_NEWLINK: return "RTM_NEWLINK";
            case RTM_DELLINK: return "RTM_DELLINK";
            case RTM_GETLINK: return "RTM_GETLINK";
            case RTM_SETLINK: return "RTM_SETLINK";
            case RTM_NEWADDR: return "RTM_NEWADDR";
            case RTM_DELADDR: return "RTM_DELADDR";
            case RTM_GETADDR: return "RTM_GETADDR";
            case RTM_NEWROUTE: return "RTM_NEWROUTE";
            case RTM_DELROUTE: return "RTM_DELROUTE";
            case RTM_GETROUTE: return "RTM_GETROUTE";
            default: return "type " + type;
        }
    }
}
