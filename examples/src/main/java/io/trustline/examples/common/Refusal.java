package io.trustline.examples.common;

import io.grpc.Metadata;
import io.grpc.Status;
import org.jspecify.annotations.Nullable;

/**
 * How the shop apps pass a refusal from a later hop back to their caller: the gRPC status, the sidecar's stable
 * reason code ({@code x-trustline-reason}, set by every Trustline sidecar on its refusals) and which hop refused.
 */
public final class Refusal {

    /** Set by a Trustline sidecar on every refusal it answers to a gRPC caller. */
    public static final Metadata.Key<String> REASON =
            Metadata.Key.of("x-trustline-reason", Metadata.ASCII_STRING_MARSHALLER);
    /** Set by a shop app when it relays a refusal from a hop further down. */
    public static final Metadata.Key<String> REFUSED_BY =
            Metadata.Key.of("x-shop-refused-by", Metadata.ASCII_STRING_MARSHALLER);

    /** Maps an HTTP status from a sidecar or an app to the gRPC status a gRPC caller expects. */
    public static Status.Code grpcCodeOf(int httpStatus) {
        switch (httpStatus) {
            case 400:
                return Status.Code.INVALID_ARGUMENT;
            case 401:
                return Status.Code.UNAUTHENTICATED;
            case 403:
                return Status.Code.PERMISSION_DENIED;
            case 404:
                return Status.Code.NOT_FOUND;
            case 409:
                return Status.Code.FAILED_PRECONDITION;
            case 413:
            case 429:
                return Status.Code.RESOURCE_EXHAUSTED;
            case 504:
                return Status.Code.DEADLINE_EXCEEDED;
            case 502:
            case 503:
                return Status.Code.UNAVAILABLE;
            default:
                return Status.Code.INTERNAL;
        }
    }

    /** Maps a gRPC status to the HTTP status the shop's HTTP callers get. */
    public static int httpStatusOf(Status.Code code) {
        switch (code) {
            case INVALID_ARGUMENT:
                return 400;
            case UNAUTHENTICATED:
                return 401;
            case PERMISSION_DENIED:
                return 403;
            case NOT_FOUND:
                return 404;
            case FAILED_PRECONDITION:
            case ALREADY_EXISTS:
                return 409;
            case RESOURCE_EXHAUSTED:
                return 429;
            case DEADLINE_EXCEEDED:
                return 504;
            case UNAVAILABLE:
                return 503;
            default:
                return 502;
        }
    }

    /** Trailers that carry a reason code and the refusing hop. */
    public static Metadata trailers(@Nullable String reason, String refusedBy) {
        final Metadata m = new Metadata();
        if (reason != null) {
            m.put(REASON, reason);
        }
        m.put(REFUSED_BY, refusedBy);
        return m;
    }

    private Refusal() {}
}
