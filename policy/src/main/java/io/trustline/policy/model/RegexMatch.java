package io.trustline.policy.model;

import static java.util.Objects.requireNonNull;

import com.google.re2j.Pattern;
import com.google.re2j.PatternSyntaxException;
import org.jspecify.annotations.Nullable;

/**
 * One regular expression of a DENY rule ({@code pathRegex}, {@code queryRegex}, {@code headerRegex}), compiled with
 * RE2/J: matching takes time linear in the input whatever the pattern, so a pattern such as {@code (a+)+$} cannot
 * be turned against the sidecar (no backtracking). The pattern is searched for anywhere in the value, as {@code
 * Matcher.find} does: anchor it with {@code ^...$} to match a whole value. Matching is case-sensitive unless the
 * pattern starts with {@code (?i)}.
 *
 * <p>Values longer than {@link #MAX_INPUT_CHARS} are not searched at all: they count as a match, so a DENY rule
 * that looks at them refuses the request (fail closed: a payload cannot hide past a prefix).
 */
public final class RegexMatch {

    /** The longest value searched; a longer one counts as a match. */
    public static final int MAX_INPUT_CHARS = 8192;

    /** The longest pattern accepted: patterns are written by people, and RE2 programs grow with them. */
    public static final int MAX_PATTERN_CHARS = 1000;

    private final String pattern;
    private final Pattern compiled;

    private RegexMatch(String pattern, Pattern compiled) {
        this.pattern = pattern;
        this.compiled = compiled;
    }

    /**
     * Compiles a pattern.
     *
     * @throws IllegalArgumentException naming the problem when the pattern is not valid RE2 syntax or too long
     */
    public static RegexMatch compile(String pattern) {
        requireNonNull(pattern, "pattern");
        if (pattern.isEmpty()) {
            throw new IllegalArgumentException("empty pattern (expected: an RE2 regular expression)");
        }
        if (pattern.length() > MAX_PATTERN_CHARS) {
            throw new IllegalArgumentException(
                    pattern.length() + " characters (expected: at most " + MAX_PATTERN_CHARS + ")");
        }
        try {
            return new RegexMatch(pattern, Pattern.compile(pattern));
        } catch (PatternSyntaxException e) {
            throw new IllegalArgumentException(
                    "'" + pattern + "' is not an RE2 regular expression (" + e.getDescription() + ")");
        }
    }

    /** Whether the pattern occurs in {@code value}; an absent value never matches, an over-long one always does. */
    public boolean matches(@Nullable String value) {
        if (value == null) {
            return false;
        }
        return value.length() > MAX_INPUT_CHARS || compiled.matcher(value).find();
    }

    /** The pattern as written. */
    public String pattern() {
        return pattern;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof RegexMatch r && r.pattern.equals(pattern);
    }

    @Override
    public int hashCode() {
        return pattern.hashCode();
    }

    @Override
    public String toString() {
        return pattern;
    }
}
