package io.trustline.sidecar.edge;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.trustline.policy.model.Mode;
import io.trustline.sidecar.metrics.MetricNames;
import io.trustline.sidecar.refusal.ReasonCode;
import io.trustline.sidecar.request.EdgeCheck;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * The {@code trustline.edge.refusals} counters, all registered up front: the reason codes of the edge stages are a
 * closed set from the code base, never from input.
 */
final class EdgeRefusals {

    static final List<ReasonCode> REASONS = List.of(
            ReasonCode.REQUEST_TOO_MANY_QUERY_PARAMS,
            ReasonCode.REQUEST_QUERY_TOO_LONG,
            ReasonCode.REQUEST_TOO_MANY_HEADERS,
            ReasonCode.CORS_ORIGIN_NOT_ALLOWED,
            ReasonCode.CORS_METHOD_NOT_ALLOWED,
            ReasonCode.CORS_HEADERS_NOT_ALLOWED,
            ReasonCode.DEPRECATION_SUNSET);

    private final Map<ReasonCode, Counter> enforced = new EnumMap<>(ReasonCode.class);
    private final Map<ReasonCode, Counter> audited = new EnumMap<>(ReasonCode.class);

    EdgeRefusals(MeterRegistry meters) {
        for (ReasonCode r : REASONS) {
            enforced.put(r, counter(meters, r, Mode.ENFORCE));
            audited.put(r, counter(meters, r, Mode.AUDIT));
        }
    }

    private static Counter counter(MeterRegistry meters, ReasonCode reason, Mode mode) {
        return Counter.builder(MetricNames.EDGE_REFUSALS)
                .description("Requests refused by request limits, CORS or a sunset (mode=audit: would have been)")
                .tag(MetricNames.REASON, reason.code())
                .tag(MetricNames.MODE, mode.yamlName())
                .register(meters);
    }

    void count(EdgeCheck c) {
        final Counter counter = (c.audited() ? audited : enforced).get(c.reason());
        if (counter != null) {
            counter.increment();
        }
    }
}
