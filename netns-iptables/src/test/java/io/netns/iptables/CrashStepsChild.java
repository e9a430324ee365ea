package io.netns.iptables;

import io.netns.Host;
import io.netns.NetNamespace;
import io.netns.NetworkMode;
import io.netns.Sandbox;

/**
 * Run by {@link CrashStepsIT} in a child JVM with {@code -Dio.netns.test.haltAfterStep=N}: makes one bridge
 * sandbox publishing a port on the host whose namespace is {@code lab}, closes it, and prints {@code DONE}
 * unless the step hook halted the JVM first.
 */
public final class CrashStepsChild {
    private CrashStepsChild() {
    }

    public static void main(String[] args) throws Exception {
        Host host = Host.of(NetNamespace.open(args[0]));
        Sandbox s = host.create(args[1], NetworkMode.bridge().publish(Integer.parseInt(args[2]), 80));
        s.close();
        System.out.println("DONE");
        System.out.flush();
        Runtime.getRuntime().halt(0); // the host is not closed: the network is the test's
    }
}
