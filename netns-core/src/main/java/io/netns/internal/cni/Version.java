package io.netns.internal.cni;

/** Internal use only: CNI spec versions, {@code MAJOR.MINOR.PATCH}, compared numerically. */
final class Version {
    private Version() {
    }

    /**
     * @param v a version text
     * @return its three numbers, or null when it is not {@code MAJOR.MINOR.PATCH}
     */
    static int[] parse(String v) {
        String[] p = v.split("\\.", -1);
        if (p.length != 3) {
            return null;
        }
        int[] out = new int[3];
        for (int i = 0; i < 3; i++) {
            if (p[i].isEmpty() || p[i].length() > 6 || !p[i].chars().allMatch(c -> c >= '0' && c <= '9')) {
                return null;
            }
            out[i] = Integer.parseInt(p[i]);
        }
        return out;
    }

    /**
     * @param a a valid version
     * @param b a valid version
     * @return negative, zero or positive as {@code a} is older, equal or newer
     */
    static int compare(String a, String b) {
        int[] x = parse(a);
        int[] y = parse(b);
        if (x == null || y == null) {
            throw new IllegalArgumentException("not a CNI version: " + (x == null ? a : b));
        }
        for (int i = 0; i < 3; i++) {
            if (x[i] != y[i]) {
                return Integer.compare(x[i], y[i]);
            }
        }
        return 0;
    }

    /**
     * @param v a valid version
     * @param min a valid version
     * @return whether {@code v >= min}
     */
    static boolean atLeast(String v, String min) {
        return compare(v, min) >= 0;
    }
}
