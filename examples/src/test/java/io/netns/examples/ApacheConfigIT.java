package io.netns.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netns.Host;
import io.netns.NetworkMode;
import io.netns.Sandbox;
import io.netns.junit.NetnsTest;
import io.netns.planner.ListenRequest;
import io.netns.planner.ListenerPlan;
import io.netns.planner.ListenerPlanner;
import io.netns.planner.Status;
import io.netns.rtnl.RtnlClient;
import io.netns.testing.Cmd;
import io.netns.testing.Privileged;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The planner's reading of an httpd configuration agrees with what a real httpd binds: the same Apache, started
 * in a lab host's namespace, is read once from its configuration ({@code existingFromApacheConfig}) and once
 * from the running lab ({@code forHost}, sock_diag), and {@code ss} in the lab is the third witness.
 */
@NetnsTest
class ApacheConfigIT {

    @Test
    void listen80IsOneDualStackSocketAsTheConfigurationReaderSays() throws Exception {
        Privileged.requireThat(WebServers.apacheInstalled(), WebServers.APACHE + " (scripts/setup.sh installs apache2)");
        String name = "acit" + ProcessHandle.current().pid();
        try (Host lab = Host.createLab(name + "-host"); WebServers apache = WebServers.apache()) {
            try (RtnlClient rtnl = RtnlClient.open(lab.namespace())) {
                rtnl.addBridge("acup0");
                rtnl.addAddress("acup0", InetAddress.getByName("10.20.30.100"), 24);
                rtnl.addAddress("acup0", InetAddress.getByName("10.20.30.200"), 24);
                rtnl.setUp("acup0");
                rtnl.setUp("lo");
            }
            // a global IPv6 address, so httpd's getaddrinfo(AI_ADDRCONFIG) returns :: too
            Cmd.run("ip", "-n", name + "-host", "addr", "add", "2001:db8::100/64", "dev", "acup0", "nodad");
            try (Sandbox web1 = lab.create(name + "-web1", NetworkMode.host())) {
                WebServers.Started up = apache.start(web1, new InetSocketAddress(80), "web1");
                assertTrue(up.up, up.detail);
                Path conf;
                try (Stream<Path> files = Files.walk(apache.workDir())) {
                    conf = files.filter(f -> f.getFileName().toString().equals("httpd.conf")).findFirst()
                            .orElseThrow();
                }
                ListenerPlanner configured = ListenerPlanner.create().existingFromApacheConfig("web1", conf);
                ListenerPlanner running = ListenerPlanner.forHost(lab);
                assertEquals(List.of("tcp6 LISTEN [::]:80 v6only=0"), port80(configured));
                assertEquals(port80(configured), port80(running));
                // ss in the lab, the independent witness: one socket, *:80, v6only:0
                String ss = Cmd.run("ss", "-N", name + "-host", "-Hltne", "sport = :80");
                assertEquals(1, ss.lines().count(), ss);
                assertTrue(ss.contains("*:80") && ss.contains("v6only:0"), ss);
                // and the plan from the configuration says what the kernel says about a second Listen 80
                ListenerPlan plan = configured.hostAddress("acup0", "10.20.30.100").hostAddress("acup0", "10.20.30.200")
                        .request(ListenRequest.tcp("web2", 80).allInterfaces()).plan();
                assertEquals(Status.ADDRESS_IN_USE, plan.outcome("web2").status());
                WebServers.Started second = apache.start(lab.create(name + "-web2", NetworkMode.host()),
                        new InetSocketAddress(80), "web2");
                assertTrue(!second.up && second.detail.contains("AH00072"), second.detail);
                assertTrue(plan.outcome("web2").explanation().contains("AH00072: make_sock: could not bind to address"),
                        plan.outcome("web2").explanation());
            } finally {
                apache.stopAll();
            }
        }
    }

    /** The port-80 sockets a planner holds, in notation without uid (configuration has none). */
    private static List<String> port80(ListenerPlanner p) {
        return p.existingSockets().stream().map(s -> s.replaceAll(" uid=\\d+| # .*", ""))
                .filter(s -> s.contains(":80 ") || s.endsWith(":80")).collect(Collectors.toList());
    }
}
