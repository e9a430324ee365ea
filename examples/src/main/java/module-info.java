/**
 * The examples as a named module: what an application's {@code module-info.java} needs to use netns on the
 * module path. {@code requires io.netns} is enough for namespaces and sandboxes; with netns-iptables on the
 * module path, its {@link io.netns.Firewall} is bound through netns-core's {@code uses} clause. The
 * {@code uses} line here is only for {@link io.netns.examples.ModuleCheck}, which looks the firewall up itself.
 */
module io.netns.examples {
    requires io.netns;
    requires jdk.httpserver;

    uses io.netns.Firewall;
}
