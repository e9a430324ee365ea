package io.netns;

import java.nio.file.Path;

/**
 * How a {@link Sandbox} is networked: Docker's four modes as immutable values. Like {@code java.time},
 * every fluent method returns a new value; there is no {@code build()} step, and invalid values fail at
 * the call with {@link IllegalArgumentException} naming the value and the rule.
 *
 * <pre>{@code
 * NetworkMode.none()                                          // loopback only, up
 * NetworkMode.host()                                          // share the host's stack
 * NetworkMode.host().expose(new InetSocketAddress("10.20.30.100", 80))   // + a firewall opening while it lives
 * NetworkMode.bridge()                                        // default bridge network of the host
 * NetworkMode.bridge().name("nsbr1").subnet("10.89.9.0/28")   // a named bridge network
 * NetworkMode.bridge().publish(8080, 80)                      // like docker run -p 8080:80
 * NetworkMode.bridge().publish("127.0.0.1:8080:80/udp")       // docker run -p text, parsed as Docker does
 * NetworkMode.container("web1")                               // join web1's stack
 * NetworkMode.cni("mynet")                                    // the plugins of a CNI network connect it
 * }</pre>
 */
public sealed interface NetworkMode permits HostMode, BridgeMode, ContainerMode, NoneMode, CniMode {
    /**
     * @return the mode's name as Docker spells it: {@code host}, {@code bridge}, {@code container}, {@code none};
     *     and {@code cni}
     */
    String kind();

    /** @return {@code none}: a fresh namespace with only {@code lo}, up */
    static NoneMode none() {
        return NoneMode.INSTANCE;
    }

    /** @return {@code host}: the host's own stack, with no firewall openings */
    static HostMode host() {
        return HostMode.DEFAULT;
    }

    /**
     * @return {@code bridge}: own namespace, veth into the host's bridge network {@value BridgeMode#DEFAULT_NAME}
     *     on {@value BridgeMode#DEFAULT_SUBNET}, an address from it, a default route via its gateway
     */
    static BridgeMode bridge() {
        return BridgeMode.DEFAULT;
    }

    /**
     * @param sandboxName a sandbox of the same {@link Host}
     * @return {@code container:<name>}: join that sandbox's stack
     */
    static ContainerMode container(String sandboxName) {
        return ContainerMode.ofName(sandboxName);
    }

    /**
     * @param sandbox a live sandbox
     * @return join that sandbox's stack
     */
    static ContainerMode container(Sandbox sandbox) {
        return ContainerMode.ofSandbox(sandbox);
    }

    /**
     * @param pid a process
     * @return join the stack of that process's network namespace
     */
    static ContainerMode container(long pid) {
        return ContainerMode.ofPid(pid);
    }

    /**
     * @param namespaceFile a namespace file, e.g. {@code /run/netns/x} or {@code /proc/42/ns/net}
     * @return join the stack of that namespace
     */
    static ContainerMode container(Path namespaceFile) {
        return ContainerMode.ofPath(namespaceFile);
    }

    /**
     * A CNI network: a new namespace connected by the plugins of the network configuration list named
     * {@code networkName}, looked up in {@link CniMode#DEFAULT_CONF_DIR} unless {@link CniMode#confDir(Path)}
     * says otherwise, with plugins from {@link CniMode#DEFAULT_PLUGIN_DIRS} unless
     * {@link CniMode#pluginDirs(Path...)} says otherwise. See {@link CniMode}.
     *
     * @param networkName the {@code name} of the configuration, e.g. {@code mynet}
     * @return the mode
     * @throws IllegalArgumentException if the name breaks the spec's rule for network names
     */
    static CniMode cni(String networkName) {
        return CniMode.ofName(networkName);
    }

    /**
     * A CNI network from one configuration file: a {@code .conflist}, or a single-plugin {@code .conf} or
     * {@code .json} (read as a list of one, as libcni does). See {@link CniMode}.
     *
     * @param conflist the file, read at create
     * @return the mode
     */
    static CniMode cni(Path conflist) {
        return CniMode.ofFile(conflist);
    }
}
