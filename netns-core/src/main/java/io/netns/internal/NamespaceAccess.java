package io.netns.internal;

import io.netns.NetNamespace;
import io.netns.NetnsException;
import io.netns.rtnl.RtnlClient;
import java.util.Objects;

/**
 * Internal use only: what {@code io.netns} and {@code io.netns.rtnl} need of each other without making it
 * public API, in the manner of the JDK's {@code SharedSecrets}. {@link NetNamespace} and
 * {@link RtnlClient} register their halves from their static initializers.
 */
public final class NamespaceAccess {
    /** The {@link NetNamespace} half. */
    public interface Namespaces {
        /**
         * Takes a reference on the handle's descriptor, so that it stays open until {@link #release}.
         *
         * @param ns the handle
         * @return its descriptor
         * @throws IllegalStateException if the handle is closed
         */
        int acquireFd(NetNamespace ns);

        /**
         * Gives back a reference taken by {@link #acquireFd}.
         *
         * @param ns the handle
         */
        void release(NetNamespace ns);
    }

    /** The {@link RtnlClient} half. */
    public interface Clients {
        /**
         * Makes a client of a {@code NETLINK_ROUTE} socket that was created inside a namespace by other
         * means (the thread that made the namespace), so no switch is needed. The client owns the socket,
         * also when this fails.
         *
         * @param socketFd the socket, not yet bound
         * @param where what to call its namespace in messages
         * @return the client
         * @throws NetnsException if the socket cannot be set up
         */
        RtnlClient adopt(int socketFd, String where) throws NetnsException;

        /**
         * Creates a veth pair in one message, its end in the client's namespace already enslaved to a
         * bridge and up, the peer (down) inside {@code peerNamespace}: what bridge mode needs, without the
         * two further requests {@code setMaster} and {@code setUp} would cost.
         *
         * @param client the client of the namespace that keeps {@code name}
         * @param name the end that stays, joined to the master and up
         * @param masterIndex the bridge's link index
         * @param mtu the MTU of both ends, or 0 for the default
         * @param peerName the peer's name inside {@code peerNamespace}
         * @param peerNamespace where the peer is created
         * @throws NetnsException e.g. {@code EEXIST} when either name is taken
         */
        void addWiredVeth(RtnlClient client, String name, int masterIndex, int mtu, String peerName,
                NetNamespace peerNamespace) throws NetnsException;
    }

    private static volatile Namespaces namespaces;
    private static volatile Clients clients;

    private NamespaceAccess() {
    }

    /** @param n the {@link NetNamespace} half; called once, by its static initializer */
    public static void register(Namespaces n) {
        namespaces = Objects.requireNonNull(n);
    }

    /** @param c the {@link RtnlClient} half; called once, by its static initializer */
    public static void register(Clients c) {
        clients = Objects.requireNonNull(c);
    }

    /** @return the {@link NetNamespace} half (initialized: the caller holds a NetNamespace) */
    public static Namespaces namespaces() {
        Namespaces n = namespaces;
        if (n == null) {
            initialize(NetNamespace.class);
            n = namespaces;
        }
        return n;
    }

    /** @return the {@link RtnlClient} half */
    public static Clients clients() {
        Clients c = clients;
        if (c == null) {
            initialize(RtnlClient.class);
            c = clients;
        }
        return c;
    }

    private static void initialize(Class<?> c) {
        try {
            Class.forName(c.getName(), true, c.getClassLoader());
        } catch (ClassNotFoundException e) {
            throw new IllegalStateException(e);
        }
    }
}
