package io.trustline.examples.common;

import com.linecorp.armeria.common.HttpHeaderNames;
import com.linecorp.armeria.common.RequestHeaders;
import com.linecorp.armeria.common.RequestHeadersBuilder;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import org.jspecify.annotations.Nullable;

/**
 * What a shop service passes on to its next call, as real apps do: the end user's token (so the next hop's sidecar
 * verifies it again) and the W3C trace context (so the next hop joins the same trace). Also the user the sidecar
 * vouched for, in {@value #USER_HEADER}, set by the sidecar from the verified token's {@code sub}.
 *
 * <p>The apps never verify tokens themselves and never trust a user header from anyone but their own sidecar: they
 * listen on loopback only, so their sidecar is the only caller.
 */
public record CallContext(
        @Nullable String authorization,
        @Nullable String traceparent,
        @Nullable String tracestate,
        @Nullable String user) {

    /** Set by the sidecar from the verified token ({@code claimsToHeaders: {sub: x-user-id}} in the policies). */
    public static final String USER_HEADER = "x-user-id";

    public static final CallContext EMPTY = new CallContext(null, null, null, null);

    private static final Metadata.Key<String> AUTHORIZATION =
            Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
    private static final Metadata.Key<String> TRACEPARENT =
            Metadata.Key.of("traceparent", Metadata.ASCII_STRING_MARSHALLER);
    private static final Metadata.Key<String> TRACESTATE =
            Metadata.Key.of("tracestate", Metadata.ASCII_STRING_MARSHALLER);
    private static final Metadata.Key<String> USER = Metadata.Key.of(USER_HEADER, Metadata.ASCII_STRING_MARSHALLER);

    private static final Context.Key<CallContext> CURRENT = Context.key("trustline-example-call");

    /** Reads what an Armeria service received. */
    public static CallContext of(RequestHeaders headers) {
        return new CallContext(
                headers.get(HttpHeaderNames.AUTHORIZATION),
                headers.get("traceparent"),
                headers.get("tracestate"),
                headers.get(USER_HEADER));
    }

    /** Reads what a grpc-java service received. */
    public static CallContext of(Metadata headers) {
        return new CallContext(
                headers.get(AUTHORIZATION), headers.get(TRACEPARENT), headers.get(TRACESTATE), headers.get(USER));
    }

    /** The context of the gRPC call being served (captured by {@link #serverInterceptor()}). */
    public static CallContext current() {
        final CallContext c = CURRENT.get();
        return c != null ? c : EMPTY;
    }

    /** Captures each incoming call's context so the service can pass it on. */
    public static ServerInterceptor serverInterceptor() {
        return new ServerInterceptor() {
            @Override
            public <Q, A> ServerCall.Listener<Q> interceptCall(
                    ServerCall<Q, A> call, Metadata headers, ServerCallHandler<Q, A> next) {
                return Contexts.interceptCall(
                        Context.current().withValue(CURRENT, CallContext.of(headers)), call, headers, next);
            }
        };
    }

    /** The metadata for the next gRPC call: token and trace context, never the user header. */
    public Metadata toMetadata() {
        final Metadata m = new Metadata();
        if (authorization != null) {
            m.put(AUTHORIZATION, authorization);
        }
        if (traceparent != null) {
            m.put(TRACEPARENT, traceparent);
        }
        if (tracestate != null) {
            m.put(TRACESTATE, tracestate);
        }
        return m;
    }

    /** Adds token and trace context to the next HTTP call; the user header is for this hop only. */
    public RequestHeadersBuilder propagateTo(RequestHeadersBuilder next) {
        if (authorization != null) {
            next.set(HttpHeaderNames.AUTHORIZATION, authorization);
        }
        if (traceparent != null) {
            next.set("traceparent", traceparent);
        }
        if (tracestate != null) {
            next.set("tracestate", tracestate);
        }
        return next;
    }
}
