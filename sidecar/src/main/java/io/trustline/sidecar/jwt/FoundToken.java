package io.trustline.sidecar.jwt;

import io.trustline.policy.model.TokenSource;
import org.jspecify.annotations.Nullable;

/**
 * A token as found on a request, before any check. It keeps the header value it was found in and the token's place
 * in it, so a token the cache has seen is checked without copying it: the text is cut out only when it has to be
 * parsed ({@link #value()}).
 */
public final class FoundToken {

    private final String text;
    private final int start;
    private final int end;
    private final @Nullable TokenSource source;
    private final @Nullable String queryParam;

    /**
     * A token whose text is {@code value}.
     *
     * @param value the token text (the prefix such as {@code "Bearer "} removed)
     * @param source the header and prefix it was read from, or null when it came from the query
     * @param queryParam the query parameter it was read from, or null when it came from a header
     */
    public FoundToken(String value, @Nullable TokenSource source, @Nullable String queryParam) {
        this(value, 0, value.length(), source, queryParam);
    }

    private FoundToken(String text, int start, int end, @Nullable TokenSource source, @Nullable String queryParam) {
        this.text = text;
        this.start = start;
        this.end = end;
        this.source = source;
        this.queryParam = queryParam;
    }

    /** A token read from {@code Authorization: Bearer}. */
    public static FoundToken bearer(String value) {
        return new FoundToken(value, TokenSource.AUTHORIZATION_BEARER, null);
    }

    /**
     * The token in the header value {@code headerValue}, read by {@code source}: what follows its prefix, without
     * the white space around it (as {@link String#strip()} takes it away).
     */
    static FoundToken inHeader(String headerValue, TokenSource source) {
        int from = source.prefix().length();
        int to = headerValue.length();
        while (from < to && Character.isWhitespace(headerValue.charAt(from))) {
            from++;
        }
        while (to > from && Character.isWhitespace(headerValue.charAt(to - 1))) {
            to--;
        }
        return new FoundToken(headerValue, from, to, source, null);
    }

    /** The token text (the prefix such as {@code "Bearer "} removed). */
    public String value() {
        return start == 0 && end == text.length() ? text : text.substring(start, end);
    }

    /** The length of {@link #value()}, without cutting it out. */
    public int length() {
        return end - start;
    }

    /** The header and prefix it was read from, or null when it came from the query. */
    public @Nullable TokenSource source() {
        return source;
    }

    /** The query parameter it was read from, or null when it came from a header. */
    public @Nullable String queryParam() {
        return queryParam;
    }

    /** The verified-token cache's key for this token, hashed where it lies. */
    TokenHash hash() {
        return TokenHash.of(text, start, end);
    }

    @Override
    public String toString() {
        // Never the token itself.
        return "FoundToken{" + (source != null ? source.header() : "?" + queryParam) + ", " + length() + " chars}";
    }
}
