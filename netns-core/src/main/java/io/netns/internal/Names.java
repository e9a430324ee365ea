package io.netns.internal;

/**
 * Internal use only: the one rule for names of namespaces, sandboxes and bridge networks.
 *
 * <p>A name becomes a file under {@code /run/netns}, part of a firewall rule's comment and of
 * diagnostic commands a person pastes into a shell, so it is held to a short whitelist: 1 to 64
 * characters from {@code [A-Za-z0-9_.-]}, starting with a letter or digit. That excludes {@code /},
 * {@code ..}, spaces, quotes and every control character by construction.
 */
public final class Names {
    /** The longest name accepted. */
    public static final int MAX_LENGTH = 64;

    private Names() {
    }

    /**
     * Checks a name.
     *
     * @param what what the name is for, e.g. {@code "namespace name"}
     * @param name the name
     * @return the name
     * @throws IllegalArgumentException naming the value and the rule it breaks
     */
    public static String check(String what, String name) {
        if (name == null) {
            throw new IllegalArgumentException(what + " must not be null");
        }
        if (name.isEmpty()) {
            throw new IllegalArgumentException(what + " must not be empty: \"\"");
        }
        if (name.length() > MAX_LENGTH) {
            throw new IllegalArgumentException(what + " must be at most " + MAX_LENGTH + " characters, got "
                    + name.length() + ": \"" + printable(name.substring(0, 20)) + "...\"");
        }
        char first = name.charAt(0);
        if (!Character.isLetterOrDigit(first) || first > 127) {
            throw new IllegalArgumentException(what + " must start with a letter or digit: \"" + printable(name) + "\"");
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || c == '_' || c == '.' || c == '-';
            if (!ok) {
                throw new IllegalArgumentException(what + " may contain only letters, digits, '_', '.' and '-': \""
                        + printable(name) + "\" has " + describe(c) + " at index " + i);
            }
        }
        return name;
    }

    /**
     * Renders a string with control characters escaped, for error messages.
     *
     * @param s the string
     * @return the string with control characters as {@code \n}, {@code \t} or {@code \\uXXXX}
     */
    public static String printable(String s) {
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\n') {
                b.append("\\n");
            } else if (c == '\t') {
                b.append("\\t");
            } else if (c < 0x20 || c == 0x7f) {
                b.append(String.format("\\u%04x", (int) c));
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }

    private static String describe(char c) {
        if (c == '/') {
            return "'/'";
        }
        if (c < 0x20 || c == 0x7f) {
            return "a control character (" + printable(String.valueOf(c)) + ")";
        }
        return "'" + c + "'";
    }
}
