package io.netns.iptables;

import io.netns.testing.Cmd;
import io.netns.testing.Json;
import io.netns.testing.Tools;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The library's nf_tables table of a lab host as {@code nft -j list table} shows it, read independently of
 * the library: its rules, and its map elements in {@code nft}'s own words.
 */
final class Nft {
    private Nft() {
    }

    /**
     * An element as nft prints it.
     *
     * @param map its map
     * @param key its key, fields joined by {@code " . "}, an interval as {@code from-to}
     * @param comment its comment, or null
     * @param value its value, fields joined by {@code " . "}
     */
    record Element(String map, String key, String comment, String value) {
        /** @return {@code map: key comment "c" : value}, the form of {@link NatTable.Mapping#text()} */
        String text() {
            return map + ": " + key + (comment == null ? "" : " comment \"" + comment + "\"") + " : " + value;
        }
    }

    /** @return the objects of {@code nft -j list table <family> netns} in the namespace; empty when no table */
    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> objects(String netns, String family) throws Exception {
        Tools.require("nsenter");
        Tools.require("nft");
        Cmd.Result r = Cmd.exec("nsenter", "--net=" + netns, "nft", "-j", "list", "table", family, NatTable.TABLE);
        if (r.exit() == 1 && r.error().startsWith("Error: No such file or directory")) {
            return List.of();
        }
        if (r.exit() != 0) {
            throw new AssertionError("nft -j list table " + family + " netns exited " + r.exit() + ": " + r.error());
        }
        Map<String, Object> top = (Map<String, Object>) Json.parse(r.output());
        return (List<Map<String, Object>>) top.get("nftables");
    }

    /** @return the number of rules of the table (every chain) */
    static long rules(String netns, String family) throws Exception {
        return objects(netns, family).stream().filter(o -> o.containsKey("rule")).count();
    }

    /** @return the elements of every map of the table */
    @SuppressWarnings("unchecked")
    static List<Element> elements(String netns, String family) throws Exception {
        List<Element> out = new ArrayList<>();
        for (Map<String, Object> o : objects(netns, family)) {
            Map<String, Object> map = (Map<String, Object>) o.get("map");
            if (map == null || map.get("elem") == null) {
                continue;
            }
            for (Object e : (List<Object>) map.get("elem")) {
                List<Object> pair = (List<Object>) e;
                Object key = pair.get(0);
                String comment = null;
                if (key instanceof Map<?, ?> k && k.containsKey("elem")) {
                    Map<String, Object> elem = (Map<String, Object>) k.get("elem");
                    comment = (String) elem.get("comment");
                    key = elem.get("val");
                }
                out.add(new Element((String) map.get("name"), text(key), comment, text(pair.get(1))));
            }
        }
        return out;
    }

    /** @return the texts of the elements carrying {@code tag} */
    static List<String> tagged(String netns, String family, String tag) throws Exception {
        return elements(netns, family).stream().filter(e -> tag.equals(e.comment())).map(Element::text)
                .collect(Collectors.toList());
    }

    @SuppressWarnings("unchecked")
    private static String text(Object v) {
        if (v instanceof Map<?, ?> m) {
            if (m.containsKey("concat")) {
                return ((List<Object>) m.get("concat")).stream().map(Nft::text).collect(Collectors.joining(" . "));
            }
            if (m.containsKey("range")) {
                List<Object> r = (List<Object>) m.get("range");
                return text(r.get(0)) + "-" + text(r.get(1));
            }
            if (m.containsKey("prefix")) {
                Map<String, Object> p = (Map<String, Object>) m.get("prefix");
                return text(p.get("addr")) + "/" + p.get("len");
            }
        }
        return String.valueOf(v);
    }
}
