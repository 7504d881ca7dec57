package io.trustline.sidecar.telemetry;

import org.jspecify.annotations.Nullable;

/** The little JSON writing the access log needs, without a tree or reflection. */
final class Json {

    private static final char[] HEX = "0123456789abcdef".toCharArray();

    /** Appends {@code "name":} (name is a literal from this code base, never escaped). */
    static StringBuilder name(StringBuilder sb, String name) {
        if (sb.charAt(sb.length() - 1) != '{') {
            sb.append(',');
        }
        return sb.append('"').append(name).append("\":");
    }

    static void field(StringBuilder sb, String name, @Nullable String value) {
        name(sb, name);
        string(sb, value);
    }

    static void field(StringBuilder sb, String name, long value) {
        name(sb, name).append(value);
    }

    static void field(StringBuilder sb, String name, boolean value) {
        name(sb, name).append(value);
    }

    /** A JSON string, or null; control characters, quotes and backslashes escaped. */
    static void string(StringBuilder sb, @Nullable String s) {
        if (s == null) {
            sb.append("null");
            return;
        }
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            final char c = s.charAt(i);
            if (c == '"' || c == '\\') {
                sb.append('\\').append(c);
            } else if (c < 0x20 || c == 0x7f || c == '\u2028' || c == '\u2029') {
                sb.append("\\u")
                        .append(HEX[(c >> 12) & 0xF])
                        .append(HEX[(c >> 8) & 0xF])
                        .append(HEX[(c >> 4) & 0xF])
                        .append(HEX[c & 0xF]);
            } else {
                sb.append(c);
            }
        }
        sb.append('"');
    }

    private Json() {}
}
