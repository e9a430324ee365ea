package io.netns;

import io.netns.internal.Inet;
import io.netns.internal.cni.Json;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The final result of a CNI network's {@code ADD} (CNI spec section 5): the interfaces the plugins made,
 * the addresses, the routes and DNS settings, as cached for {@code DEL}. {@link #json()} is the result
 * exactly as the last plugin wrote it (the cached {@code prevResult}). Results of spec 0.1.0/0.2.0
 * ({@code ip4}, {@code ip6}) are read into the same shape, without interfaces.
 *
 * <pre>{@code
 * CniResult r = sandbox.cniResult().orElseThrow();
 * r.ips().get(0).address();   // 10.22.0.2
 * r.ips().get(0).gateway();   // 10.22.0.1
 * }</pre>
 */
public final class CniResult {
    /**
     * An interface the attachment made.
     *
     * @param name its name
     * @param mac its hardware address, or empty
     * @param mtu its MTU, or 0 when not given
     * @param sandbox the namespace path it lives in, or empty when it is on the host
     */
    public record Interface(String name, String mac, int mtu, String sandbox) {
    }

    /**
     * An address the attachment assigned.
     *
     * @param address the address
     * @param prefixLength its prefix length
     * @param gateway the subnet's gateway, or null
     * @param interfaceIndex the index into {@link #interfaces()}, or -1 when not given
     */
    public record IpConfig(InetAddress address, int prefixLength, InetAddress gateway, int interfaceIndex) {
        /** @return {@code 10.22.0.2/16} */
        @Override
        public String toString() {
            return Inet.toText(address) + "/" + prefixLength;
        }
    }

    /**
     * A route the attachment made.
     *
     * @param destination the destination in CIDR notation, e.g. {@code 0.0.0.0/0}
     * @param gateway the next hop, or null
     */
    public record Route(String destination, InetAddress gateway) {
    }

    /**
     * DNS settings of the network.
     *
     * @param nameservers name server addresses
     * @param domain the local domain, or empty
     * @param search search domains
     * @param options resolver options
     */
    public record Dns(List<String> nameservers, String domain, List<String> search, List<String> options) {
    }

    private final String cniVersion;
    private final List<Interface> interfaces;
    private final List<IpConfig> ips;
    private final List<Route> routes;
    private final Dns dns;
    private final String json;

    private CniResult(String cniVersion, List<Interface> interfaces, List<IpConfig> ips, List<Route> routes, Dns dns,
            String json) {
        this.cniVersion = cniVersion;
        this.interfaces = List.copyOf(interfaces);
        this.ips = List.copyOf(ips);
        this.routes = List.copyOf(routes);
        this.dns = dns;
        this.json = json;
    }

    /**
     * Reads a result.
     *
     * @param result the JSON object a plugin wrote
     * @return the value
     * @throws IllegalArgumentException if a field has the wrong type or an address is malformed
     */
    static CniResult of(Map<String, Object> result) {
        List<Interface> ifs = new ArrayList<>();
        for (Object o : list(result.get("interfaces"), "interfaces")) {
            Map<String, Object> m = map(o, "interfaces[]");
            ifs.add(new Interface(str(m.get("name")), str(m.get("mac")), (int) num(m.get("mtu")), str(m.get("sandbox"))));
        }
        List<IpConfig> ips = new ArrayList<>();
        List<Route> routes = new ArrayList<>();
        for (Object o : list(result.get("ips"), "ips")) {
            Map<String, Object> m = map(o, "ips[]");
            Object idx = m.get("interface");
            ips.add(ip(str(m.get("address")), str(m.get("gateway")), idx == null ? -1 : (int) num(idx)));
        }
        for (String legacy : List.of("ip4", "ip6")) { // spec 0.1.0 and 0.2.0
            if (result.get(legacy) != null) {
                Map<String, Object> m = map(result.get(legacy), legacy);
                ips.add(ip(str(m.get("ip")), str(m.get("gateway")), -1));
                routes(m.get("routes"), routes);
            }
        }
        routes(result.get("routes"), routes);
        Dns dns = new Dns(List.of(), "", List.of(), List.of());
        if (result.get("dns") != null) {
            Map<String, Object> d = map(result.get("dns"), "dns");
            dns = new Dns(strings(d.get("nameservers")), str(d.get("domain")), strings(d.get("search")),
                    strings(d.get("options")));
        }
        Object v = result.get("cniVersion");
        return new CniResult(v == null ? "" : String.valueOf(v), ifs, ips, routes, dns, Json.write(result));
    }

    private static void routes(Object list, List<Route> out) {
        for (Object o : list(list, "routes")) {
            Map<String, Object> m = map(o, "routes[]");
            String gw = str(m.get("gw"));
            out.add(new Route(str(m.get("dst")), gw.isEmpty() ? null : Inet.parse("cni route gw", gw)));
        }
    }

    private static IpConfig ip(String cidr, String gateway, int index) {
        int slash = cidr.indexOf('/');
        if (slash < 0) {
            throw new IllegalArgumentException("cni result address must be in CIDR notation: \"" + cidr + "\"");
        }
        InetAddress a = Inet.parse("cni result address", cidr.substring(0, slash));
        int prefix;
        try {
            prefix = Integer.parseInt(cidr.substring(slash + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("cni result address has a bad prefix length: \"" + cidr + "\"");
        }
        return new IpConfig(a, prefix, gateway.isEmpty() ? null : Inet.parse("cni result gateway", gateway), index);
    }

    private static List<?> list(Object o, String what) {
        if (o == null) {
            return List.of();
        }
        if (!(o instanceof List)) {
            throw new IllegalArgumentException("cni result " + what + " must be a list, not " + Json.typeName(o));
        }
        return (List<?>) o;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Object o, String what) {
        if (!(o instanceof Map)) {
            throw new IllegalArgumentException("cni result " + what + " must be an object, not " + Json.typeName(o));
        }
        return (Map<String, Object>) o;
    }

    private static String str(Object o) {
        return o == null ? "" : String.valueOf(o);
    }

    private static long num(Object o) {
        return o instanceof Number ? ((Number) o).longValue() : 0;
    }

    private static List<String> strings(Object o) {
        List<String> out = new ArrayList<>();
        for (Object x : list(o, "dns list")) {
            out.add(String.valueOf(x));
        }
        return List.copyOf(out);
    }

    /** @return the version the result is written in */
    public String cniVersion() {
        return cniVersion;
    }

    /** @return the interfaces made, host side ones included */
    public List<Interface> interfaces() {
        return interfaces;
    }

    /** @return the addresses assigned */
    public List<IpConfig> ips() {
        return ips;
    }

    /** @return the routes made */
    public List<Route> routes() {
        return routes;
    }

    /** @return the DNS settings; empty lists when the plugins gave none */
    public Dns dns() {
        return dns;
    }

    /** @return the result as JSON, as the last plugin wrote it */
    public String json() {
        return json;
    }

    /** @return {@link #json()} */
    @Override
    public String toString() {
        return json;
    }
}
