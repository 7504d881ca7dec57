package io.trustline.sidecar.request;

import com.linecorp.armeria.common.HttpHeaderNames;
import com.linecorp.armeria.common.RequestHeaders;
import io.trustline.sidecar.refusal.ReasonCode;
import io.trustline.sidecar.refusal.Refusal;
import io.trustline.sidecar.refusal.RefusalKind;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * One Host per request, on both listeners: more than one {@code Host}, none at all, or an HTTP/2 {@code host} that
 * differs from {@code :authority} is refused, because the name the sidecar routes or checks on and the name the app
 * sees must be the same one (RFC 9112 section 3.2, RFC 9113 section 8.3.1).
 */
public final class HostHeaders {

    /** The refusal of every Host problem; the detail goes to the log. */
    public static final Refusal INVALID_HOST = Refusal.of(RefusalKind.BAD_REQUEST, ReasonCode.REQUEST_INVALID_HOST);

    /**
     * The name the listeners give Armeria as their default host name. Armeria fills it in when a request names no
     * host at all, so its presence means "no Host"; the {@code .invalid} top-level domain (RFC 6761) is never a real
     * destination, so a caller who sends it explicitly loses nothing by being refused too.
     */
    public static final String MISSING_HOST = "missing-host.trustline.invalid";

    /** Why {@code headers} do not name exactly one host, or null when they do. */
    public static @Nullable String problem(RequestHeaders headers) {
        final List<String> hosts = headers.getAll(HttpHeaderNames.HOST);
        if (hosts.size() > 1) {
            return "more than one Host header";
        }
        final String authority = headers.get(HttpHeaderNames.AUTHORITY);
        final String host = hosts.isEmpty() ? null : hosts.get(0);
        if (authority != null && host != null && !authority.equalsIgnoreCase(host)) {
            return "Host differs from :authority";
        }
        final String name = authority != null ? authority : host;
        if (name == null || name.isEmpty() || name.regionMatches(true, 0, MISSING_HOST, 0, MISSING_HOST.length())) {
            return "no Host";
        }
        return null;
    }

    private HostHeaders() {}
}
