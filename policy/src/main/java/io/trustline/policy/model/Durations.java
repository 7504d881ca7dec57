package io.trustline.policy.model;

import java.time.Duration;

/** The duration syntax of policy files: {@code 500ms}, {@code 30s}, {@code 5m}, {@code 1h}, {@code 1h30m}. */
public final class Durations {

    private Durations() {}

    /**
     * Parses a sequence of whole numbers with units {@code ms}, {@code s}, {@code m}, {@code h}.
     *
     * @throws IllegalArgumentException with {@code "(expected: a duration such as ...)"}
     */
    public static Duration parse(String s) {
        Duration total = Duration.ZERO;
        int i = 0;
        int n = s.length();
        if (n == 0) {
            throw bad(s);
        }
        while (i < n) {
            int start = i;
            while (i < n && Character.isDigit(s.charAt(i))) {
                i++;
            }
            if (i == start || i - start > 9) {
                throw bad(s);
            }
            long v = Long.parseLong(s.substring(start, i));
            if (s.startsWith("ms", i)) {
                total = total.plusMillis(v);
                i += 2;
            } else if (i < n && s.charAt(i) == 's') {
                total = total.plusSeconds(v);
                i++;
            } else if (i < n && s.charAt(i) == 'm') {
                total = total.plusMinutes(v);
                i++;
            } else if (i < n && s.charAt(i) == 'h') {
                total = total.plusHours(v);
                i++;
            } else {
                throw bad(s);
            }
        }
        return total;
    }

    /** The shortest form {@link #parse} reads back, e.g. {@code 90s} as {@code 1m30s}. */
    public static String format(Duration d) {
        if (d.isZero()) {
            return "0s";
        }
        StringBuilder b = new StringBuilder();
        long h = d.toHours();
        int m = d.toMinutesPart();
        int s = d.toSecondsPart();
        int ms = d.toMillisPart();
        if (h > 0) {
            b.append(h).append('h');
        }
        if (m > 0) {
            b.append(m).append('m');
        }
        if (s > 0) {
            b.append(s).append('s');
        }
        if (ms > 0) {
            b.append(ms).append("ms");
        }
        return b.toString();
    }

    private static IllegalArgumentException bad(String s) {
        return new IllegalArgumentException("'" + s + "' (expected: a duration such as 500ms, 30s, 5m or 1h)");
    }
}
