package io.netns.junit;

import io.netns.BridgeMode;
import io.netns.Host;
import io.netns.HostMode;
import io.netns.Leftovers;
import io.netns.NetNamespace;
import io.netns.Netns;
import io.netns.NetnsException;
import io.netns.NetworkMode;
import io.netns.Sandbox;
import io.netns.internal.Inet;
import io.netns.internal.PrivilegeGate;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionConfigurationException;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolutionException;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.junit.platform.commons.support.AnnotationSupport;

/**
 * The extension behind {@link NetnsTest}: resolves {@link Host}, {@link NetNamespace} and {@link Sandbox}
 * parameters on a lab host made for the test (or the class), removes everything after it, and then checks
 * that nothing it made is left.
 *
 * <p><b>Names.</b> Each lab gets a unique prefix {@code nt<pid>-<n>}: the lab host's namespace is named
 * that (so {@link Host#id()} returns it), and its namespaces and sandboxes {@code <prefix>-<name>}.
 *
 * <p><b>Leak check.</b> After everything is closed, the test fails if any of these is still there:
 * a namespace under {@code /run/netns} named the prefix or starting with {@code <prefix>-} (so a namespace
 * a test makes itself is checked when it is named {@code lab.id() + "-..."}); a sandbox's veth host side
 * in the lab, and anything else {@link Host#leftovers()} lists for the lab host (owner records, sandbox
 * namespaces, address leases, port claims, firewall rules tagged for a sandbox), a veth after the kernel's
 * asynchronous cleanup had up to 30 s (system property {@code netns.junit.vethGraceMillis}). What the check finds is
 * then removed ({@link Leftovers#remove()}), so one leaking test does not leave the machine dirty.
 */
public final class NetnsExtension implements ExecutionCondition, ParameterResolver, AfterEachCallback, AfterAllCallback {
    /** Set to {@code 1} to make a test fail, not skip, where namespaces are unavailable (CI does). */
    public static final String REQUIRE_PRIVILEGED = PrivilegeGate.REQUIRE_PRIVILEGED;

    /**
     * The system property with how long (milliseconds, default 30000) the leak check waits for the kernel
     * to destroy a closed sandbox's veth pair. The kernel does it in its one global namespace-cleanup work
     * queue, which lags by seconds on a machine where many namespaces die at once (parallel builds); the
     * wait ends as soon as the veths are gone, so only a real leak waits it out.
     */
    static final String VETH_GRACE_PROPERTY = "netns.junit.vethGraceMillis";

    static long vethGraceMillis() {
        return Long.getLong(VETH_GRACE_PROPERTY, 30_000);
    }

    private static final ExtensionContext.Namespace STORE = ExtensionContext.Namespace.create(NetnsExtension.class);
    private static final AtomicInteger COUNTER = new AtomicInteger();

    /** Made by JUnit for {@link NetnsTest @NetnsTest} (or {@code @ExtendWith}); tests never make one. */
    public NetnsExtension() {
    }

