package io.netns.reliability;

import io.netns.Host;
import io.netns.NetNamespace;
import io.netns.NetworkMode;
import io.netns.Sandbox;
import io.netns.internal.Inet;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;

/**
 * Run by {@link DualStackLeaseIT} in a child JVM: on the host whose namespace is {@code args[0]}, prints
 * {@code READY}, waits for a line on stdin, then makes dual-stack bridge sandboxes {@code args[1]0 ..
 * args[1](n-1)} on network {@code args[3]} ({@code n = args[2]}), printing {@code ADDR <name> <ip> ...} for
 * each, then {@code MADE}, and dies without closing anything (a crash).
 */
public final class DualStackChild {
    private DualStackChild() {
    }

    public static void main(String[] args) throws Exception {
        Host host = Host.of(NetNamespace.open(args[0]));
        int n = Integer.parseInt(args[2]);
        System.out.println("READY");
        System.out.flush();
        new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
        for (int i = 0; i < n; i++) {
            Sandbox s = host.create(args[1] + i, NetworkMode.bridge().name(args[3]).ipv6());
            StringBuilder line = new StringBuilder("ADDR ").append(s.name());
            for (InetAddress a : s.addresses()) {
                line.append(' ').append(Inet.toText(a));
            }
            System.out.println(line);
        }
        System.out.println("MADE");
        System.out.flush();
        Runtime.getRuntime().halt(0); // a crash: nothing closed
    }
}
