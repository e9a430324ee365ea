package io.netns.internal.cni;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigDecimal;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The CNI runtime's JSON reader and writer against RFC 8259's rules and round trips. */
class JsonTest {
    @Test
    void readsEveryTypeInDocumentOrder() throws Exception {
        Object v = Json.parse(" {\"b\":1,\"a\":[true,false,null,-0.5,\"x\\u00e9\\n\"],\"c\":{},\"d\":[],"
                + "\"big\":123456789012345678901234567890,\"e\":1e3} ");
        Map<?, ?> m = (Map<?, ?>) v;
        assertEquals(List.of("b", "a", "c", "d", "big", "e"), List.copyOf(m.keySet()));
        assertEquals(1L, m.get("b"));
        assertEquals(Arrays.asList(true, false, null, new BigDecimal("-0.5"), "x\u00e9\n"), m.get("a"));
        assertEquals(new BigDecimal("123456789012345678901234567890"), m.get("big"));
        assertEquals(new BigDecimal("1e3"), m.get("e"));
        assertEquals(Map.of(), m.get("c"));
    }

    @Test
    void roundTripsWithoutLosingAnything() throws Exception {
        String text = "{\"cniVersion\":\"1.0.0\",\"n\":-12,\"f\":0.25,\"big\":18446744073709551616,"
                + "\"s\":\"q\\\"\\\\/\\t\\u0001\\u2028\",\"l\":[{\"a\":null}],\"t\":true}";
        Object v = Json.parse(text);
        assertEquals(v, Json.parse(Json.write(v)));
        assertEquals("{\"cniVersion\":\"1.0.0\",\"n\":-12,\"f\":0.25,\"big\":18446744073709551616,"
                + "\"s\":\"q\\\"\\\\/\\t\\u0001\\u2028\",\"l\":[{\"a\":null}],\"t\":true}", Json.write(v));
    }

    @Test
    void aRepeatedKeyKeepsTheLastValueAsGoDoes() throws Exception {
        assertEquals(Map.of("a", 2L), Json.parse("{\"a\":1,\"a\":2}"));
    }

    @Test
    void refusesWhatIsNotJsonNamingLineAndColumn() {
        for (String bad : List.of("", "{", "{\"a\":1,}", "[1,]", "01", "1.", "-", "+1", "{'a':1}", "tru", "nul",
                "{\"a\" 1}", "\"\u0001\"", "\"\\x\"", "\"\\u12\"", "[1] x", "{\"a\":1}{", "// c\n1", "\ufeff1", "NaN")) {
            Json.ParseException e = assertThrows(Json.ParseException.class, () -> Json.parse(bad), bad);
            assertTrue(e.getMessage().startsWith("malformed JSON at line "), e.getMessage());
        }
        Json.ParseException e = assertThrows(Json.ParseException.class, () -> Json.parse("{\n  \"a\": [1, 2,, 3]\n}"));
        assertEquals("malformed JSON at line 2, column 14: expected a JSON value, found ','", e.getMessage());
    }

    @Test
    void limitsNesting() {
        String deep = "[".repeat(Json.MAX_DEPTH + 1) + "]".repeat(Json.MAX_DEPTH + 1);
        assertThrows(Json.ParseException.class, () -> Json.parse(deep));
        String ok = "[".repeat(Json.MAX_DEPTH) + "]".repeat(Json.MAX_DEPTH);
        assertThrows(Json.ParseException.class, () -> Json.parseObject(ok.getBytes()));
    }

    @Test
    void writesJavaValues() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("i", 3);
        m.put("d", 2.5);
        m.put("l", List.of("a"));
        m.put("n", null);
        assertEquals("{\"i\":3,\"d\":2.5,\"l\":[\"a\"],\"n\":null}", Json.write(m));
        assertThrows(IllegalArgumentException.class, () -> Json.write(Double.NaN));
        assertThrows(IllegalArgumentException.class, () -> Json.write(new Object()));
    }

    @Test
    void copyIsDeep() throws Exception {
        @SuppressWarnings("unchecked")
        Map<String, Object> m = (Map<String, Object>) Json.parse("{\"a\":{\"b\":[1]}}");
        @SuppressWarnings("unchecked")
        Map<String, Object> c = (Map<String, Object>) Json.copy(m);
        ((Map<String, Object>) c.get("a")).put("x", 1L);
        assertEquals("{\"a\":{\"b\":[1]}}", Json.write(m));
    }
}
