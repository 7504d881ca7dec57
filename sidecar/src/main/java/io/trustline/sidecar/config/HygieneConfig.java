package io.trustline.sidecar.config;

import io.trustline.policy.path.PathParameters;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * How the inbound listener treats request targets and header names before any stage looks at them ({@code
 * inbound.hygiene} in sidecar.yaml).
 *
 * @param pathParameters what a {@code ;} in the path means: {@code reject} (400, the default) or {@code strip}
 *     ({@code ;...} cut from every segment for matching and forwarding)
 * @param headersWithUnderscores what a header name with {@code _} gets: {@code drop} (the default), {@code reject}
 *     (400) or {@code allow}
 * @param removeHeaders request headers always removed before the app sees the request (default: {@link
 *     #DEFAULT_REMOVE_HEADERS}); names are case-insensitive
 */
public record HygieneConfig(
        PathParameters pathParameters, UnderscoreHeaders headersWithUnderscores, List<String> removeHeaders) {

    /** Identity-looking headers the sidecar never sets: an app that trusted one would trust any caller. */
    public static final List<String> DEFAULT_REMOVE_HEADERS = List.of(
            "x-spiffe-id",
            "x-forwarded-user",
            "x-remote-user",
            "x-authenticated-identity",
            "x-jwt-payload",
            "x-peer-identity",
            "x-client-spiffe-id");

    // null picks each default, as an absent YAML key does; NullAway cannot see that the compact
    // constructor replaces it, so the record's accessors never return null.
    @SuppressWarnings("NullAway")
    public static final HygieneConfig DEFAULT = new HygieneConfig(null, null, null);

    public HygieneConfig {
        if (pathParameters == null) {
            pathParameters = PathParameters.REJECT;
        }
        if (headersWithUnderscores == null) {
            headersWithUnderscores = UnderscoreHeaders.DROP;
        }
        if (removeHeaders == null) {
            removeHeaders = DEFAULT_REMOVE_HEADERS;
        }
        final List<String> lower = new ArrayList<>(removeHeaders.size());
        for (String name : removeHeaders) {
            if (name == null || name.isEmpty() || name.startsWith(":")) {
                throw new IllegalArgumentException(
                        "removeHeaders: '" + name + "' (expected: a header name, not a pseudo-header)");
            }
            lower.add(name.toLowerCase(Locale.ROOT));
        }
        removeHeaders = List.copyOf(lower);
    }

    /**
     * What a request header whose name holds {@code _} gets, as Envoy's {@code headers_with_underscores_action}:
     * CGI, WSGI and Rack servers read {@code x_user_id} and {@code x-user-id} as the same {@code HTTP_X_USER_ID}, so
     * an underscore twin would slip past every rule about the dashed name.
     */
    public enum UnderscoreHeaders {
        /** Passed on unchanged. */
        ALLOW,
        /** Removed before anything looks at the headers, counted (the default). */
        DROP,
        /** The request is refused with 400 {@code request.invalid_header}. */
        REJECT;

        public static UnderscoreHeaders parse(String text) {
            return SidecarConfig.parseEnum(UnderscoreHeaders.class, text);
        }
    }
}
