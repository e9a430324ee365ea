package io.netns.rootless;

import io.netns.Host;
import io.netns.NetNamespace;
import io.netns.Netns;
import io.netns.NetworkMode;
import io.netns.Sandbox;
import java.io.FileNotFoundException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Run by {@link RootlessIT} as a normal user inside {@code unshare --user --map-root-user --mount}: a lab with
 * every mode, a published port and an opening, and the semantics of {@code call} from the JVM's own stack.
 * Prints {@code key=value} lines for the test to check; exits 0 unless something unexpected escaped.
 */
public final class RootlessChild {
    private RootlessChild() {
    }

    public static void main(String[] args) throws Exception {
        String p = args[0];
        out("mode", Netns.mode());
        Throwable cause = Netns.unavailabilityCause();
        out("cause", cause == null ? "null" : cause.getMessage());
        if (cause != null) {
            out("done", "");
            return;
        }
        out("uid_map", Files.readString(Path.of("/proc/self/uid_map")).trim().replaceAll("\\s+", " "));
        out("dir", NetNamespace.directory());
        try {
            Host.current();
            out("current", "succeeded");
        } catch (Exception e) {
            out("current", e.getMessage());
        }
        try (Host lab = Host.createLab(p + "lab")) {
            Sandbox iso = lab.create(p + "iso", NetworkMode.none());
            out("none.links", run(iso, "ip", "-o", "link").lines().map(l -> l.split(":")[1].trim())
                    .collect(Collectors.joining(",")));
            String caller = Thread.currentThread().getName();
            String[] inside = iso.call(() -> new String[] {Thread.currentThread().getName(),
                    Files.readSymbolicLink(Path.of("/proc/thread-self/ns/net")).toString()});
            out("call.thread", inside[0].equals(caller) ? "caller" : "another");
            out("call.inside", inside[1].equals("net:[" + iso.namespace().inode() + "]"));
            try {
                iso.run(() -> {
                    throw new FileNotFoundException("thrown inside");
                });
                out("call.exception", "none");
            } catch (FileNotFoundException e) {
                out("call.exception", e.getClass().getSimpleName() + ": " + e.getMessage());
            }
            String home = Files.readSymbolicLink(Path.of("/proc/thread-self/ns/net")).toString();
            out("caller.home", home.equals(Files.readSymbolicLink(Path.of("/proc/self/ns/net")).toString()));

            Sandbox web = lab.create(p + "web", NetworkMode.bridge().publish(8080, 80));
            Sandbox side = lab.create(p + "side", NetworkMode.container(p + "web"));
            out("container.same", side.namespace().inode() == web.namespace().inode());
            try (ServerSocket server = web.call(() -> new ServerSocket(80))) { // made inside, used from here
                Thread echo = new Thread(() -> {
                    for (int i = 0; i < 2; i++) {
                        try (Socket s = server.accept(); OutputStream o = s.getOutputStream()) {
                            o.write(("hello " + i).getBytes(StandardCharsets.UTF_8));
                        } catch (Exception e) {
                            return;
                        }
                    }
                });
                echo.start();
                out("published", lab.namespace().call(() -> fetch(new InetSocketAddress("10.89.0.1", 8080))));
                out("container", side.call(() -> fetch(new InetSocketAddress("127.0.0.1", 80))));
                echo.join(10_000);
            }
            lab.create(p + "h", NetworkMode.host().expose(new InetSocketAddress("127.0.0.1", 9090)));
            out("expose", run(lab.namespace(), "iptables-save").contains("--dport 9090"));
        }
        try (Stream<Path> s = Files.list(NetNamespace.directory())) {
            out("left", s.map(x -> x.getFileName().toString()).filter(n -> n.startsWith(p)).collect(Collectors.toList()));
        }
        out("done", "");
    }

    private static String fetch(InetSocketAddress to) throws Exception {
        try (Socket s = new Socket()) {
            s.connect(to, 5000);
            s.setSoTimeout(5000);
            try (InputStream in = s.getInputStream()) {
                return new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
        }
    }

    private static String run(NetNamespace ns, String... argv) throws Exception {
        Process pr = ns.call(() -> new ProcessBuilder(argv).redirectErrorStream(true).start());
        String o = new String(pr.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        pr.waitFor();
        return o;
    }

    private static String run(Sandbox s, String... argv) throws Exception {
        return run(s.namespace(), argv);
    }

    private static void out(String key, Object value) {
        System.out.println(key + "=" + value);
    }
}
