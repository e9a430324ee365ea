package io.netns.rtnl;

import io.netns.NetNamespace;
import io.netns.NetnsException;

/**
 * The per-namespace network sysctls, under their old name.
 *
 * @deprecated sysctls are not rtnetlink: use {@link io.netns.Sysctl}, which this delegates to and which
 *     behaves the same. Kept for compatibility; to be removed in a later major version.
 */
@Deprecated
public final class Sysctl {
    private Sysctl() {
    }

    /**
     * Reads a sysctl of {@code ns}.
     *
     * @param ns the namespace
     * @param key e.g. {@code net.ipv4.ip_forward}
     * @return the value, without the trailing newline
     * @throws NetnsException if it cannot be read
     * @deprecated use {@link io.netns.Sysctl#read(NetNamespace, String)}
     */
    @Deprecated
    public static String read(NetNamespace ns, String key) throws NetnsException {
        return io.netns.Sysctl.read(ns, key);
    }

    /**
     * Writes a sysctl of {@code ns}.
     *
     * @param ns the namespace
     * @param key e.g. {@code net.ipv4.ip_forward}
     * @param value printable ASCII
     * @throws NetnsException if it cannot be written
     * @deprecated use {@link io.netns.Sysctl#write(NetNamespace, String, String)}
     */
    @Deprecated
    public static void write(NetNamespace ns, String key, String value) throws NetnsException {
        io.netns.Sysctl.write(ns, key, value);
    }
}
