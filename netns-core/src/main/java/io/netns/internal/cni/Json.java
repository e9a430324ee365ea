package io.netns.internal.cni;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Internal use only: the small JSON reader and writer of the CNI runtime (RFC 8259), so that netns-core
 * needs no JSON library. Values are plain Java objects: {@code Map<String, Object>} (a
 * {@link LinkedHashMap}, keys in document order, a repeated key's last value wins, as Go's
 * {@code encoding/json} does), {@code List<Object>}, {@link String}, {@link Boolean}, {@code null}, and
 * numbers as {@link Long} when integral and in range, else {@link BigDecimal} (no precision is lost, so a
 * plugin's configuration passes through unchanged).
 *
 * <p>The reader is strict: one value, nothing but white space after it, no comments, no trailing commas,
 * no leading zeros, no raw control characters in strings, at most {@value #MAX_DEPTH} levels of nesting.
 * A violation throws {@link Json.ParseException} naming the line, the column and what was expected.
 */
public final class Json {
    /** Deepest nesting accepted, against stack exhaustion on hostile input. */
    public static final int MAX_DEPTH = 256;

    /** Malformed JSON: the message names where and what. */
    public static final class ParseException extends Exception {
        private static final long serialVersionUID = 1L;

        ParseException(String message) {
            super(message);
        }
    }

    private final String text;
    private int pos;
    private int depth;

    private Json(String text) {
        this.text = text;
    }

    /**
     * @param bytes UTF-8 JSON text
     * @return the value
     * @throws ParseException if it is not exactly one JSON value
     */
    public static Object parse(byte[] bytes) throws ParseException {
        return parse(new String(bytes, StandardCharsets.UTF_8));
    }

    /**
     * @param text JSON text
     * @return the value
     * @throws ParseException if it is not exactly one JSON value
     */
    public static Object parse(String text) throws ParseException {
        Json p = new Json(text);
        p.skipSpace();
        if (p.pos < text.length() && text.charAt(p.pos) == '\uFEFF') {
            throw p.error("a JSON value (a byte order mark is not allowed)");
        }
        Object v = p.value();
        p.skipSpace();
        if (p.pos != text.length()) {
            throw p.error("the end of the text after the value");
        }
        return v;
    }

    /**
     * @param text JSON text
     * @return the object it holds
     * @throws ParseException if it is not one JSON object
     */
    @SuppressWarnings("unchecked")
    public static Map<String, Object> parseObject(byte[] text) throws ParseException {
        Object v = parse(text);
        if (!(v instanceof Map)) {
            throw new ParseException("expected a JSON object, found " + typeName(v));
        }
        return (Map<String, Object>) v;
    }

    /**
     * @param value a value of the types above
     * @return its compact JSON text
     * @throws IllegalArgumentException if it holds another type, or a non-finite number
     */
    public static String write(Object value) {
        StringBuilder b = new StringBuilder(256);
        write(b, value);
        return b.toString();
    }

    /**
     * @param value a value of the types above
     * @return its compact JSON text, UTF-8
     */
    public static byte[] writeBytes(Object value) {
        return write(value).getBytes(StandardCharsets.UTF_8);
    }

    /**
     * @param v a value
     * @return its JSON type's name, for messages: object, array, string, number, boolean, null
     */
    public static String typeName(Object v) {
        if (v == null) {
            return "null";
        }
        if (v instanceof Map) {
            return "object";
        }
        if (v instanceof List) {
            return "array";
        }
        if (v instanceof String) {
            return "string";
        }
        if (v instanceof Number) {
            return "number";
        }
        if (v instanceof Boolean) {
            return "boolean";
        }
        return v.getClass().getSimpleName();
    }

    /**
     * A deep copy, so a caller may change a configuration without touching the one loaded.
     *
     * @param v a value
     * @return the copy (strings, numbers, booleans are immutable and shared)
     */
    @SuppressWarnings("unchecked")
    public static Object copy(Object v) {
        if (v instanceof Map) {
            Map<String, Object> out = new LinkedHashMap<>();
            ((Map<String, Object>) v).forEach((k, x) -> out.put(k, copy(x)));
            return out;
        }
        if (v instanceof List) {
            List<Object> out = new ArrayList<>();
            for (Object x : (List<Object>) v) {
                out.add(copy(x));
            }
            return out;
        }
        return v;
    }

    private static void write(StringBuilder b, Object v) {
        if (v == null) {
            b.append("null");
        } else if (v instanceof String) {
            quote(b, (String) v);
        } else if (v instanceof Boolean) {
            b.append(v);
        } else if (v instanceof Long || v instanceof Integer || v instanceof Short || v instanceof Byte) {
            b.append(((Number) v).longValue());
        } else if (v instanceof BigDecimal) {
            b.append(v);
        } else if (v instanceof Double || v instanceof Float) {
            double d = ((Number) v).doubleValue();
            if (Double.isNaN(d) || Double.isInfinite(d)) {
                throw new IllegalArgumentException("JSON has no " + d);
            }
            b.append(BigDecimal.valueOf(d).stripTrailingZeros());
        } else if (v instanceof Map) {
            b.append('{');
            boolean first = true;
            for (Map.Entry<?, ?> e : ((Map<?, ?>) v).entrySet()) {
                if (!first) {
                    b.append(',');
                }
                first = false;
                quote(b, String.valueOf(e.getKey()));
                b.append(':');
                write(b, e.getValue());
            }
            b.append('}');
        } else if (v instanceof List) {
            b.append('[');
            boolean first = true;
            for (Object x : (List<?>) v) {
                if (!first) {
                    b.append(',');
                }
                first = false;
                write(b, x);
            }
            b.append(']');
        } else {
            throw new IllegalArgumentException("not a JSON value: " + v.getClass().getName());
        }
    }

    private static void quote(StringBuilder b, String s) {
        b.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                case '\b' -> b.append("\\b");
                case '\f' -> b.append("\\f");
                default -> {
                    if (c < 0x20 || c == '\u2028' || c == '\u2029') {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        b.append('"');
    }

    // ---- reader

    private Object value() throws ParseException {
        skipSpace();
        if (pos >= text.length()) {
            throw error("a JSON value");
        }
        char c = text.charAt(pos);
        switch (c) {
            case '{':
                return object();
            case '[':
                return array();
            case '"':
                return string();
            case 't':
                return literal("true", Boolean.TRUE);
            case 'f':
                return literal("false", Boolean.FALSE);
            case 'n':
                return literal("null", null);
            default:
                if (c == '-' || (c >= '0' && c <= '9')) {
                    return number();
                }
                throw error("a JSON value");
        }
    }

    private Map<String, Object> object() throws ParseException {
        enter();
        pos++; // {
        Map<String, Object> m = new LinkedHashMap<>();
        skipSpace();
        if (peek() == '}') {
            pos++;
            depth--;
            return m;
        }
        while (true) {
            skipSpace();
            if (peek() != '"') {
                throw error("a string key");
            }
            String key = string();
            skipSpace();
            expect(':');
            Object v = value();
            m.remove(key); // a repeated key: the last one wins, in its own place
            m.put(key, v);
            skipSpace();
            char c = peek();
            pos++;
            if (c == '}') {
                depth--;
                return m;
            }
            if (c != ',') {
                pos--;
                throw error("',' or '}' in an object");
            }
        }
    }

    private List<Object> array() throws ParseException {
        enter();
        pos++; // [
        List<Object> l = new ArrayList<>();
        skipSpace();
        if (peek() == ']') {
            pos++;
            depth--;
            return l;
        }
        while (true) {
            l.add(value());
            skipSpace();
            char c = peek();
            pos++;
            if (c == ']') {
                depth--;
                return l;
            }
            if (c != ',') {
                pos--;
                throw error("',' or ']' in an array");
            }
        }
    }

    private void enter() throws ParseException {
        if (++depth > MAX_DEPTH) {
            throw error("at most " + MAX_DEPTH + " levels of nesting");
        }
    }

    private String string() throws ParseException {
        pos++; // "
        StringBuilder b = null;
        int start = pos;
        while (true) {
            if (pos >= text.length()) {
                throw error("the closing '\"' of a string");
            }
            char c = text.charAt(pos);
            if (c == '"') {
                String s = b == null ? text.substring(start, pos) : b.append(text, start, pos).toString();
                pos++;
                return s;
            }
            if (c < 0x20) {
                throw error("no raw control character (U+" + String.format("%04X", (int) c) + ") in a string");
            }
            if (c != '\\') {
                pos++;
                continue;
            }
            if (b == null) {
                b = new StringBuilder();
            }
            b.append(text, start, pos);
            pos++;
            if (pos >= text.length()) {
                throw error("an escape after '\\'");
            }
            char e = text.charAt(pos++);
            switch (e) {
                case '"' -> b.append('"');
                case '\\' -> b.append('\\');
                case '/' -> b.append('/');
                case 'b' -> b.append('\b');
                case 'f' -> b.append('\f');
                case 'n' -> b.append('\n');
                case 'r' -> b.append('\r');
                case 't' -> b.append('\t');
                case 'u' -> {
                    if (pos + 4 > text.length()) {
                        throw error("four hex digits after \\u");
                    }
                    int cp = 0;
                    for (int i = 0; i < 4; i++) {
                        int d = Character.digit(text.charAt(pos + i), 16);
                        if (d < 0) {
                            pos += i;
                            throw error("four hex digits after \\u");
                        }
                        cp = cp * 16 + d;
                    }
                    pos += 4;
                    b.append((char) cp);
                }
                default -> {
                    pos--;
                    throw error("a valid escape (\\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX), not \\" + e);
                }
            }
            start = pos;
        }
    }

    private Object number() throws ParseException {
        int start = pos;
        if (peek() == '-') {
            pos++;
        }
        if (peek() == '0') {
            pos++;
            if (isDigit(peek())) {
                throw error("no leading zero in a number");
            }
        } else if (isDigit(peek())) {
            digits();
        } else {
            throw error("a digit");
        }
        boolean integral = true;
        if (peek() == '.') {
            pos++;
            integral = false;
            if (!isDigit(peek())) {
                throw error("a digit after '.'");
            }
            digits();
        }
        if (peek() == 'e' || peek() == 'E') {
            pos++;
            integral = false;
            if (peek() == '+' || peek() == '-') {
                pos++;
            }
            if (!isDigit(peek())) {
                throw error("a digit in the exponent");
            }
            digits();
        }
        String s = text.substring(start, pos);
        if (integral && s.length() <= 18) {
            return Long.parseLong(s);
        }
        BigDecimal d = new BigDecimal(s);
        if (integral) {
            try {
                return d.longValueExact();
            } catch (ArithmeticException tooBig) {
                return d;
            }
        }
        return d;
    }

    private void digits() {
        while (isDigit(peek())) {
            pos++;
        }
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    private Object literal(String word, Object v) throws ParseException {
        if (!text.startsWith(word, pos)) {
            throw error("a JSON value");
        }
        pos += word.length();
        return v;
    }

    private void expect(char c) throws ParseException {
        if (peek() != c) {
            throw error("'" + c + "'");
        }
        pos++;
    }

    private char peek() {
        return pos < text.length() ? text.charAt(pos) : '\0';
    }

    private void skipSpace() {
        while (pos < text.length()) {
            char c = text.charAt(pos);
            if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
                return;
            }
            pos++;
        }
    }

    private ParseException error(String expected) {
        int line = 1;
        int col = 1;
        for (int i = 0; i < pos && i < text.length(); i++) {
            if (text.charAt(i) == '\n') {
                line++;
                col = 1;
            } else {
                col++;
            }
        }
        String found = pos >= text.length() ? "the end of the text"
                : "'" + (text.charAt(pos) < 0x20 ? String.format("\\u%04x", (int) text.charAt(pos))
                        : String.valueOf(text.charAt(pos))) + "'";
        return new ParseException("malformed JSON at line " + line + ", column " + col + ": expected " + expected
                + ", found " + found);
    }
}
