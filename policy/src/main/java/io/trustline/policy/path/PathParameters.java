package io.trustline.policy.path;

import com.fasterxml.jackson.annotation.JsonCreator;
import java.util.Locale;

/**
 * What the path normaliser does with path parameters ({@code ;} in a segment, as in {@code /a;jsessionid=1/b}).
 * Servlet containers and Spring drop {@code ;...} before routing, so a path that still carries one would be matched
 * by policy in one shape and served by the app in another.
 */
public enum PathParameters {
    /** A raw {@code ;} anywhere in the path is refused (the default: nothing ambiguous reaches policy or the app). */
    REJECT,
    /** {@code ;...} is cut from every segment before dot segments are resolved, for matching AND forwarding. */
    STRIP;

    /** Parses {@code reject} or {@code strip} (any case), as written in a listener's configuration. */
    @JsonCreator
    public static PathParameters parse(String text) {
        for (PathParameters p : values()) {
            if (p.name().equalsIgnoreCase(text)) {
                return p;
            }
        }
        throw new IllegalArgumentException("'" + text + "' (expected: reject, strip)");
    }

    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }
}
