package io.trustline.sidecar.refusal;

import com.linecorp.armeria.common.AggregatedHttpResponse;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.RequestHeaders;
import com.linecorp.armeria.common.RequestId;
import com.linecorp.armeria.server.ServerErrorHandler;
import com.linecorp.armeria.server.ServiceConfig;
import com.linecorp.armeria.server.ServiceRequestContext;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes Armeria's own error responses (a body over the limit, headers too large, a malformed request, an exception
 * escaping a stage) look like every other refusal: the same JSON body or gRPC trailers-only response, never an
 * exception text or stack trace.
 */
public final class RefusalErrorHandler implements ServerErrorHandler {

    private static final Logger logger = LoggerFactory.getLogger(RefusalErrorHandler.class);

    private final EarlyRefusalListener earlyRefusals;
    private final FailureClassifier failures;

    /**
     * A handler that tells {@code earlyRefusals} of the requests refused before any service saw them, and names an
     * exception escaping a stage with {@code failures} beyond the causes every listener shares.
     */
    public RefusalErrorHandler(EarlyRefusalListener earlyRefusals, FailureClassifier failures) {
        this.earlyRefusals = earlyRefusals;
        this.failures = failures;
    }

    /** A handler whose early refusals are answered but not reported (tests of the responses alone). */
    public RefusalErrorHandler() {
        this((headers, status, refusal, requestId) -> {}, FailureClassifier.NONE);
    }

    @Override
    public @Nullable HttpResponse onServiceException(ServiceRequestContext ctx, Throwable cause) {
        final Refusal refusal = Refusals.classify(cause, failures);
        if (refusal.kind() == RefusalKind.INTERNAL) {
            logger.warn(
                    "request failed inside the sidecar request_id={} cause={}",
                    ctx.id().text(),
                    cause.toString());
        }
        return Refusals.respond(ctx, ctx.request().headers(), refusal);
    }

    /**
     * Armeria refused the request before the pipeline (a malformed request line or header, headers over the limit):
     * there is no request context, so no stage and no span saw it; the listener reports it here.
     */
    @Override
    public @Nullable AggregatedHttpResponse onProtocolViolation(
            ServiceConfig config,
            @Nullable RequestHeaders headers,
            HttpStatus status,
            @Nullable String description,
            @Nullable Throwable cause) {
        // A check in the connection's pipeline (e.g. the transfer-coding check) says why through the decoder's cause.
        final Refusal refusal =
                cause instanceof RefusalException refused ? refused.refusal() : Refusals.forStatus(status);
        final RequestId requestId = RequestId.random();
        earlyRefusals.earlyRefusal(headers, refusal.kind().httpStatus().code(), refusal, requestId);
        return Refusals.render(headers, refusal, requestId.text());
    }

    @Override
    public @Nullable AggregatedHttpResponse renderStatus(
            @Nullable ServiceRequestContext ctx,
            ServiceConfig config,
            @Nullable RequestHeaders headers,
            HttpStatus status,
            @Nullable String description,
            @Nullable Throwable cause) {
        final Refusal refusal = Refusals.forStatus(status);
        if (ctx != null) {
            ctx.setAttr(Refusals.REFUSAL, refusal);
        }
        return Refusals.render(
                headers,
                refusal,
                ctx != null ? ctx.id().text() : RequestId.random().text());
    }
}
