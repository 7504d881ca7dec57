package io.trustline.policy.path;

/**
 * Normalises a request target's path before policy matching; the sidecar forwards the result, so
 * the app sees exactly the path that was authorised ({@code /api/../admin} cannot reach {@code
 * /admin} past a rule on {@code /api/*}).
 *
 * <p>In order:
 *
 * <ol>
 *   <li>the query ({@code ?...}) is split off and kept byte for byte;
 *   <li>the path must start with {@code /} and hold only RFC 3986 path characters: control
 *       characters, spaces, raw backslashes, non-ASCII and characters such as {@code "<>{}|^`#}
 *       are rejected;
 *   <li>percent-encodings must be two hex digits; an encoded unreserved character ({@code
 *       A-Za-z0-9-._~}) is decoded, an encoded {@code /} ({@code %2F}), backslash ({@code %5C}) or
 *       control character ({@code %00}-{@code %1F}, {@code %7F}) is rejected (a backend would read
 *       them as a separator or a terminator that the policy never saw), and every other encoding
 *       is kept with upper-case hex;
 *   <li>repeated slashes are merged;
 *   <li>{@code .} and {@code ..} segments are resolved; {@code ..} never climbs above the root.
 * </ol>
 *
 * <p>Stateless and thread-safe; a path that needs no change is returned without copying.
 */
public final class PathNormalizer {

    private static final boolean[] PCHAR = new boolean[128];

    static {
        for (char c = 'a'; c <= 'z'; c++) {
            PCHAR[c] = true;
        }
        for (char c = 'A'; c <= 'Z'; c++) {
            PCHAR[c] = true;
        }
        for (char c = '0'; c <= '9'; c++) {
            PCHAR[c] = true;
        }
        for (char c : "-._~!$&'()*+,;=:@/%".toCharArray()) {
            PCHAR[c] = true;
        }
    }

    private PathNormalizer() {}

    /** Normalises {@code pathAndQuery} (origin-form, as in HTTP/1.1's request line or h2's {@code :path}). */
    public static NormalizedPath normalize(String pathAndQuery) {
        int q = pathAndQuery.indexOf('?');
        String query = q < 0 ? null : pathAndQuery.substring(q + 1);
        int end = q < 0 ? pathAndQuery.length() : q;
        if (end == 0 || pathAndQuery.charAt(0) != '/') {
            return NormalizedPath.rejected("path does not start with '/'");
        }
        // First pass: validate and find out whether anything needs rewriting at all.
        boolean rewrite = false;
        char prev = 0;
        for (int i = 0; i < end; i++) {
            char c = pathAndQuery.charAt(i);
            if (c >= 128 || !PCHAR[c]) {
                return NormalizedPath.rejected(describe(c));
            }
            if (c == '%') {
                if (i + 2 >= end) {
                    return NormalizedPath.rejected("truncated percent-encoding");
                }
                int hi = hex(pathAndQuery.charAt(i + 1));
                int lo = hex(pathAndQuery.charAt(i + 2));
                if (hi < 0 || lo < 0) {
                    return NormalizedPath.rejected("invalid percent-encoding");
                }
                int b = hi << 4 | lo;
                if (b == '/' || b == '\\') {
                    return NormalizedPath.rejected("encoded '" + (char) b + "'");
                }
                if (b < 0x20 || b == 0x7f) {
                    return NormalizedPath.rejected("encoded control character");
                }
                rewrite = true;
                i += 2;
                prev = 'x';
                continue;
            }
            if (c == '/' && prev == '/') {
                rewrite = true;
            }
            if (c == '.' && prev == '/') {
                rewrite = true;
            }
            prev = c;
        }
        String path = pathAndQuery.substring(0, end);
        if (!rewrite) {
            return NormalizedPath.ok(path, query);
        }
        return NormalizedPath.ok(removeDotSegments(decodeUnreserved(path)), query);
    }

    /** Decodes encoded unreserved characters and upper-cases the hex of the others. */
    private static String decodeUnreserved(String path) {
        if (path.indexOf('%') < 0) {
            return path;
        }
        StringBuilder b = new StringBuilder(path.length());
        for (int i = 0; i < path.length(); i++) {
            char c = path.charAt(i);
            if (c != '%') {
                b.append(c);
                continue;
            }
            int v = hex(path.charAt(i + 1)) << 4 | hex(path.charAt(i + 2));
            if (isUnreserved(v)) {
                b.append((char) v);
            } else {
                b.append('%')
                        .append(Character.toUpperCase(path.charAt(i + 1)))
                        .append(Character.toUpperCase(path.charAt(i + 2)));
            }
            i += 2;
        }
        return b.toString();
    }

    /** Merges slashes and resolves dot segments (RFC 3986 5.2.4, never above the root). */
    private static String removeDotSegments(String path) {
        String[] parts = path.split("/", -1);
        String[] out = new String[parts.length];
        int n = 0;
        // parts[0] is the empty string before the leading '/'.
        for (int i = 1; i < parts.length; i++) {
            String s = parts[i];
            boolean last = i == parts.length - 1;
            if (s.equals(".") || s.equals("..")) {
                if (s.equals("..") && n > 0) {
                    n--;
                }
                if (last) {
                    // "/a/b/.." is the directory "/a/": keep the trailing slash.
                    out[n++] = "";
                }
            } else if (s.isEmpty() && !last) {
                // A repeated slash: merged.
                continue;
            } else {
                out[n++] = s;
            }
        }
        // Only the last kept segment can be empty (a trailing slash), so no "//" can come back.
        StringBuilder b = new StringBuilder(path.length());
        for (int i = 0; i < n; i++) {
            b.append('/').append(out[i]);
        }
        return b.length() == 0 ? "/" : b.toString();
    }

    private static boolean isUnreserved(int c) {
        return (c >= 'a' && c <= 'z')
                || (c >= 'A' && c <= 'Z')
                || (c >= '0' && c <= '9')
                || c == '-'
                || c == '.'
                || c == '_'
                || c == '~';
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

    private static String describe(char c) {
        if (c == '\\') {
            return "backslash";
        }
        if (c < 0x20 || c == 0x7f) {
            return "control character";
        }
        if (c >= 128) {
            return "non-ASCII character";
        }
        return "character '" + c + "' not allowed in a path";
    }
}
