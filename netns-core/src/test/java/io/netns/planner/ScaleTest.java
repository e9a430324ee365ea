package io.netns.planner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * A non-timed sanity check of the shape the benchmark uses: 10,000 requests over 64 addresses all plan OK, with
 * no two bindings on the same (protocol, address, port). {@link #workload()} is the JMH-friendly entry point.
 */
class ScaleTest {

    /** 64 host addresses; 10,000 requests: a third fixed ports, a third ranges, a third any port. */
    static ListenerPlanner workload() {
        ListenerPlanner p = ListenerPlanner.create();
        for (int i = 0; i < 64; i++) {
            p.hostAddress("eth0", "10.0." + (i / 32) + "." + (1 + i % 32));
        }
        for (int i = 0; i < 10_000; i++) {
            switch (i % 3) {
                case 0: p.request(ListenRequest.tcp("fixed" + i, 2000 + (i / 3) % 150)); break;
                case 1: p.request(ListenRequest.tcp("range" + i, 3000, 3999)); break;
                default: p.request(ListenRequest.tcp("any" + i)); break;
            }
        }
        return p;
    }

    @Test
    void tenThousandRequestsOverSixtyFourAddressesAllPlan() {
        ListenerPlanner p = workload();
        p.plan(); // warm up
        long t0 = System.nanoTime();
        ListenerPlan plan = p.plan();
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertTrue(plan.isFeasible(), () -> plan.outcomes().stream().filter(o -> !o.isOk()).limit(3).map(Outcome::toString).reduce("", String::concat));
        assertEquals(10_000, plan.outcomes().size());
        Set<String> seen = new HashSet<>();
        for (Binding b : plan.bindings()) {
            assertTrue(seen.add(b.toString()), "duplicate " + b);
        }
        System.out.println("planned 10,000 requests over 64 addresses in " + ms + " ms");
    }

    @Test
    void distinctPreferencesShareTheSearchCursor() {
        ListenerPlanner p = ListenerPlanner.create();
        for (int i = 0; i < 64; i++) {
            p.hostAddress("eth0", "10.0." + (i / 32) + "." + (1 + i % 32));
        }
        for (int i = 0; i < 10_000; i++) {
            p.request(ListenRequest.tcp("pref" + i).prefer("10.0." + (i % 64 / 32) + "." + (1 + i % 32)));
        }
        ListenerPlan plan = p.plan();
        assertTrue(plan.isFeasible());
        // 64 addresses per port from 1024: 10,000 services need 157 ports
        assertEquals(1024 + 156, plan.bindings().get(plan.bindings().size() - 1).port());
    }
}
