package io.trustline.sidecar.refusal;

import com.linecorp.armeria.common.HttpStatus;

/**
 * Every kind of refusal, each paired once with its HTTP status and its gRPC status (as linkerd's {@code respond.rs}
 * pairs them), so HTTP and gRPC callers always learn the same thing in their own protocol.
 */
public enum RefusalKind {
    /** No or invalid peer certificate, or an invalid JWT. */
    UNAUTHENTICATED(HttpStatus.UNAUTHORIZED, GrpcStatus.UNAUTHENTICATED, "unauthenticated"),
    /** Policy denies the call. */
    FORBIDDEN(HttpStatus.FORBIDDEN, GrpcStatus.PERMISSION_DENIED, "forbidden"),
    /** A rate limit is exhausted; gRPC gets RESOURCE_EXHAUSTED, never the retried UNAVAILABLE. */
    RATE_LIMITED(HttpStatus.TOO_MANY_REQUESTS, GrpcStatus.RESOURCE_EXHAUSTED, "rate limited"),
    /** The destination is not in the outbound route table: never an open proxy. */
    NO_ROUTE(HttpStatus.NOT_FOUND, GrpcStatus.UNAVAILABLE, "unknown destination"),
    /** The request body exceeds the listener's limit. */
    BODY_TOO_LARGE(HttpStatus.REQUEST_ENTITY_TOO_LARGE, GrpcStatus.RESOURCE_EXHAUSTED, "request body too large"),
    /** The request headers exceed the listener's limit. */
    HEADERS_TOO_LARGE(
            HttpStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, GrpcStatus.RESOURCE_EXHAUSTED, "request headers too large"),
    /** A malformed request, e.g. a path that cannot be normalised safely. */
    BAD_REQUEST(HttpStatus.BAD_REQUEST, GrpcStatus.INVALID_ARGUMENT, "bad request"),
    /** The request uses a feature the sidecar does not implement, e.g. a transfer coding other than chunked. */
    NOT_IMPLEMENTED(HttpStatus.NOT_IMPLEMENTED, GrpcStatus.UNIMPLEMENTED, "not implemented"),
    /** The route was switched off by policy (e.g. a deprecated API after its sunset). */
    GONE(HttpStatus.GONE, GrpcStatus.UNIMPLEMENTED, "gone"),
    /** The app or the peer sidecar cannot be reached. */
    UPSTREAM_UNAVAILABLE(HttpStatus.SERVICE_UNAVAILABLE, GrpcStatus.UNAVAILABLE, "upstream unavailable"),
    /** The peer sidecar presented a certificate for another identity than the route expects. */
    UPSTREAM_IDENTITY(HttpStatus.BAD_GATEWAY, GrpcStatus.UNAVAILABLE, "upstream identity not verified"),
    /** The app or the peer did not answer in time, or the caller's deadline passed. */
    UPSTREAM_TIMEOUT(HttpStatus.GATEWAY_TIMEOUT, GrpcStatus.DEADLINE_EXCEEDED, "upstream timeout"),
    /** The listener is at its concurrency limit. */
    OVERLOADED(HttpStatus.SERVICE_UNAVAILABLE, GrpcStatus.UNAVAILABLE, "overloaded"),
    /** A bug or an unexpected failure inside the sidecar; details go to the log only. */
    INTERNAL(HttpStatus.INTERNAL_SERVER_ERROR, GrpcStatus.INTERNAL, "internal error");

    private final HttpStatus httpStatus;
    private final GrpcStatus grpcStatus;
    private final String error;

    RefusalKind(HttpStatus httpStatus, GrpcStatus grpcStatus, String error) {
        this.httpStatus = httpStatus;
        this.grpcStatus = grpcStatus;
        this.error = error;
    }

    public HttpStatus httpStatus() {
        return httpStatus;
    }

    public GrpcStatus grpcStatus() {
        return grpcStatus;
    }

    /** The short human text in the {@code error} field of the JSON body. */
    public String error() {
        return error;
    }

    /** The gRPC status codes the sidecar uses (numbers from the gRPC spec; no gRPC dependency needed here). */
    public enum GrpcStatus {
        INVALID_ARGUMENT(3),
        DEADLINE_EXCEEDED(4),
        PERMISSION_DENIED(7),
        RESOURCE_EXHAUSTED(8),
        UNIMPLEMENTED(12),
        INTERNAL(13),
        UNAVAILABLE(14),
        UNAUTHENTICATED(16);

        private final int code;
        private final String text;

        GrpcStatus(int code) {
            this.code = code;
            text = Integer.toString(code);
        }

        public int code() {
            return code;
        }

        String codeText() {
            return text;
        }
    }
}
