package io.netns.iptables;

import io.netns.Host;
import io.netns.NetNamespace;
import io.netns.NetworkMode;
import io.netns.Sandbox;

/**
 * Run by {@link CrashReclaimIT} in a child JVM: makes {@code count} bridge sandboxes named
 * {@code <prefix><i>}, each publishing host port {@code portBase + i}, on the host whose namespace is
 * {@code lab}, prints {@code ip <name> <address>} per sandbox and {@code READY}, then waits to be killed.
 */
public final class CrashChild {
    private CrashChild() {
    }

    public static void main(String[] args) throws Exception {
        String lab = args[0];
        String prefix = args[1];
        int count = Integer.parseInt(args[2]);
        int portBase = Integer.parseInt(args[3]);
        Host host = Host.of(NetNamespace.open(lab));
        for (int i = 0; i < count; i++) {
            Sandbox s = host.create(prefix + i, NetworkMode.bridge().publish(portBase + i, 80));
            System.out.println("ip " + s.name() + " " + s.addresses().get(0).getHostAddress());
        }
        System.out.println("READY");
        System.out.flush();
        Thread.sleep(Long.MAX_VALUE);
    }
}
