package io.netns.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netns.NetNamespace;
import io.netns.iptables.IptablesFirewall;
import io.netns.junit.NetnsExtension;
import java.io.IOException;
import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleFinder;
import java.lang.reflect.Constructor;
import java.lang.reflect.Executable;
import java.lang.reflect.Field;
import java.lang.reflect.GenericArrayType;
import java.lang.reflect.Member;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.lang.reflect.TypeVariable;
import java.lang.reflect.WildcardType;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.Test;

/**
 * The module boundary of the three library modules, read from their compiled {@code module-info}: the API
 * packages are exported to everyone, {@code io.netns.internal.*} only to netns modules, and no public or
 * protected member of an exported package mentions a type of a package that is not exported to everyone.
 */
class ApiBoundaryTest {
    private static final Map<String, Class<?>> MODULES = Map.of(
            "io.netns", NetNamespace.class,
            "io.netns.iptables", IptablesFirewall.class,
            "io.netns.junit", NetnsExtension.class);

    @Test
    void exportsExactlyTheApiPackagesToEveryoneAndInternalsOnlyToNetnsModules() throws Exception {
        Map<String, Set<String>> open = new TreeMap<>();
        for (Map.Entry<String, Class<?>> m : MODULES.entrySet()) {
            ModuleDescriptor d = descriptor(m.getValue());
            assertEquals(m.getKey(), d.name());
            open.put(d.name(), d.exports().stream().filter(e -> !e.isQualified()).map(ModuleDescriptor.Exports::source)
                    .collect(Collectors.toCollection(TreeSet::new)));
            for (ModuleDescriptor.Exports e : d.exports()) {
                if (e.source().contains(".internal")) {
                    assertTrue(e.isQualified(), d.name() + " exports " + e.source() + " to everyone");
                    assertTrue(e.targets().stream().allMatch(t -> t.startsWith("io.netns.")),
                            d.name() + " exports " + e.source() + " outside netns: " + e.targets());
                }
            }
        }
        assertEquals(Map.of("io.netns", Set.of("io.netns", "io.netns.planner", "io.netns.rtnl"),
                "io.netns.iptables", Set.of("io.netns.iptables"),
                "io.netns.junit", Set.of("io.netns.junit")), open);
        assertTrue(descriptor(IptablesFirewall.class).provides().stream()
                .anyMatch(p -> p.service().equals("io.netns.Firewall")
                        && p.providers().equals(List.of(IptablesFirewall.class.getName()))));
        assertTrue(descriptor(NetNamespace.class).uses().contains("io.netns.Firewall"));
    }

    @Test
    void noPublicSignatureOfAnExportedPackageMentionsAnUnexportedNetnsType() throws Exception {
        Set<String> exported = new TreeSet<>();
        for (Class<?> anchor : MODULES.values()) {
            descriptor(anchor).exports().stream().filter(e -> !e.isQualified())
                    .forEach(e -> exported.add(e.source()));
        }
        List<String> leaks = new ArrayList<>();
        int checked = 0;
        for (Class<?> anchor : MODULES.values()) {
            for (String name : classNames(location(anchor))) {
                String pkg = name.substring(0, name.lastIndexOf('.'));
                if (!exported.contains(pkg)) {
                    continue;
                }
                Class<?> c = Class.forName(name, false, anchor.getClassLoader());
                if (!visible(c)) {
                    continue;
                }
                checked++;
                List<Type> types = new ArrayList<>();
                types.add(c.getGenericSuperclass());
                types.addAll(List.of(c.getGenericInterfaces()));
                for (TypeVariable<?> v : c.getTypeParameters()) {
                    types.addAll(List.of(v.getBounds()));
                }
                check(c.getName(), types, exported, leaks);
                for (Field f : c.getDeclaredFields()) {
                    if (visible(f)) {
                        check(c.getName() + "." + f.getName(), List.of(f.getGenericType()), exported, leaks);
                    }
                }
                List<Executable> members = new ArrayList<>(List.of(c.getDeclaredMethods()));
                members.addAll(List.of(c.getDeclaredConstructors()));
                for (Executable e : members) {
                    if (!visible(e) || e.isSynthetic()) {
                        continue;
                    }
                    List<Type> sig = new ArrayList<>(List.of(e.getGenericParameterTypes()));
                    sig.addAll(List.of(e.getGenericExceptionTypes()));
                    if (e instanceof Method m) {
                        sig.add(m.getGenericReturnType());
                    }
                    for (TypeVariable<?> v : e.getTypeParameters()) {
                        sig.addAll(List.of(v.getBounds()));
                    }
                    check(c.getName() + "." + (e instanceof Constructor ? "<init>" : e.getName()), sig, exported, leaks);
                }
            }
        }
        assertTrue(checked > 30, "only " + checked + " API types found");
        assertTrue(leaks.isEmpty(), "the API mentions types of unexported packages:\n" + String.join("\n", leaks));
    }

