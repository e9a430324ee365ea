package io.netns.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/**
 * netns-bom manages every library module (a module of the build with a {@code module-info.java}, the
 * examples aside) at the build's version, and nothing else: importing it must not impose a version of
 * jnr-ffi, slf4j or JUnit, so it has no parent.
 */
class BomTest {
    private static final Path ROOT = Path.of(System.getProperty("user.dir")).resolve("..").normalize();

    @Test
    void theBomManagesExactlyTheLibraryModulesAtTheBuildsVersion() throws Exception {
        Document parent = read(ROOT.resolve("pom.xml"));
        Document bom = read(ROOT.resolve("netns-bom/pom.xml"));
        String version = child(parent.getDocumentElement(), "version");
        assertEquals(version, child(bom.getDocumentElement(), "version"), "netns-bom's version");
        assertEquals(0, bom.getDocumentElement().getElementsByTagName("parent").getLength(), "netns-bom has a parent");

        Set<String> libraries = new TreeSet<>();
        NodeList modules = parent.getElementsByTagName("module");
        for (int i = 0; i < modules.getLength(); i++) {
            String m = modules.item(i).getTextContent().trim();
            if (!m.equals("examples") && Files.exists(ROOT.resolve(m).resolve("src/main/java/module-info.java"))) {
                libraries.add(m);
            }
        }
        Set<String> managed = new TreeSet<>();
        NodeList deps = bom.getElementsByTagName("dependency");
        for (int i = 0; i < deps.getLength(); i++) {
            Element d = (Element) deps.item(i);
            assertEquals("io.netns", child(d, "groupId"));
            assertEquals("${project.version}", child(d, "version"));
            managed.add(child(d, "artifactId"));
        }
        assertEquals(Set.of("netns-core", "netns-iptables", "netns-junit5"), libraries);
        assertEquals(libraries, managed);
    }

    private static Document read(Path pom) throws Exception {
        return DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(pom.toFile());
    }

    private static String child(Element e, String name) {
        NodeList n = e.getChildNodes();
        for (int i = 0; i < n.getLength(); i++) {
            if (n.item(i) instanceof Element c && c.getTagName().equals(name)) {
                return c.getTextContent().trim();
            }
        }
        return null;
    }
}
