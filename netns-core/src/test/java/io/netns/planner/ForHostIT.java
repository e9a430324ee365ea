package io.netns.planner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netns.Host;
import io.netns.rtnl.RtnlClient;
import io.netns.testing.TestLab;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Plans made by discovery on a lab host, then checked by really binding them there. */
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
}
