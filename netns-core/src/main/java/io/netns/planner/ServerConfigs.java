package io.netns.planner;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Internal use only. The sockets an Apache httpd or nginx configuration will bind, read before anything starts
 * ({@code research/planner-rules.md} §1, §2). Each socket's holder names the service and the file and line of its
 * directive. Malformed input throws {@link IllegalArgumentException} naming the file and line.
 */
final class ServerConfigs {

    private ServerConfigs() {
    }

    /** Guards against include cycles: nginx and httpd both refuse deeper nesting than this. */
    private static final int MAX_DEPTH = 32;

    // ---------------------------------------------------------------------------------------------------------
    // Apache httpd

    /** Modules compiled into Debian's apache2 binary ({@code apache2 -l}): always "loaded" for IfModule. */
    private static final Set<String> APACHE_STATIC = Set.of("core_module", "so_module", "watchdog_module",
            "http_module", "log_config_module", "logio_module", "version_module", "unixd_module");

    /** State of one httpd configuration read. */
    private static final class Apache {
        final String service;
        /** The directory of the main file: absolute paths under /etc/NAME are read from here (a copied tree). */
        final Path home;
        Path serverRoot;
        final Set<String> loaded = new HashSet<>(APACHE_STATIC);
        final List<ExistingSocket> out = new ArrayList<>();

        Apache(String service, Path serverRoot) {
            this.service = service;
            this.home = serverRoot;
            this.serverRoot = serverRoot;
        }
    }

    /**
     * The {@code Listen} directives of an httpd configuration, following {@code Include}/{@code IncludeOptional}
     * (globs, directories) relative to {@code ServerRoot} (default: the main file's directory) and evaluating
     * {@code <IfModule>} against the {@code LoadModule} lines read so far.
     */
    static List<ExistingSocket> apache(String service, Path config) throws IOException {
        Path main = config.toAbsolutePath().normalize();
        Apache a = new Apache(service, main.getParent());
        apacheFile(a, main, 0);
        return a.out;
    }

