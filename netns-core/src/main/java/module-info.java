/**
 * netns: Docker's network modes for the JVM over Linux network namespaces.
 */
@SuppressWarnings({"module", "requires-automatic"}) // qualified exports name modules built later; jnr has no module-info
module io.netns {
    requires org.jnrproject.ffi;
    requires org.jnrproject.constants;
    requires org.slf4j;
    // jnr-ffi is an automatic module, so ASM (which it generates its native stubs with, from package
    // org.objectweb.asm only) is resolved on the module path only when a named module requires it.
    requires org.objectweb.asm;

    exports io.netns;
    exports io.netns.rtnl;
    exports io.netns.planner;

    exports io.netns.internal to io.netns.iptables, io.netns.junit;
    exports io.netns.internal.nl to io.netns.iptables;
    exports io.netns.internal.posix to io.netns.iptables;

    // jnr-ffi implements Native.LibC with a class it generates into an unnamed module of its own class loader;
    // a class may implement only an interface exported to it, and only an unqualified opens reaches unnamed
    // modules (opens also grants that access at run time; javac still refuses the package to other modules).
    opens io.netns.internal.posix;

    uses io.netns.Firewall;
}
