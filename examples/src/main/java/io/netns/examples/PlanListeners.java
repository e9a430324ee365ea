package io.netns.examples;

import io.netns.planner.ListenRequest;
import io.netns.planner.ListenerPlan;
import io.netns.planner.ListenerPlanner;
import io.netns.planner.Outcome;
import io.netns.planner.Status;
import java.util.ArrayList;
import java.util.List;

/**
 * Planning listeners for a set of services on a host with two addresses, and printing the Apache and
 * nginx lines. Pure: no namespace, no root; the host's addresses and existing sockets are given.
 */
public final class PlanListeners {
    private PlanListeners() {
    }

    /** @param args unused */
    public static void main(String[] args) {
        render(plan()).forEach(System.out::println);
    }

    /** @return the plan for web1, web2 (both port 80), api (a port in 8000-8099) and admin (8080) */
    public static ListenerPlan plan() {
        return ListenerPlanner.create()
                .hostAddress("eth0", "10.20.30.100").hostAddress("eth0", "10.20.30.200").hostAddress("lo", "127.0.0.1")
                .existing("tcp LISTEN 0.0.0.0:22")                                   // sshd, on every address
                .existing("tcp LISTEN 10.20.30.200:8000")                            // something on 8000 already
                .request(ListenRequest.tcp("web1", 80))
                .request(ListenRequest.tcp("web2", 80))
                .request(ListenRequest.tcp("api", 8000, 8099).require("10.20.30.200"))
                .request(ListenRequest.tcp("admin", 8080).prefer("127.0.0.1"))
                .request(ListenRequest.tcp("ssh2", 22))                             // cannot fit: 0.0.0.0:22 holds it
                .plan();
    }

    /**
     * @param plan a plan
     * @return one block per service: status, Apache and nginx lines, or the explanation of the failure
     */
    public static List<String> render(ListenerPlan plan) {
        List<String> out = new ArrayList<>();
        for (String svc : List.of("web1", "web2", "api", "admin", "ssh2")) {
            Outcome o = plan.outcome(svc);
            out.add(String.format("%-6s %s", svc, o.status()));
            if (o.status() == Status.OK) {
                plan.apacheListen(svc).forEach(l -> out.add("       httpd: " + l));
                plan.nginxListen(svc).forEach(l -> out.add("       nginx: " + l));
            } else {
                out.add("       " + o.explanation());
            }
        }
        return out;
    }
}
