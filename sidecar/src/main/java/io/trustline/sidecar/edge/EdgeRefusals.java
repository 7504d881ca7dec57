package io.trustline.sidecar.edge;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.trustline.policy.engine.CorsCheck;
import io.trustline.policy.engine.DeprecatedRoute;
import io.trustline.policy.engine.RequestLimitsCheck;
import io.trustline.policy.model.Mode;
import io.trustline.sidecar.metrics.MetricNames;
import io.trustline.sidecar.request.EdgeCheck;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The {@code trustline.edge.refusals} counters, all registered up front: the reason codes of the edge stages are a
 * closed set from the code base, never from input.
 */
final class EdgeRefusals {

    static final List<String> REASONS = List.of(
            RequestLimitsCheck.TOO_MANY_QUERY_PARAMS,
            RequestLimitsCheck.QUERY_TOO_LONG,
            RequestLimitsCheck.TOO_MANY_HEADERS,
            CorsCheck.Outcome.ORIGIN_NOT_ALLOWED.reason(),
            CorsCheck.Outcome.METHOD_NOT_ALLOWED.reason(),
            CorsCheck.Outcome.PREFLIGHT_HEADERS_NOT_ALLOWED.reason(),
            DeprecatedRoute.SUNSET);

    private final Map<String, Counter> enforced = new HashMap<>();
    private final Map<String, Counter> audited = new HashMap<>();

    EdgeRefusals(MeterRegistry meters) {
        for (String r : REASONS) {
            enforced.put(r, counter(meters, r, Mode.ENFORCE));
            audited.put(r, counter(meters, r, Mode.AUDIT));
        }
    }

    private static Counter counter(MeterRegistry meters, String reason, Mode mode) {
        return Counter.builder(MetricNames.EDGE_REFUSALS)
                .description("Requests refused by request limits, CORS or a sunset (mode=audit: would have been)")
                .tag(MetricNames.REASON, reason)
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
