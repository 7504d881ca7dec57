package io.trustline.sidecar.config;

import java.time.Duration;

/**
 * The durations of {@code sidecar.yaml}, in Trustline's one grammar ({@link io.trustline.ca.Durations}); this class
 * only keeps the config reader's call sites in its own package.
 */
public final class Durations {

    /**
     * Parses {@code text}, e.g. {@code 500ms}, {@code 1h30m}, {@code 1d} or {@code PT5M}; a bare {@code 0} means zero
     * (used for "no limit" settings).
     *
     * @throws IllegalArgumentException naming the value and the expected form
     */
    public static Duration parse(String text) {
        return io.trustline.ca.Durations.parse(text);
    }

    /** Formats {@code d} in the same grammar, largest unit first ({@code 1m30s}). */
    public static String format(Duration d) {
        return io.trustline.ca.Durations.format(d);
    }

    private Durations() {}
}
