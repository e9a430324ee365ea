package io.netns.planner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netns.Host;
import io.netns.rtnl.RtnlClient;
import io.netns.testing.Cmd;
import io.netns.testing.TestLab;
import java.net.BindException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Plans made by discovery on a lab host, checked against what {@code ip} and {@code ss} report for the same lab
 * and by really binding them there.
 */
class ForHostIT {
    @RegisterExtension
    final TestLab testLab = new TestLab("plit");

    @Test
    void discoveredPlanBindsAndTheReportedConflictReallyConflicts() throws Exception {
        try (Host lab = testLab.host()) {
            try (RtnlClient rtnl = RtnlClient.open(lab.namespace())) {
                rtnl.addBridge("eth0"); // this kernel may lack the dummy driver
                rtnl.addAddress("eth0", InetAddress.getByName("10.20.30.100"), 24);
                rtnl.addAddress("eth0", InetAddress.getByName("10.20.30.200"), 24);
                rtnl.setUp("eth0");
            }
            // web0 already holds 10.20.30.100:80 on the lab host.
            try (ServerSocket existing = lab.namespace().call(
                    () -> new ServerSocket(80, 5, InetAddress.getByName("10.20.30.100")))) {
                ListenerPlan plan = ListenerPlanner.forHost(lab)
                        .request(ListenRequest.tcp("web1", 80))
                        .request(ListenRequest.tcp("pinned", 80).require("10.20.30.100"))
                        .plan();
                assertEquals(Status.OK, plan.outcome("web1").status(), plan.outcome("web1").explanation());
                assertEquals("10.20.30.200", plan.bindings("web1").get(0).address().getAddress().getHostAddress());
                assertEquals(List.of("Listen 10.20.30.200:80"), plan.apacheListen("web1"));
                assertEquals(Status.ADDRESS_IN_USE, plan.outcome("pinned").status());
                assertTrue(plan.outcome("pinned").explanation().contains("10.20.30.100:80"),
                        plan.outcome("pinned").explanation());
                // The kernel agrees: the planned binding binds, the conflict does not.
                List<ServerSocket> bound = new ArrayList<>();
                try {
                    lab.namespace().run(() -> {
                        for (Binding b : plan.bindings("web1")) {
                            bound.add(new ServerSocket(b.address().getPort(), 5, b.address().getAddress()));
                        }
                        assertThrows(BindException.class,
                                () -> new ServerSocket(80, 5, InetAddress.getByName("10.20.30.100")).close());
                    });
                } finally {
                    for (ServerSocket s : bound) {
                        s.close();
                    }
                }
                assertFalse(bound.isEmpty());
            }
        }
    }

    /**
     * Discovery reads the lab itself: interface names that the main namespace does not have, IPv4 and IPv6
     * addresses (a tentative one left out), sockets with their real v6only, sysctls set only there. The planner it
     * fills must equal one built from {@code ip -o addr}, {@code ss -Htuane} and {@code sysctl} of the same lab.
     */
    @Test
    void forHostEqualsAPlanFromIpAndSsOfTheSameLab() throws Exception {
        try (Host lab = testLab.host()) {
            String ns = testLab.name("lab");
            String uplink = "pl" + (ProcessHandle.current().pid() % 100000) + "up"; // not a name of the main stack
            try (RtnlClient rtnl = RtnlClient.open(lab.namespace())) {
                rtnl.addBridge(uplink);
                rtnl.addAddress(uplink, InetAddress.getByName("10.20.30.100"), 24);
                rtnl.addAddress(uplink, InetAddress.getByName("10.20.30.200"), 24);
                rtnl.setUp(uplink);
                rtnl.setUp("lo");
            }
            Cmd.run("ip", "-n", ns, "addr", "add", "2001:db8::100/64", "dev", uplink, "nodad");
            // a bridge without ports has no carrier, so DAD never ends: this one stays tentative
            Cmd.run("ip", "-n", ns, "addr", "add", "2001:db8::200/64", "dev", uplink);
            Cmd.in(ns, "sysctl", "-qw", "net.ipv4.ip_local_port_range=40000 50000");
            Cmd.in(ns, "sysctl", "-qw", "net.ipv4.ip_unprivileged_port_start=500");
            try (ServerSocket web0 = lab.namespace().call(
                    () -> new ServerSocket(80, 5, InetAddress.getByName("10.20.30.100")));
                    ServerSocket dual = lab.namespace().call(() -> new ServerSocket(8080)); // [::]:8080 v6only=0
                    DatagramSocket dns = lab.namespace().call(
                            () -> new DatagramSocket(new InetSocketAddress("10.20.30.200", 53)))) {
                ListenerPlanner discovered = ListenerPlanner.forHost(lab);
                ListenerPlanner fromTools = fromIpAndSs(ns);
                assertEquals(fromTools.inputs(), discovered.inputs());
                assertTrue(discovered.inputs().contains("host 2001:db8::100 [" + uplink + "]"), discovered.inputs());
                assertFalse(discovered.inputs().contains("2001:db8::200"), "tentative: " + discovered.inputs());
                assertTrue(discovered.inputs().contains("existing tcp6 LISTEN [::]:8080 v6only=0"),
                        discovered.inputs());
                List<ListenRequest> requests = List.of(ListenRequest.tcp("web1", 80),
                        ListenRequest.tcp("web2", 80).require("10.20.30.100"), ListenRequest.tcp("alt", 8080),
                        ListenRequest.udp("dns", 53).require("10.20.30.200"), ListenRequest.tcp("auto"),
                        ListenRequest.tcp("eph", 40000, 40010), ListenRequest.tcp("low", 450).capNetBindService(false),
                        ListenRequest.tcp("v6", 80).require("2001:db8::100"));
                ListenerPlan a = discovered.requests(requests).plan();
                ListenerPlan b = fromTools.requests(requests).plan();
                for (ListenRequest r : requests) {
                    Outcome x = a.outcome(r.name);
                    Outcome y = b.outcome(r.name);
                    assertEquals(y.status() + " " + y.warnings() + " " + y.bindings(),
                            x.status() + " " + x.warnings() + " " + x.bindings(), x.explanation());
                }
                assertEquals(Status.ADDRESS_IN_USE, a.outcome("alt").status());
                assertFalse(a.outcome("alt").warnings().contains(Warning.V6ONLY_ASSUMED), "v6only was read");
                assertEquals(Status.PRIVILEGED_PORT, a.outcome("low").status());
                assertTrue(a.outcome("eph").warnings().contains(Warning.EPHEMERAL_RANGE));
                // the holder is named, as ss -p would
                long pid = ProcessHandle.current().pid();
                assertTrue(a.outcome("web2").explanation().contains(", pid " + pid + ")")
                        || a.outcome("web2").explanation().contains(", pid " + pid + ":"),
                        a.outcome("web2").explanation());
            }
        }
    }