    @Override
    public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
        return evaluate(Netns.unavailabilityCause(), System.getenv(REQUIRE_PRIVILEGED));
    }

    /**
     * The skip-or-fail rule, apart from the machine so it can be tested anywhere.
     *
     * @param cause why namespaces are unavailable, or null when they are available
     * @param requirePrivileged the value of {@value #REQUIRE_PRIVILEGED}, or null
     * @return enabled when available; disabled with the reason when not
     * @throws IllegalStateException when unavailable and {@code requirePrivileged} is {@code "1"}
     */
    static ConditionEvaluationResult evaluate(Throwable cause, String requirePrivileged) {
        String skip = PrivilegeGate.decide(PrivilegeGate.namespacesUnavailable(cause), cause, requirePrivileged);
        return skip == null ? ConditionEvaluationResult.enabled("network namespaces are available")
                : ConditionEvaluationResult.disabled(skip);
    }

    @Override
    public boolean supportsParameter(ParameterContext p, ExtensionContext context) {
        Class<?> type = p.getParameter().getType();
        return type == Host.class || type == NetNamespace.class || type == Sandbox.class;
    }

    @Override
    public Object resolveParameter(ParameterContext p, ExtensionContext context) {
        Class<?> type = p.getParameter().getType();
        // One lab per context: a test method's (and its @BeforeEach/@AfterEach) parameters share the test's
        // lab; a constructor's and @BeforeAll's share the class's. Keyed by the context's id so a test
        // never picks up its class's lab through the store's parent lookup.
        Lab lab = context.getStore(STORE).getOrComputeIfAbsent(context.getUniqueId(), k -> new Lab(), Lab.class);
        try {
            if (type == Host.class) {
                return lab.host();
            }
            if (type == NetNamespace.class) {
                return lab.namespace();
            }
            Mode mode = p.findAnnotation(Mode.class).orElse(null);
            String name = mode == null || mode.name().isEmpty() ? null : mode.name();
            return lab.sandbox(name, toMode(mode, p, lab));
        } catch (NetnsException e) {
            throw new ParameterResolutionException("cannot make " + type.getSimpleName() + " for parameter '"
                    + p.getParameter().getName() + "': " + e.getMessage(), e);
        }
    }

    static NetworkMode toMode(Mode m, ParameterContext p, Lab lab) {
        if (m == null) {
            return NetworkMode.none();
        }
        String param = p == null ? "?" : p.getParameter().getName();
        Mode.Kind k = m.value();
        if (k != Mode.Kind.BRIDGE && (m.publish().length > 0 || !m.subnet().isEmpty())) {
            throw new ExtensionConfigurationException("@Mode(publish, subnet) of parameter '" + param + "' need Kind.BRIDGE");
        }
        if (k != Mode.Kind.BRIDGE && (m.ipv6() || !m.subnet6().isEmpty())) {
            throw new ExtensionConfigurationException("@Mode(ipv6, subnet6) of parameter '" + param + "' need Kind.BRIDGE");
        }
        if (k != Mode.Kind.HOST && m.expose().length > 0) {
            throw new ExtensionConfigurationException("@Mode(expose) of parameter '" + param + "' needs Kind.HOST");
        }
        if (k != Mode.Kind.CONTAINER && !m.join().isEmpty()) {
            throw new ExtensionConfigurationException("@Mode(join) of parameter '" + param + "' needs Kind.CONTAINER");
        }
        switch (k) {
            case HOST:
                HostMode h = NetworkMode.host();
                for (String spec : m.expose()) {
                    int colon = spec.lastIndexOf(':');
                    try {
                        InetAddress ip = Inet.parse("@Mode(expose) address", spec.substring(0, colon));
                        h = h.expose(new InetSocketAddress(ip, Integer.parseInt(spec.substring(colon + 1))));
                    } catch (RuntimeException e) {
                        throw new ExtensionConfigurationException("@Mode(expose) of parameter '" + param
                                + "' must be \"address:port\": \"" + spec + "\"", e);
                    }
                }
                return h;
            case BRIDGE:
                BridgeMode b = NetworkMode.bridge();
                if (!m.subnet().isEmpty()) {
                    b = b.subnet(m.subnet());
                }
                if (m.ipv6()) {
                    b = b.ipv6();
                }
                if (!m.subnet6().isEmpty()) {
                    try {
                        b = b.subnet6(m.subnet6());
                    } catch (IllegalArgumentException e) {
                        throw new ExtensionConfigurationException("@Mode(subnet6) of parameter '" + param + "': "
                                + e.getMessage(), e);
                    }
                }
                for (String spec : m.publish()) {
                    try {
                        // Docker's -p text through the one parser; spaces around the parts are forgiven, as
                        // the "hostPort:containerPort" form of earlier versions forgave them.
                        b = b.publish(String.join(":", Arrays.stream(spec.split(":", -1)).map(String::strip)
                                .toArray(String[]::new)));
                    } catch (IllegalArgumentException e) {
                        throw new ExtensionConfigurationException("@Mode(publish) of parameter '" + param
                                + "' must be docker run -p text, [hostIp:][hostPort:]containerPort[/protocol]: "
                                + e.getMessage(), e);
                    }
                }
                return b;
            case CONTAINER:
                if (m.join().isEmpty()) {
                    throw new ExtensionConfigurationException("@Mode(CONTAINER) of parameter '" + param
                            + "' needs join = the name of an earlier sandbox parameter");
                }
                if (lab == null || !lab.hasSandbox(m.join())) {
                    throw new ExtensionConfigurationException("@Mode(join = \"" + m.join() + "\") of parameter '" + param
                            + "': no sandbox parameter named \"" + m.join() + "\" before it in this test");
                }
                return NetworkMode.container(lab.fullName(m.join()));
            default:
                return NetworkMode.none();
        }
    }

    @Override
    public void afterEach(ExtensionContext context) throws Exception {
        finish(context);
    }

    @Override
    public void afterAll(ExtensionContext context) throws Exception {
        finish(context);
    }

    private static void finish(ExtensionContext context) throws Exception {
        Lab lab = context.getStore(STORE).remove(context.getUniqueId(), Lab.class);
        if (lab == null) {
            return;
        }
        boolean keep = context.getExecutionException().isPresent()
                && AnnotationSupport.findAnnotation(context.getElement(), NetnsTest.class)
                        .or(() -> context.getTestClass().flatMap(c -> AnnotationSupport.findAnnotation(c, NetnsTest.class)))
                        .map(NetnsTest::keepOnFailure).orElse(false);
        if (keep) {
            System.err.println(lab.keepMessage(context.getDisplayName()));
            return;
        }
        lab.close();
    }

    /** What one test (or class) made. */
    static final class Lab implements AutoCloseable {
        private final String prefix = "nt" + ProcessHandle.current().pid() + "-" + COUNTER.incrementAndGet();
        private final List<NetNamespace> namespaces = new ArrayList<>();
        private final Map<String, Sandbox> sandboxes = new HashMap<>();
        private Host host;
        private int next;

        String prefix() {
            return prefix;
        }

        String fullName(String shortName) {
            return prefix + "-" + shortName;
        }

        synchronized boolean hasSandbox(String shortName) {
            return sandboxes.containsKey(shortName);
        }

        synchronized Host host() throws NetnsException {
            if (host == null) {
                host = Host.createLab(prefix);
            }
            return host;
        }

        synchronized NetNamespace namespace() throws NetnsException {
            NetNamespace ns = NetNamespace.create(fullName("ns" + (next++)));
            namespaces.add(ns);
            return ns;
        }

        synchronized Sandbox sandbox(String shortName, NetworkMode mode) throws NetnsException {
            String n = shortName != null ? shortName : "s" + (next++);
            if (sandboxes.containsKey(n)) {
                throw new ExtensionConfigurationException("two sandbox parameters are named \"" + n + "\"");
            }
            Sandbox s = host().create(fullName(n), mode);
            sandboxes.put(n, s);
            return s;
        }

        String keepMessage(String test) {
            StringBuilder b = new StringBuilder("netns: kept the lab of failed test '" + test + "' (keepOnFailure = true).\n");
            b.append("Inspect it with:\n");
            b.append("  ip netns list | grep '^").append(prefix).append("'\n");
            b.append("  ip -n ").append(prefix).append(" addr; ip -n ").append(prefix).append(" route; ip netns exec ")
                    .append(prefix).append(" iptables-save; ip netns exec ").append(prefix)
                    .append(" nft list table ip netns\n");
            List<String> names = keptNamespaces();
            for (String n : names) {
                if (!n.equals(prefix)) {
                    b.append("  ip -n ").append(n).append(" addr; ip -n ").append(n).append(" route\n");
                }
            }
            b.append("Remove it, once this JVM has exited, with:\n  ");
            b.append("Host.of(NetNamespace.open(\"").append(prefix).append("\")).reclaim()  // its records, leases, rules\n  ");
            for (String n : names) {
                b.append("ip netns delete ").append(n).append("; ");
            }
            b.append('\n');
            return b.toString();
        }

        List<String> keptNamespaces() {
            try (Stream<Path> all = Files.list(NetNamespace.directory())) {
                return all.map(p -> p.getFileName().toString()).filter(this::ours).sorted().collect(Collectors.toList());
            } catch (IOException e) {
                return List.of();
            }
        }

        private boolean ours(String name) {
            return name.equals(prefix) || name.startsWith(prefix + "-");
        }

        /** Closes everything, then the leak check; a leak is removed and then reported as an AssertionError. */
        @Override
        public synchronized void close() throws Exception {
            List<Exception> failures = new ArrayList<>();
            List<String> leaks = new ArrayList<>();
            if (host != null) {
                List<Sandbox> open = host.sandboxes();
                for (int i = open.size() - 1; i >= 0; i--) {
                    try {
                        open.get(i).close();
                    } catch (NetnsException e) {
                        failures.add(e);
                    }
                }
                try {
                    checkLab(leaks);
                } catch (NetnsException e) {
                    failures.add(e);
                }
                try {
                    host.close();
                } catch (NetnsException e) {
                    failures.add(e);
                }
            }
            for (NetNamespace ns : namespaces) {
                ns.close();
                try {
                    if (Files.exists(NetNamespace.directory().resolve(ns.name()))) {
                        ns.delete();
                    }
                } catch (NetnsException e) {
                    failures.add(e);
                }
            }
            checkMachine(leaks);
            if (!leaks.isEmpty()) {
                AssertionError e = new AssertionError("netns leak check: still on the machine after the test (now removed): "
                        + String.join("; ", leaks));
                failures.forEach(e::addSuppressed);
                throw e;
            }
            if (!failures.isEmpty()) {
                Exception first = failures.get(0);
                failures.subList(1, failures.size()).forEach(first::addSuppressed);
                throw first;
            }
        }

        /**
         * Inside the lab, after its sandboxes closed and before it is deleted: what core's {@link Leftovers}
         * lists for the lab host (records, namespaces, veths, leases, claims, tagged rules), then removed.
         */
        private void checkLab(List<String> leaks) throws NetnsException {
            Leftovers left = host.leftovers();
            long deadline = System.nanoTime() + vethGraceMillis() * 1_000_000L;
            // The kernel destroys a closed sandbox's veth pair with its namespace, asynchronously: give it a
            // moment (pointless while a sandbox namespace is left, which holds its veth).
            while (!left.items(Leftovers.Kind.VETH).isEmpty() && left.items(Leftovers.Kind.NAMESPACE).isEmpty()
                    && System.nanoTime() < deadline) {
                try {
                    Thread.sleep(20);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
                left = host.leftovers();
            }
            if (left.isEmpty()) {
                return;
            }
            report(leaks, left, Leftovers.Kind.NAMESPACE, "sandbox namespaces", " (see `ip netns list`)");
            report(leaks, left, Leftovers.Kind.VETH, "sandbox veths", " in lab " + prefix + " (see `ip -n " + prefix + " link`)");
            report(leaks, left, Leftovers.Kind.RULE, "firewall rules tagged", " in lab " + prefix + " (see `ip netns exec "
                    + prefix + " iptables-save` and `ip netns exec " + prefix + " nft list table ip netns`)");
            report(leaks, left, Leftovers.Kind.CLAIM, "port claims", "");
            report(leaks, left, Leftovers.Kind.RECORD, "owner records", "");
            report(leaks, left, Leftovers.Kind.LEASE, "address leases", "");
            left.remove();
        }

        private static void report(List<String> leaks, Leftovers left, Leftovers.Kind kind, String what, String hint) {
            List<String> names = left.items(kind).stream().map(Leftovers.Item::what).collect(Collectors.toList());
            if (!names.isEmpty()) {
                leaks.add(what + " " + names + hint);
            }
        }

        /** After the lab is gone: namespaces named with the prefix (a test's own), removed when found. */
        private void checkMachine(List<String> leaks) {
            List<String> names = keptNamespaces();
            if (!names.isEmpty()) {
                leaks.add("namespaces " + names + " (see `ip netns list`)");
                for (String n : names) {
                    try (NetNamespace ns = NetNamespace.open(n)) {
                        ns.delete();
                    } catch (NetnsException e) {
                        leaks.add("cannot remove namespace " + n + ": " + e.getMessage());
                    }
                }
            }
        }
    }
}
