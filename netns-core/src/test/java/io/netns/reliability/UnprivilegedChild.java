package io.netns.reliability;

import io.netns.Host;
import io.netns.NetNamespace;
import io.netns.Netns;

/**
 * Run by {@link NoPrivilegesIT} as an unprivileged user: what netns says when it may not act. Prints
 * {@code key=value} lines; exits 0 unless something unexpected escaped.
 */
public final class UnprivilegedChild {
    private UnprivilegedChild() {
    }

    public static void main(String[] args) {
        System.out.println("uid=" + new com.sun.security.auth.module.UnixSystem().getUid());
        System.out.println("available=" + Netns.isAvailable());
        Throwable cause = Netns.unavailabilityCause();
        System.out.println("cause=" + (cause == null ? "null" : cause.getClass().getName() + ": " + cause.getMessage()));
        attempt("create", () -> NetNamespace.create(args[0]).close());
        attempt("createLab", () -> Host.createLab(args[0]).close());
        attempt("enter", () -> {
            try (NetNamespace ns = NetNamespace.open(args[1])) {
                ns.run(() -> System.out.println("ran inside, which must not happen"));
            }
        });
        attempt("ensureAvailability", Netns::ensureAvailability);
        System.out.println("done");
    }

    interface Call {
        void run() throws Exception;
    }

    private static void attempt(String what, Call call) {
        try {
            call.run();
            System.out.println(what + "=succeeded");
        } catch (Exception e) {
            System.out.println(what + "=" + e.getClass().getName() + ": " + e.getMessage());
        }
    }
}