    /** The same lab read with iproute2: {@code ip -o addr show}, {@code ss -Htuane}, {@code sysctl -n}. */
    static ListenerPlanner fromIpAndSs(String ns) {
        ListenerPlanner p = ListenerPlanner.create();
        for (String line : Cmd.run("ip", "-n", ns, "-o", "addr", "show").split("\n")) {
            String[] f = line.trim().split("\\s+");
            if (f.length < 4 || !f[0].endsWith(":") || line.contains(" tentative") || line.contains(" dadfailed")) {
                continue;
            }
            String iface = f[1];
            String addr = f[3].substring(0, f[3].indexOf('/'));
            p.hostAddress(iface, addr);
        }
        for (String line : Cmd.run("ss", "-N", ns, "-Htuane").split("\n")) {
            String[] f = line.trim().split("\\s+");
            if (f.length < 6 || !(f[0].equals("tcp") || f[0].equals("udp"))) {
                continue;
            }
            String local = f[4];
            int colon = local.lastIndexOf(':');
            String host = local.substring(0, colon);
            String port = local.substring(colon + 1);
            if (port.equals("0") || port.equals("*")) {
                continue;
            }
            String v6only = null;
            String uid = null;
            boolean inode = false;
            for (int i = 6; i < f.length; i++) {
                if (f[i].startsWith("v6only:")) {
                    v6only = f[i].substring(7);
                } else if (f[i].startsWith("uid:")) {
                    uid = f[i].substring(4);
                } else if (f[i].startsWith("ino:") && !f[i].equals("ino:0")) {
                    inode = true;
                }
            }
            boolean six = host.startsWith("[") || host.equals("*");
            String addr = host.equals("*") ? "[::]" : host.replaceFirst("%.*\\]$", "]");
            StringBuilder n = new StringBuilder(f[0]).append(six ? "6" : "");
            if (f[0].equals("tcp")) {
                String st = f[1].toUpperCase(Locale.ROOT).replace('-', '_');
                n.append(' ').append(st.equals("ESTAB") ? "ESTABLISHED" : st.equals("SYN_RECV") ? "SYN_RECV"
                        : st.equals("UNCONN") ? "CLOSE" : st);
            }
            n.append(' ').append(addr).append(':').append(port);
            if (addr.equals("[::]")) {
                n.append(" v6only=").append(v6only == null ? "?" : v6only);
            }
            if (inode) {
                n.append(" uid=").append(uid == null ? "0" : uid); // ss leaves out uid 0
            }
            p.existing(n.toString());
        }
        KernelPorts k = KernelPorts.defaults();
        String[] range = Cmd.in(ns, "sysctl", "-n", "net.ipv4.ip_local_port_range").trim().split("\\s+");
        k = k.ephemeralRange(Integer.parseInt(range[0]), Integer.parseInt(range[1]))
                .unprivilegedPortStart(Integer.parseInt(
                        Cmd.in(ns, "sysctl", "-n", "net.ipv4.ip_unprivileged_port_start").trim()))
                .reserved(Cmd.in(ns, "sysctl", "-n", "net.ipv4.ip_local_reserved_ports").trim())
                .nonlocalBind(!Cmd.in(ns, "sysctl", "-n", "net.ipv4.ip_nonlocal_bind").trim().equals("0"),
                        !Cmd.in(ns, "sysctl", "-n", "net.ipv6.ip_nonlocal_bind").trim().equals("0"))
                .bindV6only(!Cmd.in(ns, "sysctl", "-n", "net.ipv6.bindv6only").trim().equals("0"));
        return p.kernel(k);
    }
}
