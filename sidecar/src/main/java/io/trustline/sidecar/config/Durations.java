package io.trustline.sidecar.config;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Parses the compact durations used in config files: {@code 500ms}, {@code 30s}, {@code 5m}, {@code 1h}, {@code 0}. */
public final class Durations {

    private static final Pattern DURATION = Pattern.compile("(\\d+)(ms|s|m|h|d)");

    /**
     * Parses {@code text}; a bare {@code 0} means zero (used for "no limit" settings).
     *
     * @throws IllegalArgumentException naming the value and the expected form
     */
    public static Duration parse(String text) {
        final String trimmed = text.trim();
        if ("0".equals(trimmed)) {
            return Duration.ZERO;
        }
        final Matcher m = DURATION.matcher(trimmed);
        if (!m.matches()) {
            throw new IllegalArgumentException(
                    "duration: '" + text + "' (expected: a number followed by ms, s, m, h or d, e.g. 30s)");
        }
        final long amount = Long.parseLong(m.group(1));
        switch (m.group(2)) {
            case "ms":
                return Duration.ofMillis(amount);
            case "s":
                return Duration.ofSeconds(amount);
            case "m":
                return Duration.ofMinutes(amount);
            case "h":
                return Duration.ofHours(amount);
            default:
                return Duration.ofDays(amount);
        }
    }

    /** Formats {@code d} in the same compact form, choosing the largest exact unit. */
    public static String format(Duration d) {
        final long millis = d.toMillis();
        if (millis == 0) {
            return "0";
        }
        if (millis % 3_600_000 == 0) {
            return millis / 3_600_000 + "h";
        }
        if (millis % 60_000 == 0) {
            return millis / 60_000 + "m";
        }
        if (millis % 1000 == 0) {
            return millis / 1000 + "s";
        }
        return millis + "ms";
    }

    private Durations() {}
}
