package io.netns;

import java.util.Iterator;
import java.util.ServiceLoader;

/**
 * The {@link Firewall} found through the class loader of {@code Firewall} itself, looked up once: a
 * {@link ServiceLoader} scan costs ≈ 0.3 ms, and a published sandbox needs the firewall twice. Found through
 * the thread's context class loader instead (an application server's), it is looked up on every call,
 * since that loader may differ from call to call.
 */
final class FirewallLookup {
    private static volatile Firewall own;

    private FirewallLookup() {
    }

    /** @return the implementation beside netns-core, or null when there is none */
    static Firewall own() {
        Firewall f = own;
        if (f == null) {
            Iterator<Firewall> it = ServiceLoader.load(Firewall.class, Firewall.class.getClassLoader()).iterator();
            if (it.hasNext()) {
                f = it.next();
                own = f;
            }
        }
        return f;
    }

    /** @return {@link Firewall#load()}, or null when there is no implementation */
    static Firewall optional() {
        try {
            return Firewall.load();
        } catch (NetnsException absent) {
            return null;
        }
    }
}
