package io.trustline.sidecar.jwt;

import org.jspecify.annotations.Nullable;

/** Makes caller-controlled text (an unverified {@code iss}, an {@code aud}) safe for one log line. */
final class Sanitize {

    static final int MAX_LOGGED_CHARS = 128;

    /** At most {@value #MAX_LOGGED_CHARS} characters, control characters replaced by {@code ?}. */
    static String forLog(@Nullable String s) {
        if (s == null) {
            return "";
        }
        final int n = Math.min(s.length(), MAX_LOGGED_CHARS);
        final StringBuilder sb = new StringBuilder(n + 3);
        for (int i = 0; i < n; i++) {
            final char c = s.charAt(i);
            sb.append(c < 0x20 || c == 0x7f ? '?' : c);
        }
        if (s.length() > n) {
            sb.append("...");
        }
        return sb.toString();
    }

    private Sanitize() {}
}
