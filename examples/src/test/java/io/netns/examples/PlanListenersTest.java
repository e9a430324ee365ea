package io.netns.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netns.planner.ListenerPlan;
import io.netns.planner.Status;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The planning example's output, which needs no privileges. */
class PlanListenersTest {
    @Test
    void twoWebServersGetOneAddressEachAndTheBlockedOneIsExplained() {
        ListenerPlan plan = PlanListeners.plan();
        assertEquals(List.of("Listen 10.20.30.100:80"), plan.apacheListen("web1"));
        assertEquals(List.of("Listen 10.20.30.200:80"), plan.apacheListen("web2"));
        assertEquals(List.of("listen 10.20.30.100:80;"), plan.nginxListen("web1"));
        assertEquals(List.of("Listen 10.20.30.200:8001"), plan.apacheListen("api"), "8000 is taken on .200");
        assertEquals(Status.ADDRESS_IN_USE, plan.outcome("ssh2").status());
        List<String> lines = PlanListeners.render(plan);
        assertTrue(lines.contains("       httpd: Listen 10.20.30.100:80"), lines.toString());
        assertTrue(lines.contains("       nginx: listen 10.20.30.200:80;"), lines.toString());
        assertTrue(lines.stream().anyMatch(l -> l.startsWith("ssh2   ADDRESS_IN_USE")), lines.toString());
        assertTrue(lines.stream().anyMatch(l -> l.contains("0.0.0.0:22")), lines.toString());
    }
}
