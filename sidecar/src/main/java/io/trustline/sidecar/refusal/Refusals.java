package io.trustline.sidecar.refusal;

import com.linecorp.armeria.common.AggregatedHttpResponse;
import com.linecorp.armeria.common.ContentTooLargeException;
import com.linecorp.armeria.common.HttpData;
import com.linecorp.armeria.common.HttpHeaderNames;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.MediaType;
import com.linecorp.armeria.common.RequestContext;
import com.linecorp.armeria.common.RequestHeaders;
import com.linecorp.armeria.common.ResponseHeaders;
import com.linecorp.armeria.common.ResponseHeadersBuilder;
import com.linecorp.armeria.common.ShuttingDownException;
import com.linecorp.armeria.server.HttpStatusException;
import com.linecorp.armeria.server.RequestTimeoutException;
import io.netty.util.AsciiString;
import io.netty.util.AttributeKey;
import java.nio.charset.StandardCharsets;
import org.jspecify.annotations.Nullable;

/**
 * The one place that names the refusal of a failed request and turns a {@link Refusal} into a response. HTTP callers get a small JSON body
 * {@code {"error": "...", "reason": "<stable code>", "request_id": "..."}}; gRPC callers (request
 * {@code content-type: application/grpc*}) get a trailers-only response with the matching {@code grpc-status}, so
 * a gRPC client sees PERMISSION_DENIED rather than UNKNOWN. Nothing else ever reaches the caller: no stack trace,
 * no rule name, no exception text.
 */
public final class Refusals {

    /** The refusal of the current request, for the access log and the span. */
    public static final AttributeKey<Refusal> REFUSAL = AttributeKey.valueOf(Refusals.class, "REFUSAL");

    private static final MediaType GRPC = MediaType.parse("application/grpc");
    private static final AsciiString GRPC_STATUS = AsciiString.cached("grpc-status");
    private static final AsciiString GRPC_MESSAGE = AsciiString.cached("grpc-message");
    /** The reason code, also for gRPC callers that only look at metadata. */
    public static final AsciiString REASON_HEADER = AsciiString.cached("x-trustline-reason");

    public static final AsciiString REQUEST_ID_HEADER = AsciiString.cached("x-request-id");

    private static final Refusal REQUEST_TIMEOUT = Refusal.of(RefusalKind.UPSTREAM_TIMEOUT, ReasonCode.REQUEST_TIMEOUT);
    private static final Refusal BODY_TOO_LARGE =
            Refusal.of(RefusalKind.BODY_TOO_LARGE, ReasonCode.REQUEST_BODY_TOO_LARGE);
    private static final Refusal INTERNAL = Refusal.of(RefusalKind.INTERNAL, ReasonCode.INTERNAL_ERROR);

    /** Records {@code refusal} on {@code ctx} and returns the response for it. */
    public static HttpResponse respond(RequestContext ctx, @Nullable RequestHeaders request, Refusal refusal) {
        ctx.setAttr(REFUSAL, refusal);
        return render(request, refusal, ctx.id().text()).toHttpResponse();
    }

    /**
     * The response to a refused request, for HTTP and gRPC callers alike: the JSON body, or a trailers-only gRPC
     * response when {@code request} is a gRPC call (also when Armeria refused the request before any context existed).
     */
    public static AggregatedHttpResponse render(@Nullable RequestHeaders request, Refusal refusal, String requestId) {
        if (isGrpc(request)) {
            return AggregatedHttpResponse.of(grpcHeaders(refusal, requestId));
        }
        return AggregatedHttpResponse.of(
                httpHeaders(refusal, requestId),
                HttpData.wrap(jsonBody(refusal, requestId).getBytes(StandardCharsets.UTF_8)));
    }

    /**
     * The refusal for a request that failed with {@code cause}: a {@link RefusalException}'s own refusal, then the
     * failures every listener shares (request timeout, body over the limit, a status Armeria chose), then what
     * {@code specific} knows (e.g. the proxy's upstream failures); anything else is {@code internal.error}.
     */
    public static Refusal classify(Throwable cause, FailureClassifier specific) {
        if (cause instanceof RefusalException refused) {
            return refused.refusal();
        }
        if (cause instanceof RequestTimeoutException) {
            return REQUEST_TIMEOUT;
        }
        if (cause instanceof ContentTooLargeException) {
            return BODY_TOO_LARGE;
        }
        if (cause instanceof ShuttingDownException) {
            // Still running when shutdown.drainTimeout ran out: 503 / UNAVAILABLE, which callers may retry elsewhere.
            return forStatus(HttpStatus.SERVICE_UNAVAILABLE);
        }
        if (cause instanceof HttpStatusException status) {
            // Armeria aborts a request it refuses itself (e.g. a body over the limit) with the status it chose.
            return forStatus(status.httpStatus());
        }
        final Refusal known = specific.refusalFor(cause);
        return known != null ? known : INTERNAL;
    }

