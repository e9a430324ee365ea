package io.netns.junit;

import io.netns.BridgeMode;
import io.netns.Host;
import io.netns.NetNamespace;
import io.netns.Netns;
import io.netns.NetnsException;
import io.netns.NetworkMode;
import io.netns.Sandbox;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
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
 */
public final class NetnsExtension implements ExecutionCondition, ParameterResolver, AfterEachCallback, AfterAllCallback {
    /** Set to {@code 1} to make a test fail, not skip, where namespaces are unavailable (CI does). */
    public static final String REQUIRE_PRIVILEGED = "NETNS_REQUIRE_PRIVILEGED";

    private static final ExtensionContext.Namespace STORE = ExtensionContext.Namespace.create(NetnsExtension.class);
    private static final AtomicInteger COUNTER = new AtomicInteger();

    @Override
    public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
        Throwable cause = Netns.unavailabilityCause();
        if (cause == null) {
            return ConditionEvaluationResult.enabled("network namespaces are available");
        }
        if ("1".equals(System.getenv(REQUIRE_PRIVILEGED))) {
            throw new IllegalStateException(REQUIRE_PRIVILEGED + "=1 but network namespaces are unavailable: " + cause, cause);
        }
        return ConditionEvaluationResult.disabled("network namespaces are unavailable: " + cause
                + " (set " + REQUIRE_PRIVILEGED + "=1 to fail instead of skipping)");
    }

    @Override
    public boolean supportsParameter(ParameterContext p, ExtensionContext context) {
        Class<?> type = p.getParameter().getType();
        return type == Host.class || type == NetNamespace.class || type == Sandbox.class;
    }

    @Override
    public Object resolveParameter(ParameterContext p, ExtensionContext context) {
        Class<?> type = p.getParameter().getType();
        Lab lab = context.getStore(STORE).getOrComputeIfAbsent(Lab.class, k -> new Lab(), Lab.class);
        try {
            if (type == Host.class) {
                return lab.host();
            }
            if (type == NetNamespace.class) {
                return lab.namespace();
            }
            Optional<Mode> mode = p.findAnnotation(Mode.class);
            return lab.sandbox(toMode(mode.orElse(null), p));
        } catch (NetnsException e) {
            throw new ParameterResolutionException("cannot make " + type.getSimpleName() + " for parameter '"
                    + p.getParameter().getName() + "': " + e.getMessage(), e);
        }
    }

    private static NetworkMode toMode(Mode m, ParameterContext p) {
        if (m == null) {
            return NetworkMode.none();
        }
        switch (m.value()) {
            case HOST:
                return NetworkMode.host();
            case BRIDGE:
                BridgeMode b = NetworkMode.bridge();
                if (!m.subnet().isEmpty()) {
                    b = b.subnet(m.subnet());
                }
                for (String spec : m.publish()) {
                    String[] hc = spec.split(":");
                    try {
                        b = b.publish(Integer.parseInt(hc[0]), Integer.parseInt(hc[1]));
                    } catch (RuntimeException e) {
                        throw new ExtensionConfigurationException("@Mode(publish) of parameter '" + p.getParameter().getName()
                                + "' must be \"hostPort:containerPort\": \"" + spec + "\"", e);
                    }
                }
                return b;
            default:
                if (m.publish().length > 0 || !m.subnet().isEmpty()) {
                    throw new ExtensionConfigurationException("@Mode(publish, subnet) of parameter '"
                            + p.getParameter().getName() + "' need Kind.BRIDGE");
                }
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
        Lab lab = context.getStore(STORE).remove(Lab.class, Lab.class);
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
        private final String prefix = "t" + ProcessHandle.current().pid() + "-" + COUNTER.incrementAndGet();
        private final List<String> names = new ArrayList<>();
        private final List<NetNamespace> namespaces = new ArrayList<>();
        private Host host;
        private int next;

        synchronized Host host() throws NetnsException {
            if (host == null) {
                String name = prefix + "-lab";
                names.add(name);
                host = Host.createLab(name);
            }
            return host;
        }

        synchronized NetNamespace namespace() throws NetnsException {
            String name = prefix + "-ns" + (next++);
            names.add(name);
            NetNamespace ns = NetNamespace.create(name);
            namespaces.add(ns);
            return ns;
        }

        synchronized Sandbox sandbox(NetworkMode mode) throws NetnsException {
            String name = prefix + "-s" + (next++);
            if (mode.kind().equals("none") || mode.kind().equals("bridge")) {
                names.add(name);
            }
            return host().create(name, mode);
        }

        String keepMessage(String test) {
            StringBuilder b = new StringBuilder("netns: kept the lab of failed test '" + test + "'. Inspect it with:\n");
            for (String n : names) {
                b.append("  ip netns exec ").append(n).append(" ip addr; ip -n ").append(n).append(" route\n");
            }
            b.append("and remove it with: ");
            for (String n : names) {
                b.append("ip netns delete ").append(n).append("; ");
            }
            return b.toString();
        }

        @Override
        public synchronized void close() throws Exception {
            Exception failure = null;
            if (host != null) {
                try {
                    host.close();
                } catch (NetnsException e) {
                    failure = e;
                }
            }
            for (NetNamespace ns : namespaces) {
                ns.close();
                try {
                    if (Files.exists(NetNamespace.NETNS_DIR.resolve(ns.name()))) {
                        ns.delete();
                    }
                } catch (NetnsException e) {
                    if (failure == null) {
                        failure = e;
                    } else {
                        failure.addSuppressed(e);
                    }
                }
            }
            List<String> leaked = new ArrayList<>();
            for (String n : names) {
                if (Files.exists(NetNamespace.NETNS_DIR.resolve(n))) {
                    leaked.add(n);
                }
            }
            if (!leaked.isEmpty()) {
                AssertionError e = new AssertionError("netns leak check: still on the machine after the test: namespaces "
                        + leaked + " (see `ip netns list`)");
                if (failure != null) {
                    e.addSuppressed(failure);
                }
                throw e;
            }
            if (failure != null) {
                throw failure;
            }
        }
    }
}
