package io.netns.reliability;

import io.netns.Host;
import io.netns.NetNamespace;
import io.netns.NetworkMode;
import io.netns.Sandbox;
import java.nio.file.Path;

/**
 * Run by {@link CniRestartIT}: makes a cni sandbox on an existing lab host, prints its address and result,
 * then ends without closing anything: {@code exit} halts the JVM at once, {@code wait} waits to be killed.
 */
public final class CniChild {
    private CniChild() {
    }

    /** @param args lab name, sandbox name, network, configuration directory, plugin directory, exit|wait */
    public static void main(String[] args) throws Exception {
        Host lab = Host.of(NetNamespace.open(args[0]));
        Sandbox s = lab.create(args[1], NetworkMode.cni(args[2]).confDir(Path.of(args[3])).pluginDirs(Path.of(args[4]))
                .publish(18081, 80));
        System.out.println("ip " + s.addresses().get(0).getHostAddress());
        System.out.println("result " + s.cniResult().orElseThrow().json());
        System.out.println("READY");
        System.out.flush();
        if (args[5].equals("exit")) {
            Runtime.getRuntime().halt(0); // no close(), no shutdown hook: as a crash or a kill -9 leaves it
        }
        Thread.sleep(600_000);
    }
}
