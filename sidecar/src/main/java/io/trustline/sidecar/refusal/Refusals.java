package io.trustline.sidecar.refusal;

import com.linecorp.armeria.common.HttpHeaderNames;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.MediaType;
import com.linecorp.armeria.common.RequestContext;
import com.linecorp.armeria.common.RequestHeaders;
import com.linecorp.armeria.common.ResponseHeaders;
import com.linecorp.armeria.common.ResponseHeadersBuilder;
import io.netty.util.AsciiString;
import io.netty.util.AttributeKey;
import java.nio.charset.StandardCharsets;
import org.jspecify.annotations.Nullable;

/**
 * The one place that turns a {@link Refusal} into a response. HTTP callers get a small JSON body
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

    /** Records {@code refusal} on {@code ctx} and returns the response for it. */
    public static HttpResponse respond(RequestContext ctx, @Nullable RequestHeaders request, Refusal refusal) {
        ctx.setAttr(REFUSAL, refusal);
        final String requestId = ctx.id().text();
        if (isGrpc(request)) {
            return HttpResponse.of(grpcHeaders(refusal, requestId));
        }
        return HttpResponse.of(
                httpHeaders(refusal, requestId),
                com.linecorp.armeria.common.HttpData.wrap(
                        jsonBody(refusal, requestId).getBytes(StandardCharsets.UTF_8)));
    }

    /** Whether {@code headers} belong to a gRPC call (any {@code application/grpc*} content type). */
    public static boolean isGrpc(@Nullable RequestHeaders headers) {
        if (headers == null) {
            return false;
        }
        final String contentType = headers.get(HttpHeaderNames.CONTENT_TYPE);
        return contentType != null && contentType.regionMatches(true, 0, "application/grpc", 0, 16);
    }

    static ResponseHeaders grpcHeaders(Refusal refusal, String requestId) {
        // Trailers-only: one HEADERS frame that ends the stream, as gRPC expects for an immediate error.
        final ResponseHeadersBuilder b = ResponseHeaders.builder(HttpStatus.OK)
                .endOfStream(true)
                .contentType(GRPC)
                .add(GRPC_STATUS, refusal.kind().grpcStatus().codeText())
                .add(
                        GRPC_MESSAGE,
                        percentEncode(
                                refusal.kind().error() + ": " + refusal.reason() + " (request_id " + requestId + ')'))
                .add(REASON_HEADER, refusal.reason())
                .add(REQUEST_ID_HEADER, requestId);
        refusal.headers().forEach((java.util.function.BiConsumer<AsciiString, String>) (name, value) -> {
            // WWW-Authenticate is an HTTP challenge; gRPC callers learn the same from grpc-status.
            if (!HttpHeaderNames.WWW_AUTHENTICATE.equals(name)) {
                b.add(name, value);
            }
        });
        return b.build();
    }

    static ResponseHeaders httpHeaders(Refusal refusal, String requestId) {
        final ResponseHeadersBuilder b = ResponseHeaders.builder(refusal.kind().httpStatus())
                .contentType(MediaType.JSON_UTF_8)
                .add(HttpHeaderNames.CACHE_CONTROL, "no-store")
                .add(REQUEST_ID_HEADER, requestId);
        b.add(refusal.headers());
        return b.build();
    }

    static String jsonBody(Refusal refusal, String requestId) {
        final StringBuilder sb = new StringBuilder(96);
        sb.append("{\"error\":");
        appendJsonString(sb, refusal.kind().error());
        sb.append(",\"reason\":");
        appendJsonString(sb, refusal.reason());
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
