package io.netns;

import java.net.InetAddress;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;
import java.util.ServiceLoader;
import java.util.Set;

/**
 * The service provider interface bridge mode and host-mode openings call to change the host's firewall.
 * {@code io.netns:netns-iptables} implements it; it is found with {@link ServiceLoader}.
 *
 * <p>Implementations keep their rules in chains of their own, jumped to once from the built-in chains,
 * tag every rule with its {@link Owner}, apply each change atomically, never change a built-in policy and
 * never touch a rule they did not tag. Every method acts in the stack of {@code host}, a namespace
 * handle: the real host's, or a lab host's.
 */
public interface Firewall {
    /** The Maven coordinates of the implementation netns ships. */
    String ARTIFACT = "io.netns:netns-iptables";

    /**
     * Who a rule belongs to: a sandbox, or a bridge network shared by sandboxes, on one host.
     *
     * @param host the {@link Host#id()} of the host
     * @param kind {@code sandbox} or {@code network}
     * @param name the sandbox or network name
     */
    record Owner(String host, String kind, String name) {
        /**
         * @param host the host id
         * @param sandbox the sandbox name
         * @return the owner of a sandbox's rules
         */
        public static Owner sandbox(String host, String sandbox) {
            return new Owner(host, "sandbox", sandbox);
        }

        /**
         * @param host the host id
         * @param network the bridge network name
         * @return the owner of a bridge network's shared rules
         */
        public static Owner network(String host, String network) {
            return new Owner(host, "network", network);
        }

        /** @return the tag written into every rule's comment: {@code netns:host/kind/name} */
        public String tag() {
            return "netns:" + host + "/" + kind + "/" + name;
        }

        /**
         * @param tag a tag as {@link #tag()} writes it
         * @return the owner, or null when the text is not a netns tag
         */
        public static Owner parse(String tag) {
            if (tag == null || !tag.startsWith("netns:")) {
                return null;
            }
            String[] p = tag.substring(6).split("/", -1);
            return p.length == 3 ? new Owner(p[0], p[1], p[2]) : null;
        }
    }

    /**
     * Lets a bridge network's sandboxes reach out and be forwarded: MASQUERADE for traffic from
     * {@code subnet} leaving it, and ACCEPT for forwarded traffic of the bridge from or to {@code subnet}
     * even when the FORWARD policy is DROP; and isolates it: traffic forwarded between it and another
     * network's bridge is dropped, unless it is the reply or the DNAT of a published port, or the two are
     * {@linkplain #connect connected}. Nothing it writes matches traffic of other interfaces or
     * addresses. Idempotent: made once per network.
     *
     * @param host the host's namespace
     * @param owner the network's owner
     * @param bridge the bridge interface
     * @param subnet the network's subnet, e.g. {@code 10.89.0.0/24}
     * @throws NetnsException if the change cannot be applied; nothing of it is left
     */
    void addNetwork(NetNamespace host, Owner owner, String bridge, String subnet) throws NetnsException;

    /**
     * {@link #addNetwork(NetNamespace, Owner, String, String)} with the outbound masquerade chosen. With
     * {@code masquerade} false, traffic from {@code subnet} leaving the host through another interface keeps
     * the sandboxes' own source addresses (the network is routed: the next hop must route {@code subnet}
     * back to the host), like Docker's {@code com.docker.network.bridge.enable_ip_masquerade=false}; the
     * rest (forwarding accepts, isolation, the masquerade of hairpin traffic to published ports) is the
     * same. Bridge mode passes false for an IPv6 subnet whose NAT66 is off
     * ({@code BridgeMode.nat66(false)}). A network's masquerade is what its last call asked for: the rules
     * of the other choice are replaced.
     *
     * <p>The default implementation calls {@link #addNetwork(NetNamespace, Owner, String, String)} when
     * {@code masquerade} is true and refuses otherwise; an implementation that can route a network
     * without NAT overrides it.
     *
     * @param host the host's namespace
     * @param owner the network's owner
     * @param bridge the bridge interface
     * @param subnet the network's subnet of one family, e.g. {@code 10.89.0.0/24} or {@code fd89:0:0:1::/64}
     * @param masquerade whether traffic of {@code subnet} leaving the host is masqueraded (NAT66 for IPv6)
     * @throws NetnsException if the change cannot be applied; nothing of it is left
     * @since 0.2.0
     */
    default void addNetwork(NetNamespace host, Owner owner, String bridge, String subnet, boolean masquerade)
            throws NetnsException {
        if (!masquerade) {
            throw NetnsException.failure("firewall", getClass().getName() + " cannot make a bridge network without "
                    + "masquerade (" + subnet + ")");
        }
        addNetwork(host, owner, bridge, subnet);
    }

