/**
 * The listener-address planner: assigns each service that shares one network stack (Docker's host mode) a
 * concrete {@code ip:port} the kernel will accept, explains what cannot fit, and renders httpd {@code Listen} and
 * nginx {@code listen} lines.
 *
 * <pre>{@code
 * ListenerPlan plan = ListenerPlanner.create()
 *     .hostAddress("eth0", "10.20.30.100").hostAddress("eth0", "10.20.30.200")
 *     .existing("tcp LISTEN 0.0.0.0:22")
 *     .kernel(KernelPorts.defaults().reserved(1024, 1100))
 *     .request(ListenRequest.tcp("web1", 80))
 *     .request(ListenRequest.tcp("web2", 80))
 *     .plan();
 * plan.outcome("web2").status();     // OK
 * plan.apacheListen("web1", "web2"); // ["Listen 10.20.30.100:80", "Listen 10.20.30.200:80"]
 * }</pre>
 *
 * <h2>Discovery</h2>
 * {@link io.netns.planner.ListenerPlanner#forHost(io.netns.Host)} and
 * {@link io.netns.planner.ListenerPlanner#discover(io.netns.NetNamespace)} read a namespace from inside, as
 * {@code ip} and {@code ss} do: addresses over rtnetlink, sockets over sock_diag (uid, real {@code v6only},
 * holder process), sysctls read inside; never {@code java.net.NetworkInterface} nor the process's
 * {@code /proc/net}. {@link io.netns.planner.ListenerPlanner#discover(java.nio.file.Path)} reads sockets and
 * sysctls from a proc-like tree (captures), and
 * {@link io.netns.planner.ListenerPlanner#existingFromApacheConfig(java.nio.file.Path)} /
 * {@link io.netns.planner.ListenerPlanner#existingFromNginxConfig(java.nio.file.Path)} what a configuration will
 * bind before anything starts.
 *
 * <h2>Explanations</h2>
 * One paragraph per service: the holder and the kernel rule, what Apache, nginx and a Java server will log, every
 * free alternative as {@code ip:port} (same port on another address, another port, the other family), a remedy,
 * and an {@code ss} command for whatever had to be assumed.
 *
 * <h2>Structure</h2>
 * {@code PlanEngine} orders the services and places each in named steps; {@code Occupancy} holds who binds what
 * and the overlap rules, {@code Candidates} the host's addresses, {@code PortOrder} the port tiers,
 * {@code SearchMemo} what searches learnt, {@code Explainer} the English; {@code ServerConfigs} reads httpd and
 * nginx configurations and {@code Discovery} a namespace's sockets and sysctls.
 *
 * <h2>Rules and policy</h2>
 * The conflict model follows the kernel facts of {@code research/planner-rules.md} §1–§5: same protocol and port
 * plus overlapping addresses; {@code 0.0.0.0} covers IPv4, {@code [::]} covers IPv6 and, with {@code v6only=0},
 * IPv4; specific IPv6 binds are v6-only; IPv4-mapped addresses are IPv4; TIME_WAIT is soft; other non-listening
 * TCP sockets are hard unless a listener on an overlapping address owns the port (accepted connections);
 * {@code SO_REUSEPORT} shares an identical address between sockets of one effective UID. Services are planned
 * greedily, most constrained first (required address, then all-interfaces, then the rest; fixed port, then range,
 * then any; then name), port-major, so the result does not depend on input order.
 *
 * <p>Where this package refines the policy of §6, and why:
 * <ul>
 *   <li>Malformed values (port 0 or above 65535, reversed ranges, non-literal addresses) throw
 *       {@code IllegalArgumentException} at the call, as the project conventions require;
 *       {@link io.netns.planner.Status#INVALID_REQUEST} is kept for requests whose parts contradict each other
 *       ({@code require} plus {@code prefer}, a family mismatch, a wildcard literal as an address, TLS on UDP).</li>
 *   <li>A stack with only loopback addresses (a {@code none} sandbox) plans on loopback instead of nowhere, and
 *       its "all interfaces" families are those it has. Any {@code 127.x} host address makes all of
 *       {@code 127.0.0.0/8} local, as the kernel's {@code local 127.0.0.0/8} route does.</li>
 *   <li>"All interfaces" on a host whose only non-loopback family is IPv6 claims a dual-stack {@code [::]}: that
 *       is what {@code Listen N} binds there.</li>
 *   <li>Port ranges are tried in four tiers: outside the ephemeral range and not reserved, then reserved (with
 *       {@link io.netns.planner.Warning#RESERVED_PORT}), then inside the ephemeral range (with
 *       {@link io.netns.planner.Warning#EPHEMERAL_RANGE}), reserved last: reserved ports are kept for someone.
 *       Automatic ports also fall back to the ephemeral range when the pool below it is full, not only when it
 *       is empty.</li>
 *   <li>On a fixed port, a clean candidate address is taken before one with a TIME_WAIT socket, except that a
 *       preferred address with only TIME_WAIT is kept (with {@link io.netns.planner.Warning#TIME_WAIT_PRESENT}).</li>
 *   <li>The {@code v6only} inference of §6.4 (an {@code 0.0.0.0} listener on the same port proves {@code [::]}
 *       v6-only unless both uids are known and equal) is applied to TCP listeners only; an unknown UDP
 *       {@code [::]} is assumed dual-stack, since two UDP sockets with {@code SO_REUSEADDR} may overlap.</li>
 *   <li>A link-local socket read from {@code /proc} has no visible device, so it conflicts with that address on
 *       every interface.</li>
 *   <li>Explanations are written after every service is planned, so a suggested free address or port is free in
 *       the final plan, not only when the service was considered.</li>
 *   <li>Renderers throw {@code UnsupportedOperationException} for freebind only when the binding relies on it (the
 *       address is not local and {@code ip_nonlocal_bind} is off); nginx also rejects freebind (its
 *       {@code listen} has no such parameter) and IPv6 zone ids; httpd 2.4 rejects an IPv6-only {@code [::]},
 *       because the default v4-mapped build makes it dual-stack. Rendering a service that is not OK throws
 *       {@code IllegalStateException}.</li>
 *   <li>{@link io.netns.planner.ListenRequest#capNetBindService(boolean)} defaults to {@code true}: httpd and nginx
 *       bind as root and then drop privileges.</li>
 * </ul>
 *
 * <h2>Performance</h2>
 * Occupied (protocol, port) pairs live in an array of per-port slots keyed by address, so checking one candidate
 * costs O(1) (a wildcard: O(sockets on the port)); port searches keep a cursor per distinct request shape, since
 * occupancy only grows during a plan. 10,000 requests over 64 addresses plan in tens of milliseconds.
 */
package io.netns.planner;
