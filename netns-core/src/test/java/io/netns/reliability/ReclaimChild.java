package io.netns.reliability;

import io.netns.Host;
import io.netns.NetNamespace;
import io.netns.NetnsException;
import io.netns.NetworkMode;

/**
 * Run by {@link ReclaimIT} in a child JVM: on the host whose namespace is {@code args[0]}, makes sandboxes
 * {@code args[1]0 .. args[1](n-1)} ({@code none} mode, {@code n = args[2]}), prints {@code MADE}, and dies
 * without closing anything. Prints {@code REFUSED <message>} when making the first one fails.
 */
public final class ReclaimChild {
    private ReclaimChild() {
    }

    public static void main(String[] args) throws Exception {
        Host host = Host.of(NetNamespace.open(args[0]));
        int n = Integer.parseInt(args[2]);
        for (int i = 0; i < n; i++) {
            try {
                host.create(args[1] + i, NetworkMode.none());
            } catch (NetnsException e) {
                System.out.println("REFUSED " + e.getMessage());
                System.out.flush();
                Runtime.getRuntime().halt(3);
            }
        }
        System.out.println("MADE");
        System.out.flush();
        Runtime.getRuntime().halt(0); // a crash: nothing closed
    }
}
