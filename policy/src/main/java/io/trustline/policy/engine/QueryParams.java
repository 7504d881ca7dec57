package io.trustline.policy.engine;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * A request's query, decoded only when a rule asks for a parameter ({@code queryRegex}), then kept for the rest of
 * the request: a request that no such rule looks at never pays for parsing. Parameters are split on {@code &}, each
 * on its first {@code =} (no {@code =}: the value is empty); names and values are decoded once as
 * {@code application/x-www-form-urlencoded} ({@code +} is a space, {@code %XX} are UTF-8 bytes; a malformed
 * {@code %} sequence stays as written, invalid UTF-8 becomes U+FFFD). Not thread-safe: one per request.
 */
public final class QueryParams {

    /** No query at all. */
    public static final QueryParams NONE = new QueryParams(null);

    private final @Nullable String raw;
    private @Nullable List<String> decoded;

    private QueryParams(@Nullable String raw) {
        this.raw = raw;
    }

    /** The query after {@code ?} as sent (without it), or null when the request had none. */
    public static QueryParams of(@Nullable String raw) {
        return raw == null || raw.isEmpty() ? NONE : new QueryParams(raw);
    }

    /** The raw query, or null. */
    public @Nullable String raw() {
        return raw;
    }

    /** The number of parameters, counted without decoding (empty pieces between {@code &&} do not count). */
    public static int count(@Nullable String raw) {
        if (raw == null || raw.isEmpty()) {
            return 0;
        }
        int n = 0;
        int start = 0;
        for (int i = 0; i <= raw.length(); i++) {
            if (i == raw.length() || raw.charAt(i) == '&') {
                if (i > start) {
                    n++;
                }
                start = i + 1;
            }
        }
        return n;
    }

    /** Decoded names and values, alternating: name0, value0, name1, value1, ... */
    public List<String> decoded() {
        List<String> d = decoded;
        if (d == null) {
            d = parse(raw);
            decoded = d;
        }
        return d;
    }

    /** The decoded values of parameter {@code name} (decoded name, exact); empty when absent. */
    public List<String> values(String name) {
        List<String> d = decoded();
        List<String> out = null;
        for (int i = 0; i < d.size(); i += 2) {
            if (d.get(i).equals(name)) {
                if (out == null) {
                    out = new ArrayList<>(2);
                }
                out.add(d.get(i + 1));
            }
        }
        return out == null ? List.of() : out;
    }

    private static List<String> parse(@Nullable String raw) {
        if (raw == null || raw.isEmpty()) {
            return List.of();
        }
        List<String> out = new ArrayList<>();
        int start = 0;
        for (int i = 0; i <= raw.length(); i++) {
            if (i == raw.length() || raw.charAt(i) == '&') {
                if (i > start) {
                    int eq = raw.indexOf('=', start);
                    if (eq < 0 || eq > i) {
                        out.add(decode(raw, start, i, true));
                        out.add("");
                    } else {
                        out.add(decode(raw, start, eq, true));
                        out.add(decode(raw, eq + 1, i, true));
                    }
                }
                start = i + 1;
            }
        }
        return out;
    }

    /**
     * Percent-decodes {@code s[start, end)} as UTF-8; with {@code form}, {@code +} is a space. Returns the same
     * characters (no copy for the whole string) when there is nothing to decode.
     */
    public static String decode(String s, int start, int end, boolean form) {
        int i = start;
        while (i < end) {
            char c = s.charAt(i);
            if (c == '%' || (form && c == '+')) {
                break;
            }
            i++;
        }
        if (i == end) {
            return start == 0 && end == s.length() ? s : s.substring(start, end);
        }
        StringBuilder out = new StringBuilder(end - start);
        out.append(s, start, i);
        ByteBuffer bytes = null;
        while (i < end) {
            char c = s.charAt(i);
            if (isEscape(s, i, end)) {
                if (bytes == null) {
                    bytes = ByteBuffer.allocate(end - start);
                }
                bytes.clear();
                while (isEscape(s, i, end)) {
                    bytes.put((byte) (hex(s.charAt(i + 1)) << 4 | hex(s.charAt(i + 2))));
                    i += 3;
                }
                bytes.flip();
                out.append(utf8(bytes));
            } else {
                out.append(form && c == '+' ? ' ' : c);
                i++;
            }
        }
        return out.toString();
    }

    /** A normalised path with its remaining percent-encodings decoded (as UTF-8), for {@code pathRegex}. */
    public static String decodePath(String path) {
        return path.indexOf('%') < 0 ? path : decode(path, 0, path.length(), false);
    }

    private static boolean isEscape(String s, int i, int end) {
        return i + 2 < end && s.charAt(i) == '%' && hex(s.charAt(i + 1)) >= 0 && hex(s.charAt(i + 2)) >= 0;
    }

    private static CharBuffer utf8(ByteBuffer bytes) {
        CharsetDecoder d = StandardCharsets.UTF_8
                .newDecoder()
                .onMalformedInput(CodingErrorAction.REPLACE)
                .onUnmappableCharacter(CodingErrorAction.REPLACE);
        try {
            return d.decode(bytes);
        } catch (java.nio.charset.CharacterCodingException e) {
            throw new IllegalStateException("REPLACE never throws", e);
        }
    }

    private static int hex(char c) {
        if (c >= '0' && c <= '9') {
            return c - '0';
        }
        if (c >= 'a' && c <= 'f') {
            return c - 'a' + 10;
        }
        if (c >= 'A' && c <= 'F') {
            return c - 'A' + 10;
        }
        return -1;
    }

    @Override
    public String toString() {
        return raw == null ? "" : raw;
    }
}
