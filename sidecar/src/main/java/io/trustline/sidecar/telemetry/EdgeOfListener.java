package io.trustline.sidecar.telemetry;

import static java.util.Objects.requireNonNull;

import com.linecorp.armeria.common.RequestHeaders;
import com.linecorp.armeria.common.RequestId;
import com.linecorp.armeria.common.util.SystemInfo;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.trustline.ca.SpiffeId;
import io.trustline.sidecar.connection.ConnectionEvents;
import io.trustline.sidecar.connection.SlowClientReason;
import io.trustline.sidecar.metrics.MetricNames;
import io.trustline.sidecar.refusal.EarlyRefusalListener;
import io.trustline.sidecar.refusal.Refusal;
import io.trustline.sidecar.refusal.Refusals;
import io.trustline.sidecar.request.InboundRequest;
import java.net.InetSocketAddress;
import java.util.EnumMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What happens at a listener's edge, before the pipeline sees a request: connections closed for slow clients (a
 * metric and a connection-event line) and requests Armeria refuses itself (a malformed request, headers too large:
 * a {@code trustline.requests} sample and an access-log call line with decision {@code error}). One instance per
 * listener.
 */
public final class EdgeOfListener implements ConnectionEvents, EarlyRefusalListener {

    private static final Logger logger = LoggerFactory.getLogger(EdgeOfListener.class);
    /** What the log says where Armeria did not tell (client address and protocol of a refused request). */
    private static final String UNKNOWN = "unknown";

    private final Direction direction;
    /** This workload's identity: the destination of an inbound refusal, the source of an outbound one. */
    private final @Nullable SpiffeId self;

    private final RequestMetrics metrics;
    private final @Nullable AccessLogWriter accessLog;
    private final Map<SlowClientReason, Counter> closes = new EnumMap<>(SlowClientReason.class);

    EdgeOfListener(
            Direction direction,
            @Nullable SpiffeId self,
            MeterRegistry meters,
            RequestMetrics metrics,
            @Nullable AccessLogWriter accessLog) {
        this.direction = direction;
        this.self = self;
        this.metrics = metrics;
        this.accessLog = accessLog;
        for (SlowClientReason reason : SlowClientReason.values()) {
            closes.put(
                    reason,
                    Counter.builder(MetricNames.SLOW_CLIENT_CLOSES)
                            .description("Connections closed because the client was too slow")
                            .tag(MetricNames.LISTENER, direction.tag())
                            .tag(MetricNames.REASON, reason.code().code())
                            .register(meters));
        }
    }

    @Override
    public void slowClientClosed(
            String listener, SlowClientReason reason, @Nullable InetSocketAddress remote, long ageNanos) {
        requireNonNull(closes.get(reason), "counter").increment();
        final String clientIp = remote != null && remote.getAddress() != null
                ? remote.getAddress().getHostAddress()
                : null;
        logger.info(
                "slow client closed listener={} reason={} client={}",
                listener,
                reason.code().code(),
                clientIp);
        if (accessLog != null) {
            accessLog.offer(new AccessLogLine.ConnectionEvent(
                    SystemInfo.currentTimeMicros(),
                    direction.tag(),
                    clientIp,
                    reason.code().code(),
                    ageNanos));
        }
    }

    /**
     * A request Armeria refused before any service saw it (so no span: there is no request context to carry one).
     *
     * @param headers the request's headers when they were decoded at all
     */
    @Override
    public void earlyRefusal(@Nullable RequestHeaders headers, int status, Refusal refusal, RequestId requestId) {
        // The caller's certificate (inbound) and the route (outbound) are not known this early: those ends are unknown.
        final boolean inbound = direction == Direction.INBOUND;
        metrics.record(
                direction,
                inbound ? null : self,
                inbound ? self : null,
                Refusals.isGrpc(headers),
                status,
                null,
                Telemetry.ERROR,
                refusal.reason().code(),
                0);
        if (accessLog == null) {
            return;
        }
        accessLog.offer(AccessLogLine.Call.builder()
                .epochMicros(SystemInfo.currentTimeMicros())
                .requestId(requestId.text())
                .direction(direction)
                .clientIp(UNKNOWN)
                .method(headers != null ? headers.method().name() : UNKNOWN)
                .path(headers != null ? InboundRequest.withoutQuery(headers.path()) : "")
                .protocol(UNKNOWN)
                .status(status)
                .decision(Telemetry.ERROR)
                .reason(refusal.reason().code())
                .build());
    }
}
