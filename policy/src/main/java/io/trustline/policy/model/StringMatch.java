package io.trustline.policy.model;

import static java.util.Objects.requireNonNull;

import org.jspecify.annotations.Nullable;

/**
 * One string pattern as policies write it: exact ({@code abc}), prefix ({@code abc*}), suffix
 * ({@code *abc}) or presence ({@code *}). These are the only forms: a {@code *} anywhere else (for
 * example {@code /api/*}{@code /items}) is rejected by {@link #parse} instead of being read as a
 * literal star, which would silently never match. Matching is case-sensitive.
 */
public record StringMatch(Kind kind, String value) {

    public enum Kind {
        EXACT,
        PREFIX,
        SUFFIX,
        /** The value is present (any value, including empty). */
        PRESENT
    }

    private static final StringMatch PRESENT_MATCH = new StringMatch(Kind.PRESENT, "");

    public StringMatch {
        requireNonNull(kind, "kind");
        requireNonNull(value, "value");
    }

    /**
     * Parses a pattern.
     *
     * @throws IllegalArgumentException if the pattern is empty or has a {@code *} that is not a
     *     single leading or trailing one
     */
    public static StringMatch parse(String pattern) {
        requireNonNull(pattern, "pattern");
        if (pattern.equals("*")) {
            return PRESENT_MATCH;
        }
        int star = pattern.indexOf('*');
        if (pattern.isEmpty()
                || (star >= 0 && star != 0 && star != pattern.length() - 1)
                || pattern.indexOf('*', star + 1) >= 0) {
            throw new IllegalArgumentException(
                    "'" + pattern + "' (expected: exact, 'prefix*', '*suffix' or '*'; a '*' matches only at one end)");
        }
        if (star < 0) {
            return new StringMatch(Kind.EXACT, pattern);
        }
        return star == 0
                ? new StringMatch(Kind.SUFFIX, pattern.substring(1))
                : new StringMatch(Kind.PREFIX, pattern.substring(0, pattern.length() - 1));
    }

    public static StringMatch exact(String value) {
        return new StringMatch(Kind.EXACT, value);
    }

    /** Whether {@code s} matches; an absent value ({@code null}) never matches, not even {@code *}. */
    public boolean matches(@Nullable String s) {
        if (s == null) {
            return false;
        }
        return switch (kind) {
            case EXACT -> s.equals(value);
            case PREFIX -> s.startsWith(value);
            case SUFFIX -> s.endsWith(value);
            case PRESENT -> true;
        };
    }

    /** The pattern as written. */
    @Override
    public String toString() {
        return switch (kind) {
            case EXACT -> value;
            case PREFIX -> value + '*';
            case SUFFIX -> '*' + value;
            case PRESENT -> "*";
        };
    }
}
