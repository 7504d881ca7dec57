package io.trustline.policy.engine;

import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Case-insensitive access to a request's headers, so the sidecar can pass its own header object
 * without copying it ({@code name -> headers.get(name)} with Armeria's {@code RequestHeaders}).
 */
@FunctionalInterface
public interface HeaderLookup {

    /** No headers at all. */
    HeaderLookup NONE = name -> null;

    /**
     * The first value of a header, or null when absent.
     *
     * @param name a lower-case header name
     */
    @Nullable
    String get(String name);

    /**
     * Every value of a header, for checks that must see all of them ({@code headerRegex}); the default has only
     * the first.
     *
     * @param name a lower-case header name
     */
    default List<String> all(String name) {
        String v = get(name);
        return v == null ? List.of() : List.of(v);
    }

    /** The number of header fields, for {@code requestLimits.maxHeaderCount}; -1 when unknown. */
    default int count() {
        return -1;
    }

    /** A lookup over a plain map whose keys may be in any case (for tests and the CLI). */
    static HeaderLookup of(Map<String, String> headers) {
        if (headers.isEmpty()) {
            return NONE;
        }
        Map<String, String> lower = new HashMap<>();
        headers.forEach((k, v) -> lower.put(k.toLowerCase(Locale.ROOT), v));
        return new HeaderLookup() {
            @Override
            public @Nullable String get(String name) {
                return lower.get(name);
            }

            @Override
            public int count() {
                return lower.size();
            }
        };
    }
}