    private static void apacheFile(Apache a, Path file, int depth) throws IOException {
        if (depth > MAX_DEPTH) {
            throw new IllegalArgumentException(file + ": includes nested deeper than " + MAX_DEPTH + " (a cycle?)");
        }
        List<String> lines = readLines(file);
        // conditions of the enclosing sections; a false one hides everything inside
        List<Boolean> active = new ArrayList<>();
        List<String> open = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            int lineNo = i + 1;
            StringBuilder logical = new StringBuilder(lines.get(i));
            while (logical.length() > 0 && logical.charAt(logical.length() - 1) == '\\' && i + 1 < lines.size()) {
                logical.setLength(logical.length() - 1);
                logical.append(' ').append(lines.get(++i));
            }
            String line = logical.toString().trim();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String where = file + ":" + lineNo;
            boolean on = !active.contains(Boolean.FALSE);
            if (line.startsWith("</")) {
                if (!line.endsWith(">") || open.isEmpty()) {
                    throw new IllegalArgumentException(where + ": unexpected closing section: " + line);
                }
                String name = line.substring(2, line.length() - 1).trim().toLowerCase(Locale.ROOT);
                String expected = open.remove(open.size() - 1);
                if (!name.equals(expected)) {
                    throw new IllegalArgumentException(where + ": </" + name + "> closes <" + expected + ">: " + line);
                }
                active.remove(active.size() - 1);
                continue;
            }
            if (line.startsWith("<")) {
                if (!line.endsWith(">")) {
                    throw new IllegalArgumentException(where + ": section without closing '>': " + line);
                }
                String[] t = line.substring(1, line.length() - 1).trim().split("\\s+", 2);
                String name = t[0].toLowerCase(Locale.ROOT);
                boolean cond = true;
                if (name.equals("ifmodule")) {
                    if (t.length < 2) {
                        throw new IllegalArgumentException(where + ": <IfModule> needs a module name: " + line);
                    }
                    cond = ifModule(a, t[1].trim());
                }
                open.add(name);
                active.add(cond);
                continue;
            }
            String[] t = line.split("\\s+");
            String directive = t[0].toLowerCase(Locale.ROOT);
            if (!on) {
                continue;
            }
            switch (directive) {
                case "serverroot":
                    if (t.length != 2) {
                        throw new IllegalArgumentException(where + ": ServerRoot takes one directory: " + line);
                    }
                    a.serverRoot = relocate(a.home, Path.of(unquote(t[1])));
                    break;
                case "loadmodule":
                    if (t.length != 3) {
                        throw new IllegalArgumentException(where + ": LoadModule takes a name and a file: " + line);
                    }
                    a.loaded.add(t[1]);
                    break;
                case "include":
                case "includeoptional":
                    if (t.length != 2) {
                        throw new IllegalArgumentException(where + ": " + t[0] + " takes one path: " + line);
                    }
                    for (Path f : expand(a.home, a.serverRoot, unquote(t[1]), directive.equals("includeoptional"),
                            where)) {
                        apacheFile(a, f, depth + 1);
                    }
                    break;
                case "listen":
                    if (!open.isEmpty() && !open.stream().allMatch(s -> s.startsWith("if"))) {
                        throw new IllegalArgumentException(where + ": Listen is allowed only in the server config,"
                                + " not inside <" + open.get(open.size() - 1) + ">: " + line);
                    }
                    a.out.add(apacheListen(a.service, t, where, line));
                    break;
                default:
                    break;
            }
        }
        if (!open.isEmpty()) {
            throw new IllegalArgumentException(file + ": <" + open.get(open.size() - 1) + "> is never closed");
        }
    }

    /** {@code <IfModule [!]name>}: by module name ({@code ssl_module}) or source file ({@code mod_ssl.c}). */
    private static boolean ifModule(Apache a, String arg) {
        boolean not = arg.startsWith("!");
        String m = unquote(not ? arg.substring(1).trim() : arg);
        if (m.endsWith(".c")) {
            m = (m.startsWith("mod_") ? m.substring(4, m.length() - 2) : m.substring(0, m.length() - 2)) + "_module";
        }
        return a.loaded.contains(m) != not;
    }

    /**
     * {@code Listen [IP-address:]portnumber [protocol]}: {@code Listen 80} and {@code Listen *:80} bind one
     * dual-stack {@code [::]} (the Debian build maps IPv4 into IPv6; on a host without IPv6 httpd binds
     * {@code 0.0.0.0} instead, which blocks the same IPv4 addresses); {@code Listen [::]:80} is dual-stack too; a
     * specific IPv6 address is v6-only.
     */
    private static ExistingSocket apacheListen(String service, String[] t, String where, String line) {
        if (t.length < 2 || t.length > 3) {
            throw new IllegalArgumentException(where + ": expected 'Listen [IP-address:]portnumber [protocol]': "
                    + line);
        }
        if (t.length == 3 && !t[2].matches("[A-Za-z][A-Za-z0-9.+-]*")) {
            throw new IllegalArgumentException(where + ": the protocol of Listen must be a name such as https: "
                    + line);
        }
        String arg = t[1];
        int colon = arg.lastIndexOf(':');
        String host = null;
        String portText = arg;
        if (colon >= 0 && (arg.startsWith("[") ? arg.lastIndexOf(']') < colon : true)) {
            host = arg.substring(0, colon);
            portText = arg.substring(colon + 1);
        }
        int port = port(portText, where, line);
        String holder = service + " (" + line.replaceAll("\\s+", " ") + " at " + where + ")";
        if (host == null || host.equals("*") || host.equals("[::]")) {
            return new ExistingSocket(Protocol.TCP, true, "LISTEN", Ip.ANY6, port, Boolean.FALSE, -1, holder);
        }
        Ip ip = address(host, where, line);
        if (ip.isV6() && !host.startsWith("[")) {
            throw new IllegalArgumentException(where + ": an IPv6 address must be in brackets, e.g."
                    + " Listen [2001:db8::1]:80: " + line);
        }
        return new ExistingSocket(Protocol.TCP, ip.isV6(), "LISTEN", ip, port, null, -1, holder);
    }

    // ---------------------------------------------------------------------------------------------------------
    // nginx

    /** Every {@code listen} parameter of the http and stream modules (nginx 1.22); those marked imply bind. */
    private static final Set<String> NGINX_FLAGS = Set.of("default_server", "default", "ssl", "http2", "quic",
            "proxy_protocol", "deferred", "bind", "reuseport", "udp", "starttls");
    private static final Set<String> NGINX_VALUED = Set.of("setfib", "fastopen", "backlog", "rcvbuf", "sndbuf",
            "accept_filter", "ipv6only", "so_keepalive");
    /** Parameters after which nginx makes a separate bind() for the address (ngx_http_core_listen: lsopt.bind). */
    private static final Set<String> NGINX_IMPLY_BIND = Set.of("bind", "reuseport", "ipv6only", "setfib",
            "fastopen", "backlog", "rcvbuf", "sndbuf", "accept_filter", "deferred", "so_keepalive");

    /** One {@code listen} as nginx will bind it. */
    private static final class NginxListen {
        Protocol proto;
        Ip ip;
        int port;
        boolean v6only = true;
        boolean separateBind;
        String where;
        String text;
    }

    /** A token of an nginx file: a word, or one of {@code ; { }}, with its line. */
    private static final class Token {
        final String text;
        final boolean quoted;
        final int line;

        Token(String text, boolean quoted, int line) {
            this.text = text;
            this.quoted = quoted;
            this.line = line;
        }

        boolean is(String s) {
            return !quoted && text.equals(s);
        }
    }

    /**
     * The sockets of the {@code listen} directives of an nginx configuration: {@code server} blocks of
     * {@code http} (TCP; a server without listen gets {@code *:80}), {@code stream} (TCP, or UDP with
     * {@code udp}) and {@code mail} (TCP), following {@code include} globs relative to the main file's directory, as nginx binds them:
     * one socket per distinct address:port, only the wildcard when a wildcard and specific addresses share a port
     * (unless {@code bind} or a parameter implying it asks for a separate bind()).
     */
    static List<ExistingSocket> nginx(String service, Path config) throws IOException {
        Path main = config.toAbsolutePath().normalize();
        List<NginxListen> listens = new ArrayList<>();
        nginxFile(main.getParent(), main, new ArrayList<>(), listens, new boolean[1], 0);
        return nginxSockets(service, listens);
    }

    private static void nginxFile(Path prefix, Path file, List<String> context, List<NginxListen> out,
            boolean[] serverHasListen, int depth) throws IOException {
        if (depth > MAX_DEPTH) {
            throw new IllegalArgumentException(file + ": includes nested deeper than " + MAX_DEPTH + " (a cycle?)");
        }
        List<Token> tokens = tokenize(file);
        int outerDepth = context.size();
        List<Token> stmt = new ArrayList<>();
        for (Token tok : tokens) {
            String where = file + ":" + tok.line;
            if (tok.is("{")) {
                if (stmt.isEmpty()) {
                    throw new IllegalArgumentException(where + ": unexpected '{'");
                }
                String block = stmt.get(0).text;
                context.add(block);
                if (block.equals("server")) {
                    serverHasListen[0] = false;
                }
                stmt.clear();
            } else if (tok.is("}")) {
                if (!stmt.isEmpty()) {
                    throw new IllegalArgumentException(file + ":" + stmt.get(0).line + ": '" + stmt.get(0).text
                            + "' lacks its ';'");
                }
                if (context.size() <= outerDepth) {
                    throw new IllegalArgumentException(where + ": unexpected '}'");
                }
                String closed = context.remove(context.size() - 1);
                if (closed.equals("server") && inside(context, "http") && !serverHasListen[0]) {
                    NginxListen l = new NginxListen(); // no listen: nginx uses *:80 (as root)
                    l.proto = Protocol.TCP;
                    l.ip = Ip.ANY4;
                    l.port = 80;
                    l.where = where;
                    l.text = "server without listen (default *:80)";
                    out.add(l);
                }
            } else if (tok.is(";")) {
                if (stmt.isEmpty()) {
                    continue;
                }
                String name = stmt.get(0).text;
                int line = stmt.get(0).line;
                String at = file + ":" + line;
                if (name.equals("include")) {
                    if (stmt.size() != 2) {
                        throw new IllegalArgumentException(at + ": include takes one path");
                    }
                    String inc = stmt.get(1).text;
                    boolean mask = inc.contains("*") || inc.contains("?") || inc.contains("[");
                    // a mask may match nothing, a named file must exist
                    for (Path f : expand(prefix, prefix, inc, mask, at)) {
                        nginxFile(prefix, f, context, out, serverHasListen, depth + 1);
                    }
                } else if (name.equals("listen")) {
                    if (context.isEmpty() || !context.get(context.size() - 1).equals("server")
                            || !(inside(context, "http") || inside(context, "stream") || inside(context, "mail"))) {
                        throw new IllegalArgumentException(at + ": listen is allowed only in an http, stream or mail"
                                + " server block");
                    }
                    serverHasListen[0] = true;
                    NginxListen l = nginxListen(stmt, at, inside(context, "stream"));
                    if (l != null) {
                        out.add(l);
                    }
                }
                stmt.clear();
            } else {
                stmt.add(tok);
            }
        }
        if (!stmt.isEmpty()) {
            throw new IllegalArgumentException(file + ":" + stmt.get(0).line + ": '" + stmt.get(0).text
                    + "' lacks its ';'");
        }
        if (context.size() != outerDepth) {
            throw new IllegalArgumentException(file + ": block '" + context.get(context.size() - 1)
                    + "' is never closed");
        }
    }

    private static boolean inside(List<String> context, String block) {
        return context.contains(block);
    }

    /** {@code listen address[:port] | port | unix:path [parameters]}; null for a unix socket. */
    private static NginxListen nginxListen(List<Token> stmt, String where, boolean stream) {
        StringBuilder text = new StringBuilder();
        for (Token t : stmt) {
            text.append(text.length() == 0 ? "" : " ").append(t.text);
        }
        String line = text.append(';').toString();
        if (stmt.size() < 2) {
            throw new IllegalArgumentException(where + ": listen needs an address or port: " + line);
        }
        String arg = stmt.get(1).text;
        if (arg.startsWith("unix:")) {
            return null; // a unix socket holds no port
        }
        NginxListen l = new NginxListen();
        l.where = where;
        l.text = line;
        l.proto = Protocol.TCP;
        String host;
        int port;
        if (arg.matches("[0-9]+")) {
            host = "*";
            port = port(arg, where, line);
        } else {
            int colon = arg.lastIndexOf(':');
            boolean bracketed = arg.startsWith("[");
            if (bracketed ? arg.lastIndexOf(']') < colon : colon >= 0) {
                host = arg.substring(0, colon);
                port = port(arg.substring(colon + 1), where, line);
            } else {
                host = arg;
                port = stream ? -1 : 80;
                if (stream) {
                    throw new IllegalArgumentException(where + ": a stream listen needs a port: " + line);
                }
            }
        }
        if (host.equals("*")) {
            l.ip = Ip.ANY4;
        } else {
            if (!host.startsWith("[") && host.contains(":")) {
                throw new IllegalArgumentException(where + ": an IPv6 address must be in brackets: " + line);
            }
            l.ip = address(host, where, line);
        }
        l.port = port;
        for (Token t : stmt.subList(2, stmt.size())) {
            String p = t.text;
            int eq = p.indexOf('=');
            String key = eq < 0 ? p : p.substring(0, eq);
            if (eq < 0 ? !NGINX_FLAGS.contains(key) : !NGINX_VALUED.contains(key)) {
                throw new IllegalArgumentException(where + ": unknown listen parameter '" + p + "': " + line);
            }
            if (NGINX_IMPLY_BIND.contains(key)) {
                l.separateBind = true;
            }
            if (key.equals("udp") || key.equals("quic")) {
                if (key.equals("udp") && !stream) {
                    throw new IllegalArgumentException(where + ": udp is a stream listen parameter: " + line);
                }
                l.proto = Protocol.UDP;
            } else if (key.equals("ipv6only")) {
                String v = p.substring(eq + 1);
                if (!v.equals("on") && !v.equals("off")) {
                    throw new IllegalArgumentException(where + ": ipv6only must be on or off: " + line);
                }
                if (!(l.ip.isV6() && l.ip.isAny())) {
                    throw new IllegalArgumentException(where + ": ipv6only applies only to [::]: " + line);
                }
                l.v6only = v.equals("on");
            }
        }
        return l;
    }

    /** The sockets nginx binds for its listens (ngx_http_optimize_servers / ngx_stream_optimize_servers). */
    private static List<ExistingSocket> nginxSockets(String service, List<NginxListen> listens) {
        // one socket per distinct (proto, address, port); the first listen names it
        Map<List<Object>, NginxListen> distinct = new LinkedHashMap<>();
        for (NginxListen l : listens) {
            NginxListen first = distinct.putIfAbsent(List.of(l.proto, l.ip, l.port), l);
            if (first != null) {
                first.separateBind |= l.separateBind;
                if (l.ip.isV6() && l.ip.isAny() && first.v6only != l.v6only) {
                    throw new IllegalArgumentException(l.where + ": [::]:" + l.port + " is declared with different"
                            + " ipv6only values (also at " + first.where + ")");
                }
            }
        }
        Set<List<Object>> wildcards = new HashSet<>();
        for (NginxListen l : distinct.values()) {
            if (l.ip.isAny()) {
                wildcards.add(List.of(l.proto, l.ip.isV6(), l.port));
            }
        }
        TreeSet<ExistingSocket> out = new TreeSet<>();
        for (NginxListen l : distinct.values()) {
            if (!l.ip.isAny() && !l.separateBind && wildcards.contains(List.of(l.proto, l.ip.isV6(), l.port))) {
                continue; // served through the wildcard's socket
            }
            String holder = service + " (" + l.text + " at " + l.where + ")";
            boolean any6 = l.ip.isV6() && l.ip.isAny();
            out.add(new ExistingSocket(l.proto, l.ip.isV6(), l.proto == Protocol.TCP ? "LISTEN" : null, l.ip, l.port,
                    any6 ? l.v6only : null, -1, holder));
        }
        return new ArrayList<>(out);
    }

    private static List<Token> tokenize(Path file) throws IOException {
        String text = String.join("\n", readLines(file));
        List<Token> out = new ArrayList<>();
        int line = 1;
        int i = 0;
        int n = text.length();
        while (i < n) {
            char c = text.charAt(i);
            if (c == '\n') {
                line++;
                i++;
            } else if (Character.isWhitespace(c)) {
                i++;
            } else if (c == '#') {
                while (i < n && text.charAt(i) != '\n') {
                    i++;
                }
            } else if (c == ';' || c == '{' || c == '}') {
                out.add(new Token(String.valueOf(c), false, line));
                i++;
            } else if (c == '"' || c == '\'') {
                int start = line;
                StringBuilder sb = new StringBuilder();
                i++;
                while (i < n && text.charAt(i) != c) {
                    char d = text.charAt(i);
                    if (d == '\\' && i + 1 < n) {
                        d = text.charAt(++i);
                    }
                    if (d == '\n') {
                        line++;
                    }
                    sb.append(d);
                    i++;
                }
                if (i >= n) {
                    throw new IllegalArgumentException(file + ":" + start + ": unterminated quoted string");
                }
                i++;
                out.add(new Token(sb.toString(), true, start));
            } else {
                int s = i;
                while (i < n && !Character.isWhitespace(text.charAt(i)) && ";{}".indexOf(text.charAt(i)) < 0) {
                    i++;
                }
                out.add(new Token(text.substring(s, i), false, line));
            }
        }
        return out;
    }

    // ---------------------------------------------------------------------------------------------------------
    // Shared

    private static List<String> readLines(Path file) throws IOException {
        try {
            return List.of(new String(Files.readAllBytes(file), StandardCharsets.UTF_8).split("\r?\n", -1));
        } catch (NoSuchFileException e) {
            throw new NoSuchFileException(file.toString(), null, "configuration file not found");
        }
    }

    /**
     * The files an include names, sorted: a file, a directory (its regular files), or a glob in the last path
     * element. A required include matching nothing is an error, as in httpd's {@code Include}.
     */
    private static List<Path> expand(Path home, Path root, String pattern, boolean optional, String where)
            throws IOException {
        Path p = relocate(home, root.resolve(pattern).normalize());
        String last = p.getFileName() == null ? "" : p.getFileName().toString();
        List<Path> out = new ArrayList<>();
        if (last.contains("*") || last.contains("?") || last.contains("[")) {
            Path dir = p.getParent();
            if (dir.toString().contains("*") || dir.toString().contains("?")) {
                throw new IllegalArgumentException(where + ": wildcards are supported in the last path element only: "
                        + pattern);
            }
            if (Files.isDirectory(dir)) {
                PathMatcher m = FileSystems.getDefault().getPathMatcher("glob:" + last);
                try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
                    for (Path f : ds) {
                        if (m.matches(f.getFileName()) && Files.isRegularFile(f)) {
                            out.add(f);
                        }
                    }
                }
            }
        } else if (Files.isDirectory(p)) {
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(p)) {
                for (Path f : ds) {
                    if (Files.isRegularFile(f)) {
                        out.add(f);
                    }
                }
            }
        } else if (Files.exists(p)) {
            out.add(p);
        }
        if (out.isEmpty() && !optional) {
            throw new IllegalArgumentException(where + ": include matches no file: " + pattern);
        }
        out.sort(null);
        return out;
    }

    /**
     * A configuration copied out of {@code /etc/NAME} (a backup, a container image, a test fixture) still names
     * its files by absolute paths under {@code /etc/NAME}: those are read from the copy, {@code home}.
     */
    private static Path relocate(Path home, Path p) {
        Path conventional = Path.of("/etc").resolve(home.getFileName() == null ? "" : home.getFileName().toString());
        if (p.isAbsolute() && !home.equals(conventional) && p.startsWith(conventional)) {
            return home.resolve(conventional.relativize(p));
        }
        return p;
    }

    private static int port(String text, String where, String line) {
        try {
            int p = Integer.parseInt(text);
            if (p >= 1 && p <= 65535) {
                return p;
            }
        } catch (NumberFormatException e) {
            // fall through
        }
        throw new IllegalArgumentException(where + ": port must be 1..65535: '" + text + "' in: " + line);
    }

    private static Ip address(String host, String where, String line) {
        try {
            return Ip.parse(host);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(where + ": not an IP address (host names are not resolved): '" + host
                    + "' in: " + line, e);
        }
    }

    private static String unquote(String s) {
        return s.length() >= 2 && (s.startsWith("\"") && s.endsWith("\"") || s.startsWith("'") && s.endsWith("'"))
                ? s.substring(1, s.length() - 1) : s;
    }
}