    /**
     * Connects two bridge networks of a host, both ways: forwarded traffic between {@code bridge} and
     * {@code other} passes the isolation that {@link #addNetwork} puts between networks. Tagged with
     * {@code owner} (the network of {@code bridge}), so it goes when that network's rules are removed.
     * Idempotent. In IPv4, and in IPv6 when {@link #addNetwork} made an IPv6 part of the network of
     * {@code bridge} before. The default implementation refuses: an implementation
     * that isolates networks must implement it.
     *
     * @param host the host's namespace
     * @param owner the owner of {@code bridge}'s network
     * @param bridge the bridge interface of the network
     * @param other the bridge interface of the network it is connected to
     * @throws NetnsException if the change cannot be applied; nothing of it is left
     * @since 0.1.0
     */
    default void connect(NetNamespace host, Owner owner, String bridge, String other) throws NetnsException {
        throw NetnsException.failure("firewall", getClass().getName() + " cannot connect bridge networks");
    }

    /**
     * Publishes ports of a bridge sandbox: DNAT from the host's addresses (and from 127.0.0.1 on the
     * host), and hairpin traffic from the sandboxes of the same bridge, in one atomic change.
     * Shorthand for {@link #publish(NetNamespace, Owner, String, List, List)} with one address.
     *
     * @param host the host's namespace
     * @param owner the sandbox
     * @param bridge its bridge interface
     * @param sandboxIp its address
     * @param ports the ports
     * @throws NetnsException if a host port is already published or the change fails; nothing is left
     */
    default void publish(NetNamespace host, Owner owner, String bridge, InetAddress sandboxIp, List<PublishedPort> ports)
            throws NetnsException {
        publish(host, owner, bridge, List.of(Objects.requireNonNull(sandboxIp, "sandboxIp")), ports);
    }

    /**
     * Publishes ports of a bridge sandbox that has an address of each of its network's families: DNAT
     * from the host's addresses of each family to the sandbox's address of that family (and from the host
     * itself), and hairpin traffic from the sandboxes of the same bridge, in one atomic change. A port
     * whose {@link PublishedPort#hostIp() hostIp} is given is published only in that address's family; one
     * without is published in every family of {@code sandboxIps}.
     *
     * @param host the host's namespace
     * @param owner the sandbox
     * @param bridge its bridge interface
     * @param sandboxIps its addresses, at most one per family (IPv4 first when both)
     * @param ports the ports; a port whose host port is a choice is given a free host port: a host range
     *     for one container port the first free port of its range, host port 0 ({@code 0..0}, one container
     *     port) a free port of the host's ephemeral range ({@code net.ipv4.ip_local_port_range}); never a
     *     port another port of {@code ports} publishes
     * @return the ports as published: the same as {@code ports}, with every host-port choice made
     * @throws NetnsException if a host port is already published or the change fails; nothing is left
     * @since 0.2.0
     */
    List<PublishedPort> publish(NetNamespace host, Owner owner, String bridge, List<InetAddress> sandboxIps,
            List<PublishedPort> ports) throws NetnsException;

    /**
     * Opens host-mode ports in the host's INPUT, exactly these (protocol, address, port).
     *
     * @param host the host's namespace
     * @param owner the sandbox
     * @param openings the openings
     * @throws NetnsException if the change fails; nothing is left
     */
    void expose(NetNamespace host, Owner owner, List<Exposure> openings) throws NetnsException;

    /**
     * Removes every rule tagged with {@code owner}, in one atomic change; rules of others stay.
     *
     * @param host the host's namespace
     * @param owner the owner
     * @throws NetnsException if the change fails
     */
    void remove(NetNamespace host, Owner owner) throws NetnsException;

    /**
     * @param host the host's namespace
     * @return every owner that has a tagged rule there
     * @throws NetnsException if the rules cannot be read
     */
    Set<Owner> owners(NetNamespace host) throws NetnsException;

