package io.trustline.sidecar.telemetry;

import com.linecorp.armeria.common.RequestHeaders;
import io.trustline.sidecar.config.SidecarConfig.AccessLogConfig;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * What the access log may show of request headers and the query string. Only the headers an operator lists are
 * logged at all; among them, credentials (the built-in names plus {@code accessLog.sensitiveHeaders}) and anything
 * that looks like a JWT are replaced by {@value #REDACTED}. Query parameters are redacted the same way.
 */
final class Redaction {

    static final String REDACTED = "[redacted]";

    /** Headers that carry credentials; never logged, whatever the config lists. */
    static final Set<String> SENSITIVE_HEADERS = Set.of(
            "authorization",
            "proxy-authorization",
            "cookie",
            "set-cookie",
            "x-api-key",
            "x-auth-token",
            "x-amz-security-token");

    /** Query parameters that carry credentials (OAuth, signed URLs, API keys). */
    static final Set<String> SENSITIVE_QUERY_PARAMS = Set.of(
            "access_token",
            "id_token",
            "refresh_token",
            "token",
            "code",
            "client_secret",
            "secret",
            "password",
            "api_key",
            "apikey",
            "key",
            "sig",
            "signature",
            "assertion",
            "jwt");

    private final List<String> loggedHeaders;
    private final boolean logQuery;
    private final Set<String> sensitiveHeaders;
    private final Set<String> sensitiveParams;

    Redaction(AccessLogConfig config) {
        loggedHeaders = config.headers();
        logQuery = config.query();
        final Set<String> headers = new HashSet<>(SENSITIVE_HEADERS);
        headers.addAll(config.sensitiveHeaders());
        sensitiveHeaders = Set.copyOf(headers);
        final Set<String> params = new HashSet<>(SENSITIVE_QUERY_PARAMS);
        params.addAll(config.sensitiveQueryParams());
        sensitiveParams = Set.copyOf(params);
    }

    /** The logged headers present on {@code headers}, redacted; null when none are configured. */
    @Nullable
    Map<String, String> headers(RequestHeaders headers) {
        if (loggedHeaders.isEmpty()) {
            return null;
        }
        final Map<String, String> out = new LinkedHashMap<>();
        for (String name : loggedHeaders) {
            final List<String> values = headers.getAll(name);
            if (values.isEmpty()) {
                continue;
            }
            out.put(name, sensitiveHeaders.contains(name) ? REDACTED : value(String.join(", ", values)));
        }
        return out;
    }

    /** The query with sensitive values redacted; null when query logging is off or there is no query. */
    @Nullable
    String query(@Nullable String query) {
        if (!logQuery || query == null || query.isEmpty()) {
            return null;
        }
        final StringBuilder sb = new StringBuilder(query.length());
        for (String param : query.split("&", -1)) {
            if (sb.length() > 0) {
                sb.append('&');
            }
            final int eq = param.indexOf('=');
            if (eq < 0) {
                sb.append(param);
                continue;
            }
            final String name = param.substring(0, eq);
            final String value = param.substring(eq + 1);
            sb.append(name).append('=');
            sb.append(sensitiveParams.contains(name.toLowerCase(Locale.ROOT)) ? REDACTED : value(value));
        }
        return sb.toString();
    }

    /** {@code value}, unless it looks like a JWT (a bearer token in an unexpected place). */
    private static String value(String value) {
        return looksLikeJwt(value) ? REDACTED : value;
    }

    /** Three dot-separated base64url parts starting with an encoded JSON header ({@code eyJ}). */
    static boolean looksLikeJwt(String value) {
        final int start = value.indexOf("eyJ");
        if (start < 0) {
            return false;
        }
        final int dot1 = value.indexOf('.', start);
        return dot1 > 0 && value.indexOf('.', dot1 + 1) > 0;
    }
}
