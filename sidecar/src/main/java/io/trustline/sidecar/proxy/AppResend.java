package io.trustline.sidecar.proxy;

import com.linecorp.armeria.client.UnprocessedRequestException;
import com.linecorp.armeria.common.ClosedSessionException;
import com.linecorp.armeria.common.HttpMethod;
import com.linecorp.armeria.common.stream.ClosedStreamException;
import com.linecorp.armeria.common.util.Exceptions;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.trustline.sidecar.metrics.MetricNames;
import io.trustline.sidecar.refusal.Refusal;
import java.util.Collections;
import java.util.EnumSet;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * When a request to the app may be sent again, once: its connection broke before any response header arrived, and
 * sending it again is safe. This is the keep-alive race of a pooled HTTP/1 connection: the app closes a connection it
 * holds idle at the moment the sidecar sends a request on it, and the request fails without a byte of answer
 * (envoyproxy/envoy#10007; Istio users see "upstream connect error or disconnect/reset before headers").
 *
 * <p>{@link AppProxyService} asks only for a request without a body (a body streams to the app as it arrives and is
 * not kept), and only from its {@code recover}, which Armeria calls for a failure before any response header and
 * never after one. Of those requests: any method when Armeria reports the request as never sent
 * ({@link UnprocessedRequestException}); an idempotent one (RFC 9110: GET, HEAD, OPTIONS, TRACE, PUT, DELETE) when
 * the connection or its stream closed before the answer ({@link ClosedSessionException}, {@link
 * ClosedStreamException}): the app may have received it, and for these methods receiving it twice has the effect of
 * receiving it once. A POST or PATCH that may have been sent is never sent again.
 *
 * <p>Not Armeria's {@code RetryingClient}: it wraps every eligible request, also the ones that succeed at once, in a
 * derived context with its own request log, a request duplicator and a split response (11.3 KB allocated per call
 * instead of 5.3 KB, measured with JMH's {@code -prof gc}). Deciding in the failure path costs a request that
 * succeeds nothing.
 */
final class AppResend {

    /** RFC 9110's idempotent methods (Armeria's {@code HttpMethod.idempotentMethods()} leaves out OPTIONS and TRACE). */
    static final Set<HttpMethod> IDEMPOTENT = Collections.unmodifiableSet(EnumSet.of(
            HttpMethod.GET, HttpMethod.HEAD, HttpMethod.OPTIONS, HttpMethod.TRACE, HttpMethod.PUT, HttpMethod.DELETE));

    private final Counter notSent;
    private final Counter reset;

    /** Counts in {@link MetricNames#INBOUND_APP_RETRIES}, tagged with the refusal the caller would have got. */
    AppResend(MeterRegistry meters) {
        this.notSent = counter(meters, UpstreamErrors.CONNECT_FAILED);
        this.reset = counter(meters, UpstreamErrors.RESET);
    }

    /**
     * Whether a request without a body, of {@code method}, whose first attempt failed with {@code cause} before any
     * response header, is to be sent again; counts it when it is.
     */
    boolean sendAgain(HttpMethod method, Throwable cause) {
        final Counter counter = counterFor(method, Exceptions.peel(cause));
        if (counter == null) {
            return false;
        }
        counter.increment();
        return true;
    }

    private @Nullable Counter counterFor(HttpMethod method, Throwable cause) {
        if (cause instanceof UnprocessedRequestException) {
            return notSent;
        }
        if ((cause instanceof ClosedSessionException || cause instanceof ClosedStreamException)
                && IDEMPOTENT.contains(method)) {
            return reset;
        }
        return null;
    }

    private static Counter counter(MeterRegistry meters, Refusal without) {
        return Counter.builder(MetricNames.INBOUND_APP_RETRIES)
                .description("Requests sent to the app again after its connection broke before an answer")
                .tag(MetricNames.REASON, without.reason().code())
                .register(meters);
    }
}