    /**
     * What a live bridge network or sandbox of a host needs in the firewall: the input of
     * {@link #reconcile}. Each kind mirrors the call that first made it.
     */
    sealed interface Need {
        /** @return whose rules these are */
        Owner owner();

        /**
         * The rules of {@link #addNetwork(NetNamespace, Owner, String, String, boolean)}: one per subnet (a
         * dual-stack network has two).
         *
         * @param owner the network
         * @param bridge its bridge
         * @param subnet its subnet of one family
         * @param masquerade whether traffic of {@code subnet} leaving the host is masqueraded
         */
        record Network(Owner owner, String bridge, String subnet, boolean masquerade) implements Need {
            /**
             * A network whose outbound traffic is masqueraded.
             *
             * @param owner the network
             * @param bridge its bridge
             * @param subnet its subnet
             */
            public Network(Owner owner, String bridge, String subnet) {
                this(owner, bridge, subnet, true);
            }
        }

        /**
         * The rules of {@link #connect}.
         *
         * @param owner the network of {@code bridge}
         * @param bridge its bridge
         * @param other the bridge of the network it is connected to
         */
        record Connection(Owner owner, String bridge, String other) implements Need {
        }

        /**
         * The rules of {@link #publish} (and the {@code route_localnet} guard and sysctl they may need).
         *
         * @param owner the sandbox
         * @param bridge its bridge
         * @param sandboxIps its addresses, at most one per family
         * @param ports its ports as published (every host-port choice made)
         */
        record Publication(Owner owner, String bridge, List<InetAddress> sandboxIps, List<PublishedPort> ports)
                implements Need {
            /**
             * Copies the addresses and ports.
             *
             * @param owner the sandbox
             * @param bridge its bridge
             * @param sandboxIps its addresses, at most one per family
             * @param ports its ports as published
             */
            public Publication {
                sandboxIps = List.copyOf(sandboxIps);
                ports = List.copyOf(ports);
            }

            /**
             * One address.
             *
             * @param owner the sandbox
             * @param bridge its bridge
             * @param sandboxIp its address
             * @param ports its ports as published
             */
            public Publication(Owner owner, String bridge, InetAddress sandboxIp, List<PublishedPort> ports) {
                this(owner, bridge, List.of(sandboxIp), ports);
            }
        }

        /**
         * The rules of {@link #expose}.
         *
         * @param owner the sandbox
         * @param openings its openings
         */
        record Opening(Owner owner, List<Exposure> openings) implements Need {
            /**
             * Copies the openings.
             *
             * @param owner the sandbox
             * @param openings its openings
             */
            public Opening {
                openings = List.copyOf(openings);
            }
        }
    }

    /**
     * Makes the host's firewall hold again what {@code needs} describe: every chain, jump, rule, guard and
     * sysctl among them that is missing (after {@code nft flush ruleset}, {@code iptables -F},
     * {@code iptables -X}, a firewalld reload) is made again, and rules of those owners that differ from
     * what they need are replaced. Rules of owners not in {@code needs} are left alone. Idempotent: a
     * second call with the same needs changes nothing and returns an empty list.
     *
     * @param host the host's namespace
     * @param needs what the live networks and sandboxes need
     * @return what it changed, one line per change (e.g. {@code iptables: -A NETNS-FORWARD ...}), in order
     * @throws NetnsException if the firewall cannot be read or a change fails
     * @since 0.1.0
     */
    default List<String> reconcile(NetNamespace host, List<Need> needs) throws NetnsException {
        throw NetnsException.failure("firewall", getClass().getName() + " cannot reconcile");
    }

    /**
     * Finds the implementation on the class path: beside netns-core (found once, then the same instance),
     * else through the thread's context class loader.
     *
     * @return it
     * @throws NetnsException naming {@value #ARTIFACT} when there is none
     */
    static Firewall load() throws NetnsException {
        Firewall own = FirewallLookup.own();
        if (own != null) {
            return own;
        }
        Iterator<Firewall> it = ServiceLoader.load(Firewall.class).iterator();
        if (!it.hasNext()) {
            throw NetnsException.failure("firewall", "publishing ports and host-mode openings need a Firewall "
                    + "implementation: add " + ARTIFACT + " to the class path");
        }
        return it.next();
    }
}
