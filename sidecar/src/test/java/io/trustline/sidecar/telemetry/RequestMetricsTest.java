package io.trustline.sidecar.telemetry;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.trustline.ca.SpiffeId;
import io.trustline.sidecar.metrics.MetricNames;
import org.junit.jupiter.api.Test;

/** The label values of the request metrics stay in their closed sets whatever the traffic sends. */
class RequestMetricsTest {

    private static final SpiffeId FRONTEND = SpiffeId.of("example.org", "shop", "frontend");
    private static final SpiffeId ORDERS = SpiffeId.of("example.org", "shop", "orders");

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final RequestMetrics metrics = new RequestMetrics(registry);

    private Counter only() {
        assertThat(registry.find(MetricNames.REQUESTS).counters()).hasSize(1);
        return registry.find(MetricNames.REQUESTS).counter();
    }

    @Test
    void aGrpcStatusOutsideTheSpecIsCountedAsOther() {
        metrics.record(Direction.INBOUND, FRONTEND, ORDERS, true, 200, "99999", "allow", "authz.allowed", 1000);
        assertThat(only().getId().getTag(MetricNames.GRPC_RESPONSE_STATUS)).isEqualTo("other");
    }

    @Test
    void aCallWithoutPeerIdentityIsCountedAsUnknownWithEveryLabelPresent() {
        metrics.record(Direction.INBOUND, null, ORDERS, false, 403, null, "deny", "authz.no_allow_match", 1000);
        final Meter.Id id = only().getId();
        assertThat(id.getTags())
                .extracting(t -> t.getKey())
                .containsExactlyInAnyOrderElementsOf(MetricNames.REQUEST_LABELS);
        assertThat(id.getTag(MetricNames.SOURCE_WORKLOAD)).isEqualTo("unknown");
        assertThat(id.getTag(MetricNames.SOURCE_PRINCIPAL)).isEqualTo("unknown");
        assertThat(id.getTag(MetricNames.DESTINATION_WORKLOAD)).isEqualTo("orders");
        assertThat(id.getTag(MetricNames.GRPC_RESPONSE_STATUS)).isEqualTo("none");
        assertThat(id.getTag(MetricNames.RESPONSE_CODE)).isEqualTo("403");
    }

    @Test
    void repeatedCallsReuseOneCounterAndOneTimerPerWorkloadPair() {
        for (int i = 0; i < 3; i++) {
            metrics.record(Direction.OUTBOUND, FRONTEND, ORDERS, true, 200, "0", "allow", "none", 1000);
        }
        metrics.record(Direction.OUTBOUND, FRONTEND, ORDERS, true, 200, "7", "allow", "none", 1000);
        assertThat(registry.find(MetricNames.REQUESTS).counters()).hasSize(2);
        assertThat(registry.find(MetricNames.REQUEST_DURATION).timers()).hasSize(1);
        assertThat(registry.find(MetricNames.REQUEST_DURATION).timer().count()).isEqualTo(4);
    }

    @Test
    void aSpiffeIdOutsideTheNamespaceServiceShapeKeepsOnlyItsPrincipal() {
        final Workload w = Workload.of(SpiffeId.parse("spiffe://example.org/agent/node-1"));
        assertThat(w.workload()).isEqualTo("unknown");
        assertThat(w.namespace()).isEqualTo("unknown");
        assertThat(w.principal()).isEqualTo("spiffe://example.org/agent/node-1");
    }
}
