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
 *       A-Za-z0-9-._~}) is decoded (RFC 3986 6.2.2.2); an encoded {@code /} ({@code %2F}), backslash
 *       ({@code %5C}), {@code ;} ({@code %3B}), {@code %} ({@code %25}: double encoding) or control
 *       character ({@code %00}-{@code %1F}, {@code %7F}) is rejected (a backend that decodes once
 *       more would read a separator, a parameter or a terminator that the policy never saw); encoded
 *       bytes above {@code %7F} must be shortest-form UTF-8 (no overlong {@code %C0%AF}, no
 *       surrogates); every other encoding is kept with upper-case hex;
 *   <li>a raw {@code ;} (a path parameter) is refused, or cut from its segment, as {@link
 *       PathParameters} says;
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

    /**
     * Normalises {@code pathAndQuery} (origin-form, as in HTTP/1.1's request line or h2's {@code :path}), refusing
     * path parameters.
     */
    public static NormalizedPath normalize(String pathAndQuery) {
        return normalize(pathAndQuery, PathParameters.REJECT);
    }

    /** Normalises {@code pathAndQuery}, treating path parameters as {@code parameters} says. */
    public static NormalizedPath normalize(String pathAndQuery, PathParameters parameters) {
        int q = pathAndQuery.indexOf('?');
        String query = q < 0 ? null : pathAndQuery.substring(q + 1);
        int end = q < 0 ? pathAndQuery.length() : q;
        if (end == 0 || pathAndQuery.charAt(0) != '/') {
            return NormalizedPath.rejected("path does not start with '/'");
        }
        // First pass: validate and find out whether anything needs rewriting at all.
        boolean rewrite = false;
        boolean strip = false;
        char prev = 0;
        // UTF-8 state of the encoded bytes: continuation bytes still expected, and the range of the next one.
        int pending = 0;
        int nextLo = 0x80;
        int nextHi = 0xBF;
        for (int i = 0; i < end; i++) {
            char c = pathAndQuery.charAt(i);
            if (c >= 128 || !PCHAR[c]) {
                return NormalizedPath.rejected(describe(c));
            }
            if (pending > 0 && c != '%') {
                return NormalizedPath.rejected("invalid UTF-8");
            }
            if (c == ';') {
                if (parameters == PathParameters.REJECT) {
                    return NormalizedPath.rejected("path parameter ';'");
                }
                strip = true;
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
                if (pending > 0) {
                    if (b < nextLo || b > nextHi) {
                        return NormalizedPath.rejected("invalid UTF-8");
                    }
                    pending--;
                    nextLo = 0x80;
                    nextHi = 0xBF;
                } else if (b >= 0x80) {
                    pending = utf8Continuations(b);
                    if (pending < 0) {
                        return NormalizedPath.rejected("invalid UTF-8");
                    }
                    // Shortest form only and no surrogates (RFC 3629 section 4).
                    nextLo = b == 0xE0 ? 0xA0 : b == 0xF0 ? 0x90 : 0x80;
                    nextHi = b == 0xED ? 0x9F : b == 0xF4 ? 0x8F : 0xBF;
                }
                if (b == '/' || b == '\\' || b == ';' || b == '%') {
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
        if (pending > 0) {
            return NormalizedPath.rejected("invalid UTF-8");
        }
        String path = pathAndQuery.substring(0, end);
        if (strip) {
            path = stripParameters(path);
            rewrite = true;
        }
        if (!rewrite) {
            return NormalizedPath.ok(path, query);
        }
        return NormalizedPath.ok(removeDotSegments(decodeUnreserved(path)), query);
    }

    /** How many continuation bytes follow the lead byte {@code b}, or -1 when it cannot lead. */
    private static int utf8Continuations(int b) {
        if (b >= 0xC2 && b <= 0xDF) {
            return 1;
        }
        if (b >= 0xE0 && b <= 0xEF) {
            return 2;
        }
        if (b >= 0xF0 && b <= 0xF4) {
            return 3;
        }
        return -1;
    }

    /** Cuts {@code ;...} from every segment, as servlet containers do before routing. */
    private static String stripParameters(String path) {
        StringBuilder b = new StringBuilder(path.length());
        boolean inParameter = false;
        for (int i = 0; i < path.length(); i++) {
            char c = path.charAt(i);
            if (c == '/') {
                inParameter = false;
            } else if (c == ';') {
                inParameter = true;
            }
            if (!inParameter) {
                b.append(c);
            }
        }
        return b.toString();
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
