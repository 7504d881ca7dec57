package io.trustline.policy.engine;

import static java.util.Objects.requireNonNull;

import io.trustline.policy.model.Cors;
import io.trustline.policy.model.Mode;
import java.util.Locale;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * A service's {@code cors} section compiled for the request path: which outcome a request has and the header values
 * of the answers, computed once per policy version. The sidecar's CORS stage and the policy tests both call
 * {@link #check}, so they cannot disagree.
 *
 * <p>A request is cross-origin when it has an {@code Origin} header that is not its own origin ({@code scheme://}
 * plus the {@code Host}/{@code :authority} it was sent to). It is a preflight when it is also {@code OPTIONS} with
 * {@code Access-Control-Request-Method}.
 */
public final class CorsCheck {

    /** What the CORS check makes of one request; no allocation per request. */
    public enum Outcome {
        /** No {@code Origin}, or the request's own origin: CORS does not apply, no header is added. */
        SAME_ORIGIN(true, false, null),
        /** A preflight from an allowed origin for an allowed method and headers: the sidecar answers 204. */
        PREFLIGHT_ALLOWED(true, true, "cors.preflight"),
        /** A cross-origin request from an allowed origin: it goes on, its response gets the CORS headers. */
        ALLOWED(true, false, null),
        /** A cross-origin request or preflight from an origin not listed. */
        ORIGIN_NOT_ALLOWED(false, false, "cors.origin_not_allowed"),
        PREFLIGHT_ORIGIN_NOT_ALLOWED(false, true, "cors.origin_not_allowed"),
        /** A cross-origin request, or a preflight asking, for a method not in {@code allowMethods}. */
        METHOD_NOT_ALLOWED(false, false, "cors.method_not_allowed"),
        PREFLIGHT_METHOD_NOT_ALLOWED(false, true, "cors.method_not_allowed"),
        /** A preflight asking for a header not in {@code allowHeaders}. */
        PREFLIGHT_HEADERS_NOT_ALLOWED(false, true, "cors.headers_not_allowed");

        private final boolean allowed;
        private final boolean preflight;
        private final @Nullable String reason;

        Outcome(boolean allowed, boolean preflight, @Nullable String reason) {
            this.allowed = allowed;
            this.preflight = preflight;
            this.reason = reason;
        }

        /** Whether the request may go on (or, for a preflight, be answered with the CORS headers). */
        public boolean allowed() {
            return allowed;
        }

        /** Whether the request is a CORS preflight. */
        public boolean preflight() {
            return preflight;
        }

        /** The reason code of a refusal or of an answered preflight; null otherwise. */
        public @Nullable String reason() {
            return reason;
        }
    }

    private final String policy;
    private final Cors cors;
    private final boolean anyOrigin;
    private final Set<String> origins;
    private final Set<String> methods;
    private final Set<String> headers;
    private final String allowMethods;
    private final @Nullable String allowHeaders;
    private final @Nullable String exposeHeaders;
    private final @Nullable String maxAge;

    CorsCheck(String policy, Cors cors) {
        this.policy = requireNonNull(policy, "policy");
        this.cors = cors;
        anyOrigin = cors.anyOrigin();
        origins = Set.copyOf(cors.allowOrigins());
        methods = Set.copyOf(cors.allowMethods());
        headers = Set.copyOf(cors.allowHeaders());
        allowMethods = String.join(", ", cors.allowMethods());
        allowHeaders = cors.allowHeaders().isEmpty() ? null : String.join(", ", cors.allowHeaders());
        exposeHeaders = cors.exposeHeaders().isEmpty() ? null : String.join(", ", cors.exposeHeaders());
        maxAge = cors.maxAge().map(d -> Long.toString(d.toSeconds())).orElse(null);
    }

    /**
     * Classifies a request.
     *
     * @param method the request method
     * @param origin the {@code Origin} header, or null
     * @param scheme {@code https} or {@code http}: how the request reached the sidecar
     * @param authority the {@code Host} or {@code :authority} the request was sent to, or null
     * @param requestMethod {@code Access-Control-Request-Method}, or null
     * @param requestHeaders {@code Access-Control-Request-Headers}, or null
     */
    public Outcome check(
            String method,
            @Nullable String origin,
            String scheme,
            @Nullable String authority,
            @Nullable String requestMethod,
            @Nullable String requestHeaders) {
        if (origin == null || isSameOrigin(origin, scheme, authority)) {
            return Outcome.SAME_ORIGIN;
        }
        boolean preflight = requestMethod != null && method.equals("OPTIONS");
        if (!anyOrigin && !origins.contains(origin)) {
            return preflight ? Outcome.PREFLIGHT_ORIGIN_NOT_ALLOWED : Outcome.ORIGIN_NOT_ALLOWED;
        }
        if (!preflight) {
            return methods.contains(method) ? Outcome.ALLOWED : Outcome.METHOD_NOT_ALLOWED;
        }
        if (!methods.contains(requestMethod)) {
            return Outcome.PREFLIGHT_METHOD_NOT_ALLOWED;
        }
        return requestHeaders == null || headersAllowed(requestHeaders)
                ? Outcome.PREFLIGHT_ALLOWED
                : Outcome.PREFLIGHT_HEADERS_NOT_ALLOWED;
    }

    private boolean headersAllowed(String list) {
        int start = 0;
        for (int i = 0; i <= list.length(); i++) {
            if (i == list.length() || list.charAt(i) == ',') {
                String h = list.substring(start, i).trim().toLowerCase(Locale.ROOT);
                if (!h.isEmpty() && !headers.contains(h)) {
                    return false;
                }
                start = i + 1;
            }
        }
        return true;
    }

    /** {@code origin} equals {@code scheme://authority}, a default port written or not, the host in any case. */
    static boolean isSameOrigin(String origin, String scheme, @Nullable String authority) {
        if (authority == null || authority.isEmpty()) {
            return false;
        }
        int s = scheme.length();
        if (!origin.startsWith(scheme) || !origin.startsWith("://", s)) {
            return false;
        }
        int hostStart = s + 3;
        String defaultPort = scheme.equals("https") ? ":443" : ":80";
        String a = authority.endsWith(defaultPort)
                ? authority.substring(0, authority.length() - defaultPort.length())
                : authority;
        String o = origin.endsWith(defaultPort) ? origin.substring(0, origin.length() - defaultPort.length()) : origin;
        return o.length() - hostStart == a.length() && o.regionMatches(true, hostStart, a, 0, a.length());
    }

    /**
     * The {@code Access-Control-Allow-Origin} value for an allowed {@code origin}: {@code *} when every origin is
     * allowed (never with credentials), else the origin itself.
     */
    public String allowOrigin(String origin) {
        return anyOrigin ? Cors.ANY_ORIGIN : origin;
    }

    /** {@code Access-Control-Allow-Methods} of a preflight answer. */
    public String allowMethods() {
        return allowMethods;
    }

    /** {@code Access-Control-Allow-Headers} of a preflight answer, or null for none. */
    public @Nullable String allowHeaders() {
        return allowHeaders;
    }

    /** {@code Access-Control-Expose-Headers} of an actual response, or null for none. */
    public @Nullable String exposeHeaders() {
        return exposeHeaders;
    }

    /** {@code Access-Control-Max-Age} in seconds, or null. */
    public @Nullable String maxAge() {
        return maxAge;
    }

    public boolean allowCredentials() {
        return cors.allowCredentials();
    }

    public Mode mode() {
        return cors.mode();
    }

    /** The name of the policy the section is in. */
    public String policy() {
        return policy;
    }

    public Cors model() {
        return cors;
    }
}
