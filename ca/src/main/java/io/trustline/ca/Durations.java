package io.trustline.ca;

import java.time.Duration;
import java.time.format.DateTimeParseException;

/**
 * Trustline's one duration grammar, for policy files, {@code sidecar.yaml} and every command line: whole numbers
 * with a unit, largest unit first and each unit at most once ({@code 500ms}, {@code 30s}, {@code 5m}, {@code 1h30m},
 * {@code 1d}, {@code 2d12h}), a bare {@code 0}, or ISO-8601 ({@code PT5M}, {@code P1D}). Never negative.
 *
 * <p>Whether zero is allowed, and the range, is the caller's to check: a "no limit" setting takes {@code 0}, a
 * certificate lifetime does not.
 */
public final class Durations {

    /** The tail of every message: what the grammar accepts. */
    public static final String EXPECTED = "(expected: ms, s, m, h, d, or ISO-8601 like PT30S)";

    private static final String EXAMPLES = "(expected: a duration such as 500ms, 30s, 5m, 1h30m, 1d, or PT30S)";

    /** The units, largest first, as written and in milliseconds. */
    private static final String[] UNITS = {"d", "h", "m", "s", "ms"};

    private static final long[] UNIT_MILLIS = {86_400_000L, 3_600_000L, 60_000L, 1_000L, 1L};

    private Durations() {}

    /**
     * Parses {@code text}; leading and trailing blanks are ignored.
     *
     * @throws IllegalArgumentException whose message quotes the value, says what is wrong and ends with the
     *     accepted forms, e.g. {@code '1x': unknown unit 'x' (expected: ms, s, m, h, d, or ISO-8601 like PT30S)}
     */
    public static Duration parse(String text) {
        final String s = text.trim();
        if (s.isEmpty()) {
            throw bad(text, "empty " + EXAMPLES);
        }
        if (s.charAt(0) == '-') {
            throw bad(text, "negative " + EXAMPLES);
        }
        if (s.charAt(0) == 'P' || s.charAt(0) == 'p') {
            return iso(text, s);
        }
        if ("0".equals(s)) {
            return Duration.ZERO;
        }
        long totalMillis = 0;
        int lastUnit = -1;
        int i = 0;
        while (i < s.length()) {
            final int start = i;
            while (i < s.length() && isAsciiDigit(s.charAt(i))) {
                i++;
            }
            if (i == start) {
                throw bad(text, "expected a number at '" + s.substring(start) + "' " + EXAMPLES);
            }
            final String number = s.substring(start, i);
            final int unitStart = i;
            while (i < s.length() && Character.isLetter(s.charAt(i))) {
                i++;
            }
            final String unit = s.substring(unitStart, i);
            if (unit.isEmpty()) {
                throw bad(text, "missing unit after " + number + ' ' + EXPECTED);
            }
            final int u = unitIndex(unit);
            if (u < 0) {
                throw bad(text, "unknown unit '" + unit + "' " + EXPECTED);
            }
            if (u <= lastUnit) {
                throw bad(
                        text,
                        "'" + unit + "' after '" + UNITS[lastUnit] + "' (expected: each unit once, largest first,"
                                + " e.g. 1h30m)");
            }
            lastUnit = u;
            try {
                totalMillis = Math.addExact(totalMillis, Math.multiplyExact(Long.parseLong(number), UNIT_MILLIS[u]));
            } catch (NumberFormatException | ArithmeticException e) {
                throw bad(text, "too large (expected: at most " + Long.MAX_VALUE / UNIT_MILLIS[0] + "d)");
            }
        }
        return Duration.ofMillis(totalMillis);
    }

    /**
     * Formats {@code d} in the compact grammar, largest unit first ({@code 90s} as {@code 1m30s}, a day as
     * {@code 1d}); {@link #parse} reads it back. Zero is {@code 0}; parts below a millisecond are dropped.
     */
    public static String format(Duration d) {
        if (d.isNegative()) {
            throw new IllegalArgumentException("duration: " + d + " (expected: >= 0)");
        }
        long millis = d.toMillis();
        if (millis == 0) {
            return "0";
        }
        final StringBuilder b = new StringBuilder();
        for (int u = 0; u < UNITS.length; u++) {
            final long amount = millis / UNIT_MILLIS[u];
            if (amount > 0) {
                b.append(amount).append(UNITS[u]);
                millis -= amount * UNIT_MILLIS[u];
            }
        }
        return b.toString();
    }

    private static Duration iso(String text, String s) {
        final Duration d;
        try {
            d = Duration.parse(s);
        } catch (DateTimeParseException e) {
            // Duration.parse says "Text cannot be parsed to a Duration" (also for an overflow): no more to add.
            throw bad(text, "not an ISO-8601 duration " + EXAMPLES);
        }
        if (d.isNegative()) {
            throw bad(text, "negative " + EXAMPLES);
        }
        return d;
    }

    private static int unitIndex(String unit) {
        for (int u = 0; u < UNITS.length; u++) {
            if (UNITS[u].equals(unit)) {
                return u;
            }
        }
        return -1;
    }

    // Character.isDigit also takes other scripts' digits, which Long.parseLong would then read.
    private static boolean isAsciiDigit(char c) {
        return c >= '0' && c <= '9';
    }

    private static IllegalArgumentException bad(String text, String problem) {
        return new IllegalArgumentException("'" + text + "': " + problem);
    }
}
