package io.netns.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class NamesTest {
    @ParameterizedTest
    @ValueSource(strings = {"web1", "a", "lab-1.x_2", "0abc"})
    void acceptsPortableNames(String name) {
        assertEquals(name, Names.check("sandbox name", name));
    }

    @Test
    void rejectsEachBadNameNamingTheValue() {
        assertRejected("", "must not be empty");
        assertRejected("..", "must start with a letter or digit: \"..\"");
        assertRejected("a/b", "'/' at index 1");
        assertRejected("a\nb", "control character (\\n)");
        assertRejected("a b", "' ' at index 1");
        assertRejected("x".repeat(300), "at most 64 characters, got 300");
        assertRejected("ünï", "must start with a letter or digit");
        assertThrows(IllegalArgumentException.class, () -> Names.check("name", null));
    }

    private static void assertRejected(String name, String part) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Names.check("sandbox name", name));
        assertTrue(e.getMessage().contains(part), "expected '" + part + "' in: " + e.getMessage());
        assertTrue(e.getMessage().startsWith("sandbox name"), e.getMessage());
    }
}
