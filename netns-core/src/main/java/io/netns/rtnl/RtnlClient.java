package io.netns.rtnl;

import io.netns.NetNamespace;
import io.netns.NetlinkException;
import io.netns.NetnsException;
import io.netns.internal.nl.IfAddrMsg;
import io.netns.internal.nl.IfInfoMsg;
import io.netns.internal.nl.Nl;
import io.netns.internal.nl.NetlinkSocket;
import io.netns.internal.nl.RtAttr;
import io.netns.internal.nl.RtMsg;
import io.netns.internal.posix.FileDescriptor;
import io.netns.internal.posix.FileId;
import io.netns.internal.posix.Native;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * An rtnetlink client bound to one network namespace: links, addresses and routes, with no {@code ip}
 * process and no namespace switch per operation.
 *
 * <p>{@link #open(NetNamespace)} opens one {@code NETLINK_ROUTE} socket while inside the namespace; the
 * socket stays bound to it, so every later call acts there from whatever thread makes it. This is
 * vishvananda/netlink's {@code Handle}: one per namespace.
 *
 * <pre>{@code
 * try (NetNamespace sandbox = NetNamespace.create("web1");
 *      RtnlClient host = RtnlClient.open(NetNamespace.current());
 *      RtnlClient inside = RtnlClient.open(sandbox)) {
 *     host.addVeth("veth-web1", "eth0", sandbox);          // peer created inside web1, one message
 *     host.setMaster("veth-web1", "br0");
 *     host.setUp("veth-web1");
 *     inside.addAddress("eth0", InetAddress.getByName("10.89.0.2"), 24);
 *     inside.setUp("eth0");
 *     inside.addDefaultRoute(InetAddress.getByName("10.89.0.1"));
 * }
 * }</pre>
 *
 * <h2>Protocol</h2>
 * Every request carries {@code NLM_F_ACK} and is checked: a kernel error becomes a
 * {@link NetlinkException} with the errno name and the kernel's extended-ack text
 * ({@code NETLINK_EXT_ACK} is on; {@code NETLINK_CAP_ACK} keeps errors short; {@code
 * NETLINK_GET_STRICT_CHK} makes the kernel reject malformed requests instead of guessing). Replies are
 * matched by sequence number and port id; late answers to an abandoned request are skipped. Dumps end at
 * {@code NLMSG_DONE}; a dump the kernel marks {@code NLM_F_DUMP_INTR} (the table changed under it) is
 * retried up to {@value #DUMP_ATTEMPTS} times in all, then reported as a {@link NetlinkException} with
 * errno {@code EINTR}. Each datagram is sized with {@code MSG_PEEK|MSG_TRUNC} before it is read and the
 * receive buffer grows to fit, so a large reply can never be silently truncated.
 *
 * <h2>Memory</h2>
 * One direct, native-order buffer for requests (4 KiB) and one for replies (64 KiB, grown when a datagram
 * is larger), reused for every request; the hot path copies no byte arrays. Closed clients hand their
 * buffers to the next client opened, because allocating direct memory costs more than a request.
 *
 * <h2>Threads</h2>
 * Thread-safe: a client is one socket, and every operation holds the client's lock from request to last
 * reply, so concurrent callers are serialized. For parallelism open several clients.
 *
 * <h2>Names</h2>
 * Link names follow the kernel's rule (1 to 15 bytes, no {@code /}, {@code :} or white space, not
 * {@code .} or {@code ..}); a bad one throws {@link IllegalArgumentException} before anything is sent.
 * Operations naming a link that does not exist throw {@link NetlinkException} with {@code ENODEV};
 * {@link #link(String)} and {@link #link(int)} instead return {@link Optional#empty()}.
 */
public final class RtnlClient implements AutoCloseable {
    /** How many times a dump interrupted by a concurrent change is attempted in all. */
    public static final int DUMP_ATTEMPTS = NetlinkSocket.DUMP_ATTEMPTS;

    /** {@code RTEXT_FILTER_SKIP_STATS} ({@code <linux/rtnetlink.h>}): leave the statistics out of link replies. */
    private static final int RTEXT_FILTER_SKIP_STATS = 1 << 3;
    /** {@code RT_SCOPE_NOWHERE} ({@code <linux/rtnetlink.h>}). */
    private static final int RT_SCOPE_NOWHERE = 255;
    /** {@code IFNAMSIZ} ({@code <linux/if.h>}). */
    private static final int IFNAMSIZ = 16;
    private static final int ENODEV = Native.ENODEV;

    private final NetlinkSocket socket;

    private RtnlClient(NetlinkSocket socket) {
        this.socket = socket;
    }

    /** A client over a scripted kernel, for unit tests. */
    RtnlClient(String description, NetlinkSocket.Transport transport, int pid, ByteBuffer request, ByteBuffer receive) {
        this(NetlinkSocket.over(transport, pid, description, RtnlClient::hint, request, receive));
    }

    /**
     * Opens a client whose socket lives in {@code ns}: the socket is created while the calling thread is
     * switched into {@code ns}, and acts there for its whole life. The handle {@code ns} is not kept;
     * closing it later does not affect the client.
     *
     * @param ns the namespace to manage
     * @return the client, which the caller closes
     * @throws NetnsException if the socket cannot be opened or bound
     */
    public static RtnlClient open(NetNamespace ns) throws NetnsException {
        return new RtnlClient(NetlinkSocket.open(ns, Nl.NETLINK_ROUTE, "RtnlClient", RtnlClient::hint));
    }

    private static String hint(int errno) {
        if (errno == Native.EPERM) {
            return "needs CAP_NET_ADMIN";
        }
        return errno == ENODEV ? "no such link" : null;
    }

    /** @return the socket's netlink port id ({@code nl_pid}), as the kernel assigned it */
    public int portId() {
        return socket.portId();
    }

    // ---------------------------------------------------------------------------------------------- links

    /**
     * Lists every link of the namespace, by one dump.
     *
     * <p>Equivalent to: {@code ip link show}
     *
     * @return the links, in the kernel's order (by index)
     * @throws NetnsException if the kernel refuses or the dump stays inconsistent
     *     ({@value #DUMP_ATTEMPTS} attempts)
     */
    public synchronized List<Link> links() throws NetnsException {
        List<Link> out = new ArrayList<>();
        socket.dump(() -> "RTM_GETLINK(dump)", Nl.RTM_GETLINK, Nl.NLM_F_DUMP, request -> {
            IfInfoMsg.put(request, Nl.AF_UNSPEC, 0, 0, 0, 0);
            RtAttr.addU32(request, Nl.IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
        }, out::clear, (buf, msg, type) -> {
            if (type == Nl.RTM_NEWLINK) {
                out.add(Decode.link(buf, msg));
            }
        });
        return out;
    }

    /**
     * Looks one link up by name, with a targeted request (not a dump), so the cost does not grow with the
     * number of links.
     *
     * <p>Equivalent to: {@code ip link show dev $name}
     *
     * @param name the link's name
     * @return the link, or empty when there is none of that name
     * @throws NetnsException if the kernel refuses for another reason
     */
    public synchronized Optional<Link> link(String name) throws NetnsException {
        checkName(name);
        return getLink(() -> "RTM_GETLINK(" + name + ")", Nl.RTM_GETLINK, 0, request -> {
            IfInfoMsg.put(request, Nl.AF_UNSPEC, 0, 0, 0, 0);
            RtAttr.addString(request, Nl.IFLA_IFNAME, name);
            RtAttr.addU32(request, Nl.IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
        });
    }

    /**
     * Looks one link up by index, with a targeted request.
     *
     * <p>Equivalent to: {@code ip link show} filtered to index {@code $index}
     *
     * @param index the link's index
     * @return the link, or empty when there is none with that index
     * @throws NetnsException if the kernel refuses for another reason
     */
    public synchronized Optional<Link> link(int index) throws NetnsException {
        if (index <= 0) {
            throw new IllegalArgumentException("link index must be positive: " + index);
        }
        return getLink(() -> "RTM_GETLINK(index " + index + ")", Nl.RTM_GETLINK, 0, request -> {
            IfInfoMsg.put(request, Nl.AF_UNSPEC, 0, index, 0, 0);
            RtAttr.addU32(request, Nl.IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
        });
    }

    private Optional<Link> getLink(Supplier<String> op, int type, int flags, NetlinkSocket.Body body)
            throws NetnsException {
        Link[] found = new Link[1];
        try {
            socket.execute(op, type, flags, body, (buf, msg, t) -> {
                if (t == Nl.RTM_NEWLINK) {
                    found[0] = Decode.link(buf, msg);
                }
            });
        } catch (NetlinkException e) {
            if (e.errno() == ENODEV) {
                return Optional.empty();
            }
            throw e;
        }
        return Optional.ofNullable(found[0]);
    }

    /** The index of a link that must exist. */
    private int indexOf(String name) throws NetnsException {
        Optional<Link> l = link(name);
        if (l.isEmpty()) {
            throw new NetlinkException("RTM_GETLINK(" + name + ")", ENODEV, Nl.RTM_GETLINK, null,
                    "no link named " + name + " in " + socket);
        }
        return l.get().index();
    }

    /**
     * Creates a veth pair whose peer is created directly inside another namespace, in one message
     * ({@code IFLA_NET_NS_FD} in the peer's attributes), so the peer never appears here. Both ends are
     * down.
     *
     * <p>Equivalent to: {@code ip link add $name type veth peer name $peerName netns $peerNamespace}
     *
     * @param name the name of the end that stays in this client's namespace
     * @param peerName the peer's name, inside {@code peerNamespace}
     * @param peerNamespace where the peer goes, or null for this client's namespace
     * @throws NetnsException e.g. {@code EEXIST} when either name is taken
     */
    public synchronized void addVeth(String name, String peerName, NetNamespace peerNamespace)
            throws NetnsException {
        createVeth(name, peerName, peerNamespace, 0, 0);
    }

    /**
     * {@link #addVeth(String, String, NetNamespace)} that also configures, in the same message, what the
     * kernel allows at creation: the end here joins a master (a bridge) and comes up, and both ends get an
     * MTU. The peer stays down: a veth end cannot be opened before its pair is registered
     * ({@code ENOTCONN}). This is how bridge mode wires a sandbox, in one request.
     *
     * <p>Equivalent to: {@code ip link add $name mtu $mtu master $master up type veth peer name $peerName
     * mtu $mtu netns $peerNamespace}
     *
     * @param name the name of the end that stays in this client's namespace
     * @param peerName the peer's name, inside {@code peerNamespace}
     * @param peerNamespace where the peer goes, or null for this client's namespace
     * @param masterIndex the link index of the master the end here joins; positive
     * @param mtu the MTU of both ends, 68..65535, or 0 for the kernel's default
     * @throws IllegalArgumentException if a name, the index or the MTU is out of range
     * @throws NetnsException e.g. {@code EEXIST} when either name is taken, {@code ENODEV} for no such master
     */
    public synchronized void addVeth(String name, String peerName, NetNamespace peerNamespace, int masterIndex,
            int mtu) throws NetnsException {
        if (masterIndex <= 0) {
            throw new IllegalArgumentException("master index must be positive: " + masterIndex);
        }
        if (mtu != 0 && (mtu < 68 || mtu > 65535)) {
            throw new IllegalArgumentException("mtu must be 0 (the default) or 68..65535: " + mtu);
        }
        createVeth(name, peerName, peerNamespace, masterIndex, mtu);
    }

    private void createVeth(String name, String peerName, NetNamespace peerNamespace, int masterIndex, int mtu)
            throws NetnsException {
        checkName(name);
        checkName(peerName);
        FileDescriptor peerNs = peerNamespace == null ? null : openNamespace(peerNamespace);
        int peerFd = peerNs == null ? -1 : peerNs.intValue();
        try {
            socket.execute(() -> "RTM_NEWLINK(veth " + name + (mtu > 0 ? " mtu " + mtu : "")
                    + (masterIndex > 0 ? " master index " + masterIndex + " up" : "") + " peer " + peerName
                    + (peerNamespace == null ? "" : " netns " + peerNamespace) + ")", Nl.RTM_NEWLINK, Nl.NLM_F_CREATE | Nl.NLM_F_EXCL, request -> {
                int up = masterIndex > 0 ? Nl.IFF_UP : 0;
                IfInfoMsg.put(request, Nl.AF_UNSPEC, 0, 0, up, up);
                RtAttr.addString(request, Nl.IFLA_IFNAME, name);
                if (mtu > 0) {
                    RtAttr.addU32(request, Nl.IFLA_MTU, mtu);
                }
                if (masterIndex > 0) {
                    RtAttr.addU32(request, Nl.IFLA_MASTER, masterIndex);
                }
                int info = RtAttr.startNested(request, Nl.IFLA_LINKINFO);
                RtAttr.addString(request, Nl.IFLA_INFO_KIND, "veth");
                int data = RtAttr.startNested(request, Nl.IFLA_INFO_DATA);
                int peer = RtAttr.startNested(request, Nl.VETH_INFO_PEER);
                IfInfoMsg.put(request, Nl.AF_UNSPEC, 0, 0, 0, 0);
                RtAttr.addString(request, Nl.IFLA_IFNAME, peerName);
                if (mtu > 0) {
                    RtAttr.addU32(request, Nl.IFLA_MTU, mtu);
                }
                if (peerFd >= 0) {
                    RtAttr.addU32(request, Nl.IFLA_NET_NS_FD, peerFd);
                }
                RtAttr.endNested(request, peer);
                RtAttr.endNested(request, data);
                RtAttr.endNested(request, info);
            }, null);
        } finally {
            if (peerNs != null) {
                peerNs.close();
            }
        }
    }

    /**
     * A descriptor of {@code ns} for {@code IFLA_NET_NS_FD}, opened through the handle's public face: its
     * path when that still names the same namespace (no switch), else from inside it.
     */
    private static FileDescriptor openNamespace(NetNamespace ns) throws NetnsException {
        if (ns.isClosed()) {
            throw new IllegalStateException(ns + " is closed");
        }
        try {
            FileDescriptor fd = FileDescriptor.open(ns.path().toString(), Native.O_RDONLY);
            try {
                FileId id = Native.identity(fd.intValue());
                if (id.dev() == ns.device() && id.ino() == ns.inode()) {
                    return fd;
                }
            } catch (NetnsException | RuntimeException e) {
                // fall through: ask from inside
            }
            fd.close();
        } catch (NetnsException e) {
            // the path is gone or not ours to open: ask from inside
        }
        return ns.call(() -> FileDescriptor.open("/proc/thread-self/ns/net", Native.O_RDONLY));
    }

    /**
     * Creates a bridge, down.
     *
     * <p>Equivalent to: {@code ip link add $name type bridge}
     *
     * @param name its name
     * @throws NetnsException e.g. {@code EEXIST} when the name is taken
     */
    public synchronized void addBridge(String name) throws NetnsException {
        addKind(name, "bridge");
    }

    /**
     * Creates a dummy link, down.
     *
     * <p>Equivalent to: {@code ip link add $name type dummy}
     *
     * @param name its name
     * @throws NetnsException e.g. {@code EEXIST} when the name is taken
     */
    public synchronized void addDummy(String name) throws NetnsException {
        addKind(name, "dummy");
    }

    private void addKind(String name, String kind) throws NetnsException {
        checkName(name);
        socket.execute(() -> "RTM_NEWLINK(" + kind + " " + name + ")", Nl.RTM_NEWLINK, Nl.NLM_F_CREATE | Nl.NLM_F_EXCL, request -> {
            IfInfoMsg.put(request, Nl.AF_UNSPEC, 0, 0, 0, 0);
            RtAttr.addString(request, Nl.IFLA_IFNAME, name);
            int info = RtAttr.startNested(request, Nl.IFLA_LINKINFO);
            RtAttr.addString(request, Nl.IFLA_INFO_KIND, kind);
            RtAttr.endNested(request, info);
        }, null);
    }

    /**
     * Deletes a link (for a veth, both ends go).
     *
     * <p>Equivalent to: {@code ip link delete dev $name}
     *
     * @param name the link
     * @throws NetnsException {@code ENODEV} when there is no such link
     */
    public synchronized void delete(String name) throws NetnsException {
        checkName(name);
        socket.execute(() -> "RTM_DELLINK(" + name + ")", Nl.RTM_DELLINK, 0, request -> {
            IfInfoMsg.put(request, Nl.AF_UNSPEC, 0, 0, 0, 0);
            RtAttr.addString(request, Nl.IFLA_IFNAME, name);
        }, null);
    }

    /**
     * Brings a link up.
     *
     * <p>Equivalent to: {@code ip link set dev $name up}
     *
     * @param name the link
     * @throws NetnsException {@code ENODEV} when there is no such link
     */
    public synchronized void setUp(String name) throws NetnsException {
        setFlags(name, Nl.IFF_UP, "up");
    }

    /**
     * Brings a link down.
     *
     * <p>Equivalent to: {@code ip link set dev $name down}
     *
     * @param name the link
     * @throws NetnsException {@code ENODEV} when there is no such link
     */
    public synchronized void setDown(String name) throws NetnsException {
        setFlags(name, 0, "down");
    }

    private void setFlags(String name, int flags, String what) throws NetnsException {
        checkName(name);
        socket.execute(() -> "RTM_NEWLINK(" + name + " " + what + ")", Nl.RTM_NEWLINK, 0, request -> {
            IfInfoMsg.put(request, Nl.AF_UNSPEC, 0, 0, flags, Nl.IFF_UP);
            RtAttr.addString(request, Nl.IFLA_IFNAME, name);
        }, null);
    }

    /**
     * Enslaves a link to a master (a bridge), or frees it.
     *
     * <p>Equivalent to: {@code ip link set dev $name master $master} (or {@code nomaster})
     *
     * @param name the link
     * @param master the bridge's name, or null to remove the link from its master
     * @throws NetnsException {@code ENODEV} when either link does not exist
     */
    public synchronized void setMaster(String name, String master) throws NetnsException {
        checkName(name);
        int masterIndex = master == null ? 0 : indexOf(master);
        socket.execute(() -> "RTM_NEWLINK(" + name + " master " + master + ")", Nl.RTM_NEWLINK, 0, request -> {
            IfInfoMsg.put(request, Nl.AF_UNSPEC, 0, 0, 0, 0);
            RtAttr.addString(request, Nl.IFLA_IFNAME, name);
            RtAttr.addU32(request, Nl.IFLA_MASTER, masterIndex);
        }, null);
    }

    /**
     * Turns a bridge port's hairpin mode on or off: with it on, the bridge may send a frame back out of the
     * port it came in on (a sandbox reaching its own published port through the host's address, DNATed at
     * the bridge where {@code br_netfilter} is loaded).
     *
     * <p>Equivalent to: {@code ip link set dev $name type bridge_slave hairpin on} (or {@code off})
     *
     * @param name a port of a bridge
     * @param on whether the port reflects frames
     * @throws NetnsException {@code ENODEV} when there is no such link, {@code EOPNOTSUPP} when it is not a
     *     bridge port
     */
    public synchronized void setHairpin(String name, boolean on) throws NetnsException {
        checkName(name);
        socket.execute(() -> "RTM_NEWLINK(" + name + " type bridge_slave hairpin " + (on ? "on" : "off") + ")",
                Nl.RTM_NEWLINK, 0, request -> {
                    IfInfoMsg.put(request, Nl.AF_UNSPEC, 0, 0, 0, 0);
                    RtAttr.addString(request, Nl.IFLA_IFNAME, name);
                    int info = RtAttr.startNested(request, Nl.IFLA_LINKINFO);
                    RtAttr.addString(request, Nl.IFLA_INFO_SLAVE_KIND, "bridge");
                    int data = RtAttr.startNested(request, Nl.IFLA_INFO_SLAVE_DATA);
                    RtAttr.addU8(request, Nl.IFLA_BRPORT_MODE, on ? 1 : 0);
                    RtAttr.endNested(request, data);
                    RtAttr.endNested(request, info);
                }, null);
    }

    /**
     * Moves a link into another namespace; it arrives there down, with its addresses gone.
     *
     * <p>Equivalent to: {@code ip link set dev $name netns $target}
     *
     * @param name the link
     * @param target where it goes
     * @throws NetnsException {@code ENODEV} when there is no such link, {@code EEXIST} when the name is
     *     taken in the target
     */
    public synchronized void moveTo(String name, NetNamespace target) throws NetnsException {
        checkName(name);
        Objects.requireNonNull(target, "target");
        try (FileDescriptor targetNs = openNamespace(target)) {
            socket.execute(() -> "RTM_NEWLINK(" + name + " netns " + target + ")", Nl.RTM_NEWLINK, 0, request -> {
                IfInfoMsg.put(request, Nl.AF_UNSPEC, 0, 0, 0, 0);
                RtAttr.addString(request, Nl.IFLA_IFNAME, name);
                RtAttr.addU32(request, Nl.IFLA_NET_NS_FD, targetNs.intValue());
            }, null);
        }
    }

    /**
     * Renames a link. The kernel refuses ({@code EBUSY}) to rename a link that is up.
     *
     * <p>Equivalent to: {@code ip link set dev $name name $newName}
     *
     * @param name the current name
     * @param newName the new name
     * @throws NetnsException {@code ENODEV}, {@code EEXIST} or {@code EBUSY}
     */
    public synchronized void rename(String name, String newName) throws NetnsException {
        checkName(newName);
        int index = indexOf(name);
        socket.execute(() -> "RTM_NEWLINK(" + name + " name " + newName + ")", Nl.RTM_NEWLINK, 0, request -> {
            IfInfoMsg.put(request, Nl.AF_UNSPEC, 0, index, 0, 0);
            RtAttr.addString(request, Nl.IFLA_IFNAME, newName);
        }, null);
    }

    /**
     * Sets a link's MTU.
     *
     * <p>Equivalent to: {@code ip link set dev $name mtu $mtu}
     *
     * @param name the link
     * @param mtu the MTU in bytes; the driver decides the valid range ({@code EINVAL} outside it)
     * @throws NetnsException {@code ENODEV} or {@code EINVAL}
     */
    public synchronized void setMtu(String name, int mtu) throws NetnsException {
        checkName(name);
        if (mtu <= 0) {
            throw new IllegalArgumentException("mtu must be positive: " + mtu);
        }
        socket.execute(() -> "RTM_NEWLINK(" + name + " mtu " + mtu + ")", Nl.RTM_NEWLINK, 0, request -> {
            IfInfoMsg.put(request, Nl.AF_UNSPEC, 0, 0, 0, 0);
            RtAttr.addString(request, Nl.IFLA_IFNAME, name);
            RtAttr.addU32(request, Nl.IFLA_MTU, mtu);
        }, null);
    }

    // ------------------------------------------------------------------------------------------ addresses

    /**
     * Adds an IPv4 or IPv6 address to a link. {@code 127.0.0.0/8} addresses get host scope, all others
     * universe scope, as {@code ip} does.
     *
     * <p>Equivalent to: {@code ip addr add $address/$prefixLength dev $link}
     *
     * @param link the link's name
     * @param address the address
     * @param prefixLength 0..32 for IPv4, 0..128 for IPv6
     * @throws NetnsException {@code EEXIST} when the link has it already, {@code ENODEV}
     */
    public synchronized void addAddress(String link, InetAddress address, int prefixLength)
            throws NetnsException {
        addAddress(indexOf(link), address, prefixLength);
    }

    /**
     * Adds an address to the link with the given index; see {@link #addAddress(String, InetAddress, int)}.
     *
     * <p>Equivalent to: {@code ip addr add $address/$prefixLength dev $link}
     *
     * @param linkIndex the link's index
     * @param address the address
     * @param prefixLength the prefix length
     * @throws NetnsException {@code EEXIST}, {@code ENODEV}
     */
    public synchronized void addAddress(int linkIndex, InetAddress address, int prefixLength)
            throws NetnsException {
        address(Nl.RTM_NEWADDR, Nl.NLM_F_CREATE | Nl.NLM_F_EXCL, linkIndex, address, prefixLength, 0);
    }

    /**
     * Adds an address with {@code IFA_F_*} flags, e.g. {@link Addr#F_NODAD} for an IPv6 address that is
     * usable at once instead of {@link Addr#F_TENTATIVE} while duplicate address detection runs (about a
     * second). Otherwise as {@link #addAddress(String, InetAddress, int)}.
     *
     * <p>Equivalent to: {@code ip addr add $address/$prefixLength dev $link nodad}
     *
     * @param link the link's name
     * @param address the address
     * @param prefixLength 0..32 for IPv4, 0..128 for IPv6
     * @param flags {@code IFA_F_*} bits; 0 for none
     * @throws NetnsException {@code EEXIST} when the link has it already, {@code ENODEV}
     */
    public synchronized void addAddress(String link, InetAddress address, int prefixLength, int flags)
            throws NetnsException {
        address(Nl.RTM_NEWADDR, Nl.NLM_F_CREATE | Nl.NLM_F_EXCL, indexOf(link), address, prefixLength, flags);
    }

    /**
     * Removes an address from a link.
     *
     * <p>Equivalent to: {@code ip addr del $address/$prefixLength dev $link}
     *
     * @param link the link's name
     * @param address the address
     * @param prefixLength its prefix length
     * @throws NetnsException {@code EADDRNOTAVAIL} when the link does not have it, {@code ENODEV}
     */
    public synchronized void deleteAddress(String link, InetAddress address, int prefixLength)
            throws NetnsException {
        address(Nl.RTM_DELADDR, 0, indexOf(link), address, prefixLength, 0);
    }

    private void address(int type, int flags, int linkIndex, InetAddress address, int prefixLength, int ifaFlags)
            throws NetnsException {
        Objects.requireNonNull(address, "address");
        int family = family(address);
        checkPrefix(address, prefixLength);
        int scope = address.isLoopbackAddress() && family == Nl.AF_INET ? Nl.RT_SCOPE_HOST : Nl.RT_SCOPE_UNIVERSE;
        socket.execute(() -> Nl.messageTypeName(type) + "(" + address.getHostAddress() + "/" + prefixLength
                + " dev index " + linkIndex + ")", type, flags, request -> {
            IfAddrMsg.put(request, family, prefixLength, ifaFlags & 0xff, scope, linkIndex);
            byte[] raw = address.getAddress();
            RtAttr.addBytes(request, Nl.IFA_LOCAL, raw);
            RtAttr.addBytes(request, Nl.IFA_ADDRESS, raw);
            if ((ifaFlags & ~0xff) != 0) { // the flags beyond ifa_flags' 8 bits, as ip does
                RtAttr.addU32(request, Nl.IFA_FLAGS, ifaFlags);
            }
        }, null);
    }

    /**
     * Lists every IPv4 and IPv6 address of the namespace, by one dump.
     *
     * <p>Equivalent to: {@code ip addr show}
     *
     * @return the addresses
     * @throws NetnsException if the kernel refuses or the dump stays inconsistent
     */
    public synchronized List<Addr> addresses() throws NetnsException {
        return dumpAddresses(0);
    }

    /**
     * Lists the addresses of one link.
     *
     * <p>Equivalent to: {@code ip addr show dev $link}
     *
     * @param link the link's name
     * @return its IPv4 and IPv6 addresses
     * @throws NetnsException {@code ENODEV} when there is no such link
     */
    public synchronized List<Addr> addresses(String link) throws NetnsException {
        return dumpAddresses(indexOf(link));
    }

    private List<Addr> dumpAddresses(int linkIndex) throws NetnsException {
        List<Addr> out = new ArrayList<>();
        socket.dump(() -> "RTM_GETADDR(dump)", Nl.RTM_GETADDR, Nl.NLM_F_DUMP, request -> {
            IfAddrMsg.put(request, Nl.AF_UNSPEC, 0, 0, 0, linkIndex); // strict kernels filter by index
        }, out::clear, (buf, msg, type) -> {
            if (type == Nl.RTM_NEWADDR) {
                Addr a = Decode.addr(buf, msg);
                if (a != null && (linkIndex == 0 || a.linkIndex() == linkIndex)) {
                    out.add(a);
                }
            }
        });
        return out;
    }

    // --------------------------------------------------------------------------------------------- routes

    /**
     * Adds a route to the main table: via a gateway, out of a device, or both. A route with a device and
     * no gateway gets link scope (IPv4), like {@code ip route add ... dev}.
     *
     * <p>Equivalent to: {@code ip route add $destination/$prefixLength [via $gateway] [dev $device]}
     *
     * @param destination the destination network; {@code 0.0.0.0}/{@code ::} with prefix 0 is the default
     *     route. Host bits must be zero (the kernel answers {@code EINVAL} otherwise)
     * @param prefixLength its prefix length
     * @param gateway the next hop, or null; same family as the destination
     * @param device the output link's name, or null; at least one of gateway and device is needed
     * @throws NetnsException {@code EEXIST} when the route exists, {@code ENETUNREACH} when the gateway is
     *     not reachable, {@code ENODEV}
     */
    public synchronized void addRoute(InetAddress destination, int prefixLength, InetAddress gateway,
            String device) throws NetnsException {
        route(Nl.RTM_NEWROUTE, Nl.NLM_F_CREATE | Nl.NLM_F_EXCL, destination, prefixLength, gateway, device);
    }

    /**
     * Adds the default route via a gateway, IPv4 or IPv6 after the gateway's family.
     *
     * <p>Equivalent to: {@code ip route add default via $gateway}
     *
     * @param gateway the next hop, reachable through an on-link prefix
     * @throws NetnsException {@code EEXIST} when a default route exists, {@code ENETUNREACH}
     */
    public synchronized void addDefaultRoute(InetAddress gateway) throws NetnsException {
        Objects.requireNonNull(gateway, "gateway");
        route(Nl.RTM_NEWROUTE, Nl.NLM_F_CREATE | Nl.NLM_F_EXCL, anyLocal(gateway), 0, gateway, null);
    }

    /**
     * Deletes a route from the main table; the arguments select it as in
     * {@link #addRoute(InetAddress, int, InetAddress, String)} (gateway and device may be null to match
     * any).
     *
     * <p>Equivalent to: {@code ip route del $destination/$prefixLength [via $gateway] [dev $device]}
     *
     * @param destination the destination network
     * @param prefixLength its prefix length
     * @param gateway the next hop, or null
     * @param device the output link's name, or null
     * @throws NetnsException {@code ESRCH} when no such route exists
     */
    public synchronized void deleteRoute(InetAddress destination, int prefixLength, InetAddress gateway,
            String device) throws NetnsException {
        route(Nl.RTM_DELROUTE, 0, destination, prefixLength, gateway, device);
    }

    private void route(int type, int flags, InetAddress destination, int prefixLength, InetAddress gateway,
            String device) throws NetnsException {
        Objects.requireNonNull(destination, "destination");
        int family = family(destination);
        checkPrefix(destination, prefixLength);
        if (gateway != null && family(gateway) != family) {
            throw new IllegalArgumentException("gateway " + gateway.getHostAddress() + " and destination "
                    + destination.getHostAddress() + " are of different families");
        }
        if (type == Nl.RTM_NEWROUTE && gateway == null && device == null) {
            throw new IllegalArgumentException("a route needs a gateway or a device: "
                    + destination.getHostAddress() + "/" + prefixLength);
        }
        int oif = device == null ? 0 : indexOf(device);
        int scope;
        if (type == Nl.RTM_DELROUTE) {
            scope = family == Nl.AF_INET ? RT_SCOPE_NOWHERE : Nl.RT_SCOPE_UNIVERSE;
        } else {
            scope = family == Nl.AF_INET && gateway == null ? Nl.RT_SCOPE_LINK : Nl.RT_SCOPE_UNIVERSE;
        }
        socket.execute(() -> Nl.messageTypeName(type) + "(" + (prefixLength == 0 ? "default"
                : destination.getHostAddress() + "/" + prefixLength)
                + (gateway == null ? "" : " via " + gateway.getHostAddress())
                + (device == null ? "" : " dev " + device) + ")", type, flags, request -> {
            RtMsg.put(request, family, prefixLength, 0, 0, Nl.RT_TABLE_MAIN,
                    type == Nl.RTM_DELROUTE ? 0 : Nl.RTPROT_BOOT, scope,
                    type == Nl.RTM_DELROUTE && family == Nl.AF_INET ? 0 : Nl.RTN_UNICAST, 0);
            if (prefixLength > 0) {
                RtAttr.addBytes(request, Nl.RTA_DST, destination.getAddress());
            }
            if (gateway != null) {
                RtAttr.addBytes(request, Nl.RTA_GATEWAY, gateway.getAddress());
            }
            if (oif != 0) {
                RtAttr.addU32(request, Nl.RTA_OIF, oif);
            }
        }, null);
    }

    /**
     * Lists the IPv4 and IPv6 routes of the main table, by one dump.
     *
     * <p>Equivalent to: {@code ip route show table main; ip -6 route show table main}
     *
     * @return the routes
     * @throws NetnsException if the kernel refuses or the dump stays inconsistent
     */
    public synchronized List<Route> routes() throws NetnsException {
        List<Route> out = new ArrayList<>();
        socket.dump(() -> "RTM_GETROUTE(dump)", Nl.RTM_GETROUTE, Nl.NLM_F_DUMP, request -> {
            RtMsg.put(request, Nl.AF_UNSPEC, 0, 0, 0, 0, 0, 0, 0, 0);
        }, out::clear, (buf, msg, type) -> {
            if (type == Nl.RTM_NEWROUTE) {
                Route r = Decode.route(buf, msg);
                if (r != null && r.table() == Nl.RT_TABLE_MAIN) {
                    out.add(r);
                }
            }
        });
        return out;
    }

    private static int family(InetAddress a) {
        if (a instanceof Inet4Address) {
            return Nl.AF_INET;
        }
        if (a instanceof Inet6Address) {
            return Nl.AF_INET6;
        }
        throw new IllegalArgumentException("not an IP address: " + a);
    }

    private static InetAddress anyLocal(InetAddress like) {
        try {
            return InetAddress.getByAddress(new byte[like.getAddress().length]);
        } catch (java.net.UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    private static void checkPrefix(InetAddress a, int prefixLength) {
        int max = a.getAddress().length * 8;
        if (prefixLength < 0 || prefixLength > max) {
            throw new IllegalArgumentException("prefix length must be 0.." + max + " for "
                    + a.getHostAddress() + ": " + prefixLength);
        }
    }

    /**
     * Checks a link name against the kernel's {@code dev_valid_name}.
     *
     * @param name the name
     * @throws IllegalArgumentException if the kernel would refuse it
     */
    static void checkName(String name) {
        Objects.requireNonNull(name, "link name");
        if (name.isEmpty() || name.length() >= IFNAMSIZ || name.equals(".") || name.equals("..")) {
            throw new IllegalArgumentException("link name must be 1.." + (IFNAMSIZ - 1)
                    + " characters, not . or ..: '" + name + "'");
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c <= ' ' || c >= 0x7f || c == '/' || c == ':') {
                throw new IllegalArgumentException("link name must not contain '/', ':', white space or"
                        + " non-ASCII characters: '" + name + "'");
            }
        }
    }

    /** Closes the socket; idempotent. Calls after this throw {@link IllegalStateException}. */
    @Override
    public void close() {
        socket.close();
    }

    @Override
    public String toString() {
        return socket.toString();
    }
}
