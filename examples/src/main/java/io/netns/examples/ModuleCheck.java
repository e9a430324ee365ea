package io.netns.examples;

import io.netns.Firewall;
import io.netns.NetNamespace;
import java.lang.reflect.InvocationTargetException;
import java.net.InetAddress;
import java.util.ServiceLoader;

/**
 * Shows where netns runs from and that it works there, the same program on the class path and on the module
 * path:
 *
 * <pre>{@code
 * java -cp <jars>:examples.jar io.netns.examples.ModuleCheck
 * java --module-path <jars>:examples.jar -m io.netns.examples/io.netns.examples.ModuleCheck
 * }</pre>
 *
 * <p>It prints the module netns-core and the {@link Firewall} implementation were loaded in, makes and
 * deletes a namespace with a socket bound inside ({@link QuickStart}), fetches a page from a published port
 * of a bridge sandbox ({@link PublishedHttpServer}: the firewall found through {@link ServiceLoader}, its
 * iptables and nf_tables rules, jnr-ffi's generated stubs), and says whether netns' internal packages can be
 * reached: on the module path they cannot.
 */
public final class ModuleCheck {
    private ModuleCheck() {
    }

    /**
     * @param args optional name prefix (default {@code modcheck-<pid>})
     * @throws Exception if a step fails
     */
    public static void main(String[] args) throws Exception {
        String prefix = args.length > 0 ? args[0] : "modcheck-" + ProcessHandle.current().pid();
        System.out.println("netns-core: " + describe(NetNamespace.class.getModule()));
        Firewall fw = ServiceLoader.load(Firewall.class).findFirst()
                .orElseThrow(() -> new IllegalStateException("no Firewall through ServiceLoader"));
        System.out.println("firewall: " + fw.getClass().getName() + " in " + describe(fw.getClass().getModule()));
        QuickStart.Bound bound = QuickStart.run(prefix + "-ns");
        System.out.println("namespace: port " + bound.port() + " bound inside (socket's namespace "
                + (bound.socketNamespace() == bound.namespace() ? "is" : "is NOT") + " the new one), deleted");
        System.out.println("published: " + PublishedHttpServer.run(prefix).trim());
        System.out.println("internal: " + internalAccess());
    }

    private static String describe(Module m) {
        return m.isNamed() ? "module " + m.getName() : "the unnamed module";
    }

    /** Calls a public method of the internal {@code io.netns.internal.Inet} reflectively. */
    private static String internalAccess() throws ReflectiveOperationException {
        Class<?> inet = Class.forName("io.netns.internal.Inet");
        try {
            Object text = inet.getMethod("toText", InetAddress.class).invoke(null, InetAddress.getLoopbackAddress());
            return "reachable (" + text + ")";
        } catch (IllegalAccessException e) {
            return "encapsulated";
        } catch (InvocationTargetException e) {
            throw new IllegalStateException(e.getCause());
        }
    }
}