    /** The refusal for a status Armeria chose itself. */
    public static Refusal forStatus(HttpStatus status) {
        switch (status.code()) {
            case 413:
                return BODY_TOO_LARGE;
            case 431:
                return Refusal.of(RefusalKind.HEADERS_TOO_LARGE, ReasonCode.REQUEST_HEADERS_TOO_LARGE);
            case 408:
                return REQUEST_TIMEOUT;
            case 503:
                return Refusal.of(RefusalKind.OVERLOADED, ReasonCode.SERVER_UNAVAILABLE);
            case 504:
                return Refusal.of(RefusalKind.UPSTREAM_TIMEOUT, ReasonCode.UPSTREAM_TIMEOUT);
            default:
                if (status.code() >= 500) {
                    return INTERNAL;
                }
                return Refusal.of(RefusalKind.BAD_REQUEST, ReasonCode.REQUEST_MALFORMED);
        }
    }

    /** Whether {@code headers} belong to a gRPC call (any {@code application/grpc*} content type). */
    public static boolean isGrpc(@Nullable RequestHeaders headers) {
        if (headers == null) {
            return false;
        }
        final String contentType = headers.get(HttpHeaderNames.CONTENT_TYPE);
        return contentType != null && contentType.regionMatches(true, 0, "application/grpc", 0, 16);
    }

    private static ResponseHeaders grpcHeaders(Refusal refusal, String requestId) {
        // Trailers-only: one HEADERS frame that ends the stream, as gRPC expects for an immediate error.
        final ResponseHeadersBuilder b = ResponseHeaders.builder(HttpStatus.OK)
                .endOfStream(true)
                .contentType(GRPC)
                .add(GRPC_STATUS, refusal.kind().grpcStatus().codeText())
                .add(
                        GRPC_MESSAGE,
                        percentEncode(refusal.kind().error() + ": "
                                + refusal.reason().code() + " (request_id " + requestId + ')'))
                .add(REASON_HEADER, refusal.reason().code())
                .add(REQUEST_ID_HEADER, requestId);
        refusal.headers().forEach((java.util.function.BiConsumer<AsciiString, String>) (name, value) -> {
            // WWW-Authenticate is an HTTP challenge; gRPC callers learn the same from grpc-status.
            if (!HttpHeaderNames.WWW_AUTHENTICATE.equals(name)) {
                b.add(name, value);
            }
        });
        return b.build();
    }

    private static ResponseHeaders httpHeaders(Refusal refusal, String requestId) {
        final ResponseHeadersBuilder b = ResponseHeaders.builder(refusal.kind().httpStatus())
                .contentType(MediaType.JSON_UTF_8)
                .add(HttpHeaderNames.CACHE_CONTROL, "no-store")
                .add(REQUEST_ID_HEADER, requestId);
        b.add(refusal.headers());
        return b.build();
    }

    private static String jsonBody(Refusal refusal, String requestId) {
        final StringBuilder sb = new StringBuilder(96);
        sb.append("{\"error\":");
        appendJsonString(sb, refusal.kind().error());
        sb.append(",\"reason\":");
        appendJsonString(sb, refusal.reason().code());
        sb.append(",\"request_id\":");
        appendJsonString(sb, requestId);
        return sb.append('}').toString();
    }

    private static void appendJsonString(StringBuilder sb, String s) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            final char c = s.charAt(i);
            if (c == '"' || c == '\\') {
                sb.append('\\').append(c);
            } else if (c < 0x20) {
                sb.append(String.format("\\u%04x", (int) c));
            } else {
                sb.append(c);
            }
        }
        sb.append('"');
    }

    /** Percent-encodes a grpc-message as the gRPC spec asks (printable ASCII except '%' passes). */
    static String percentEncode(String message) {
        final byte[] bytes = message.getBytes(StandardCharsets.UTF_8);
        final StringBuilder sb = new StringBuilder(bytes.length);
        for (byte b : bytes) {
            final int c = b & 0xFF;
            if (c >= 0x20 && c <= 0x7E && c != '%') {
                sb.append((char) c);
            } else {
                sb.append('%')
                        .append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
                        .append(Character.toUpperCase(Character.forDigit(c & 0xF, 16)));
            }
        }
        return sb.toString();
    }

    private Refusals() {}
}