    private static void check(String where, List<Type> types, Set<String> exported, List<String> leaks) {
        for (Type t : types) {
            walk(t, new ArrayList<>()).stream()
                    .filter(c -> c.getPackageName().startsWith("io.netns") && !exported.contains(c.getPackageName()))
                    .forEach(c -> leaks.add(where + " -> " + c.getName()));
        }
    }

    private static List<Class<?>> walk(Type t, List<Class<?>> out) {
        if (t instanceof Class<?> c) {
            out.add(c.isArray() ? c.getComponentType() : c);
        } else if (t instanceof ParameterizedType p) {
            walk(p.getRawType(), out);
            for (Type a : p.getActualTypeArguments()) {
                walk(a, out);
            }
        } else if (t instanceof GenericArrayType g) {
            walk(g.getGenericComponentType(), out);
        } else if (t instanceof WildcardType w) {
            for (Type b : w.getUpperBounds()) {
                walk(b, out);
            }
            for (Type b : w.getLowerBounds()) {
                walk(b, out);
            }
        }
        return out;
    }

    private static boolean visible(Class<?> c) {
        for (Class<?> k = c; k != null; k = k.getEnclosingClass()) {
            if (!Modifier.isPublic(k.getModifiers()) && !Modifier.isProtected(k.getModifiers())) {
                return false;
            }
        }
        return !c.isAnonymousClass() && !c.isLocalClass() && !c.isSynthetic();
    }

    private static boolean visible(Member m) {
        return Modifier.isPublic(m.getModifiers()) || Modifier.isProtected(m.getModifiers());
    }

    private static ModuleDescriptor descriptor(Class<?> anchor) throws URISyntaxException {
        return ModuleFinder.of(location(anchor)).findAll().iterator().next().descriptor();
    }

    private static Path location(Class<?> anchor) throws URISyntaxException {
        return Path.of(anchor.getProtectionDomain().getCodeSource().getLocation().toURI());
    }

    /** Every class of a classes directory or a jar, as binary names. */
    private static List<String> classNames(Path where) throws IOException {
        List<String> files = new ArrayList<>();
        if (Files.isDirectory(where)) {
            try (Stream<Path> s = Files.walk(where)) {
                s.filter(p -> p.toString().endsWith(".class"))
                        .forEach(p -> files.add(where.relativize(p).toString().replace('\\', '/')));
            }
        } else {
            try (ZipFile z = new ZipFile(where.toFile())) {
                z.stream().map(e -> e.getName()).filter(n -> n.endsWith(".class") && !n.startsWith("META-INF/"))
                        .forEach(files::add);
            }
        }
        return files.stream().filter(n -> !n.endsWith("module-info.class") && !n.endsWith("package-info.class"))
                .map(n -> n.substring(0, n.length() - ".class".length()).replace('/', '.')).sorted().toList();
    }
}
