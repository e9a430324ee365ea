package io.netns.planner;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.function.Consumer;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;

/** The plan is independent of input order and byte-identical across runs (planner-rules.md §6.9). */
class DeterminismTest {

    static List<Consumer<ListenerPlanner>> inputs() {
        List<Consumer<ListenerPlanner>> in = new ArrayList<>();
        for (String a : List.of("10.20.30.100", "10.20.30.200", "10.20.30.50", "2001:db8::1", "2001:db8::2", "fe80::1")) {
            in.add(p -> p.hostAddress("eth0", a));
        }
        in.add(p -> p.hostAddress("lo", "127.0.0.1"));
        in.add(p -> p.hostAddress("lo", "::1"));
        for (String e : List.of("tcp LISTEN 0.0.0.0:22", "tcp6 LISTEN [::]:22 v6only=?", "tcp LISTEN 10.20.30.100:8080",
                "tcp TIME_WAIT 10.20.30.200:8080", "udp 127.0.0.53:53", "tcp ESTABLISHED 10.20.30.50:8000",
                "tcp6 LISTEN [2001:db8::1]:443 uid=33", "udp6 [::]:5353")) {
            in.add(p -> p.existing(e));
        }
        List<ListenRequest> reqs = List.of(
                ListenRequest.tcp("web1", 80), ListenRequest.tcp("web2", 80), ListenRequest.tcp("web3", 80),
                ListenRequest.tcp("web4", 80), ListenRequest.tcp("ssh2", 22),
                ListenRequest.tcp("api", 8000, 8010), ListenRequest.tcp("api2", 8000, 8010).prefer("10.20.30.50"),
                ListenRequest.tcp("admin", 8080).prefer("10.20.30.100"), ListenRequest.tcp("w1"),
                ListenRequest.tcp("w2").capNetBindService(false), ListenRequest.udp("u1"),
                ListenRequest.tcpAndUdp("dns", 53).require("10.20.30.100"), ListenRequest.tcp("all", 443).allInterfaces(),
                ListenRequest.tcp("s6", 443).family(Family.IPV6), ListenRequest.tcp("rp", 443).require("2001:db8::1").reusePort(33),
                ListenRequest.udp("stats", 8125, 8130), ListenRequest.tcp("bad", 80).require("10.9.9.9"));
        for (ListenRequest r : reqs) {
            in.add(p -> p.request(r));
        }
        return in;
    }

    static String render(List<Consumer<ListenerPlanner>> in) {
        ListenerPlanner p = ListenerPlanner.create();
        in.forEach(c -> c.accept(p));
        ListenerPlan plan = p.plan();
        List<String> ok = new ArrayList<>();
        for (Outcome o : plan.outcomes()) {
            if (o.isOk() && o.bindings().stream().allMatch(b -> b.protocol() == Protocol.TCP) && !o.bindings().get(0).reusePort()) {
                ok.add(o.name());
            }
        }
        return plan + "\n" + plan.nginxListen(ok.toArray(new String[0])) + "\n"
                + plan.apacheListen(ok.toArray(new String[0])) + "\n" + plan.bindings();
    }

    static final String BASELINE = render(inputs());

    @RepeatedTest(20)
    void shuffledInputsRenderByteIdentically(org.junit.jupiter.api.RepetitionInfo info) {
        List<Consumer<ListenerPlanner>> in = inputs();
        Collections.shuffle(in, new Random(info.getCurrentRepetition() * 7919L));
        assertEquals(BASELINE, render(in));
    }

    @Test
    void theBaselineIsNotTrivial() {
        org.junit.jupiter.api.Assertions.assertTrue(BASELINE.contains("ADDRESS_IN_USE"), BASELINE);
        org.junit.jupiter.api.Assertions.assertTrue(BASELINE.contains("Listen 10.20.30.50:80"), BASELINE);
    }
}
