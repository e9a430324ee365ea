package io.netns.iptables;

import io.netns.BridgeMode;
import io.netns.Host;
import io.netns.NetNamespace;
import io.netns.NetworkMode;
import io.netns.Sandbox;
import java.util.Arrays;

/**
 * Run by {@link DualStackCrashIT} in a child JVM: on the host whose namespace is {@code args[0]}, makes the
 * dual-stack bridge sandbox {@code args[1]} on network {@code args[2]} publishing each of the Docker
 * {@code -p} texts {@code args[3..]}, prints {@code published <ports>} and {@code READY}, then waits to be
 * killed.
 */
public final class SpecChild {
    private SpecChild() {
    }

    public static void main(String[] args) throws Exception {
        Host host = Host.of(NetNamespace.open(args[0]));
        BridgeMode mode = NetworkMode.bridge().name(args[2]).ipv6();
        for (String spec : Arrays.asList(args).subList(3, args.length)) {
            mode = mode.publish(spec);
        }
        Sandbox s = host.create(args[1], mode);
        System.out.println("published " + s.published());
        System.out.println("READY");
        System.out.flush();
        Thread.sleep(Long.MAX_VALUE);
    }
}
