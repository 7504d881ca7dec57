package io.trustline.sidecar.jwt;

import io.netty.util.AsciiString;
import java.util.Collection;
import java.util.Date;
import org.jspecify.annotations.Nullable;

/**
 * A request header the app receives from a verified claim ({@code claimsToHeaders}).
 *
 * @param header the lower-case header name
 * @param value the claim as text
 */
public record ClaimHeaderValue(AsciiString header, String value) {

    /**
     * The header text of a claim: strings as they are, numbers and booleans as JSON writes them, times as seconds
     * since the epoch, arrays of those joined with {@code ","}. Null (no header) for objects, nulls, and any text
     * with control characters, which cannot be a header value.
     */
    static @Nullable String render(@Nullable Object claim) {
        if (claim instanceof Collection<?> list) {
            final StringBuilder sb = new StringBuilder();
            for (Object item : list) {
                final String s = scalar(item);
                if (s == null) {
                    return null;
                }
                if (sb.length() > 0) {
                    sb.append(',');
                }
                sb.append(s);
            }
            return sb.length() > 0 ? sb.toString() : null;
        }
        return scalar(claim);
    }

    private static @Nullable String scalar(@Nullable Object v) {
        if (v instanceof String s) {
            return isHeaderSafe(s) ? s : null;
        }
        if (v instanceof Number || v instanceof Boolean) {
            return v.toString();
        }
        if (v instanceof Date d) {
            return Long.toString(d.getTime() / 1000);
        }
        return null;
    }

    private static boolean isHeaderSafe(String s) {
        for (int i = 0; i < s.length(); i++) {
            final char c = s.charAt(i);
            if ((c < 0x20 && c != '\t') || c == 0x7f) {
                return false;
            }
        }
        return true;
    }
}
