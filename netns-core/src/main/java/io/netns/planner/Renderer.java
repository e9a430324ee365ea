package io.netns.planner;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/** Internal use only. Renders bindings as httpd and nginx directives (planner-rules.md §1, §2, §6.10). */
final class Renderer {

    private Renderer() {
    }

    /** A line with its sort key. */
    private static final class Line {
        final int port;
        final Ip ip;
        final Protocol proto;
        final String text;

        Line(int port, Ip ip, Protocol proto, String text) {
            this.port = port;
            this.ip = ip;
            this.proto = proto;
            this.text = text;
        }
    }

    private static final Comparator<Line> ORDER = Comparator.comparingInt((Line l) -> l.port)
            .thenComparing(l -> l.ip).thenComparing(l -> l.proto).thenComparing(l -> l.text);

    private static List<String> finish(List<Line> lines) {
        lines.sort(ORDER);
        Set<String> out = new LinkedHashSet<>();
        for (Line l : lines) {
            out.add(l.text);
        }
        return List.copyOf(out);
    }

    static List<String> apache(List<Outcome> outcomes) {
        List<Line> lines = new ArrayList<>();
        for (Outcome o : outcomes) {
            List<Binding> bs = o.bindings();
            boolean pair = bs.stream().anyMatch(b -> b.ip.equals(Ip.ANY4))
                    && bs.stream().anyMatch(b -> b.ip.equals(Ip.ANY6));
            for (Binding b : bs) {
                if (b.protocol == Protocol.UDP) {
                    throw new UnsupportedOperationException("httpd cannot listen on UDP: every Listen socket is"
                            + " SOCK_STREAM; service " + b.service + " needs " + b + " (render it with nginxListen,"
                            + " stream context, instead)");
                }
                if (b.reusePort) {
                    throw new UnsupportedOperationException("httpd 2.4 cannot set SO_REUSEPORT per Listen (only"
                            + " through ListenCoresBucketsRatio; 'options=reuseport' exists in trunk 2.5 only);"
                            + " service " + b.service + " asked for reusePort");
                }
                if (b.needsFreebind) {
                    throw new UnsupportedOperationException("httpd 2.4 cannot set IP_FREEBIND ('options=freebind'"
                            + " exists in trunk 2.5 only) and " + b.ip + " is not on the host; service " + b.service
                            + " would fail with EADDRNOTAVAIL unless net." + (b.ip.isV6() ? "ipv6" : "ipv4")
                            + ".ip_nonlocal_bind=1");
                }
                String suffix = b.tls && b.port != 443 ? " https" : !b.tls && b.port == 443 ? " http" : "";
                String text;
                if (b.ip.equals(Ip.ANY4)) {
                    text = pair ? "Listen " + b.port + suffix : "Listen 0.0.0.0:" + b.port + suffix;
                } else if (b.ip.equals(Ip.ANY6)) {
                    if (pair) {
                        continue; // covered by the single "Listen N"
                    }
                    if (!b.dual) {
                        throw new UnsupportedOperationException("httpd 2.4 cannot listen on IPv6 only: 'Listen"
                                + " [::]:" + b.port + "' is dual-stack (IPV6_V6ONLY=0) in the default v4-mapped"
                                + " build and would also claim every IPv4 address; service " + b.service
                                + " asked for allInterfaces(Family.IPV6) ('options=v6only' exists in trunk 2.5"
                                + " only)");
                    }
                    text = "Listen " + b.port + suffix;
                } else {
                    text = "Listen " + b.ip.bracketed() + ":" + b.port + suffix;
                }
                lines.add(new Line(b.port, b.ip.isAny() && !b.ip.isV6() || b.dual ? Ip.ANY4 : b.ip,
                        b.protocol, text));
            }
        }
        return finish(lines);
    }

    static List<String> nginx(List<Outcome> outcomes) {
        List<Line> lines = new ArrayList<>();
        for (Outcome o : outcomes) {
            for (Binding b : o.bindings()) {
                if (b.needsFreebind) {
                    throw new UnsupportedOperationException("nginx listen has no freebind parameter and " + b.ip
                            + " is not on the host; service " + b.service + " would fail with EADDRNOTAVAIL"
                            + " unless net." + (b.ip.isV6() ? "ipv6" : "ipv4") + ".ip_nonlocal_bind=1");
                }
                if (b.ip.zone() != null) {
                    throw new UnsupportedOperationException("nginx cannot parse an IPv6 zone id in listen ("
                            + b.ip + "); service " + b.service + " needs a link-local address with its interface");
                }
                String addr;
                if (b.ip.equals(Ip.ANY4)) {
                    addr = Integer.toString(b.port);
                } else if (b.ip.equals(Ip.ANY6)) {
                    addr = "[::]:" + b.port;
                } else {
                    addr = b.ip.bracketed() + ":" + b.port;
                }
                StringBuilder sb = new StringBuilder("listen ").append(addr);
                if (b.protocol == Protocol.UDP) {
                    sb.append(" udp");
                }
                if (b.tls) {
                    sb.append(" ssl");
                }
                if (b.reusePort) {
                    sb.append(" reuseport");
                }
                lines.add(new Line(b.port, b.ip, b.protocol, sb.append(';').toString()));
            }
        }
        return finish(lines);
    }
}
