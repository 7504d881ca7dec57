package io.trustline.sidecar.outbound.traffic;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.trustline.ca.HostPort;
import io.trustline.ca.SpiffeId;
import io.trustline.sidecar.config.OutlierDetectionConfig;
import io.trustline.sidecar.config.RetriesConfig;
import io.trustline.sidecar.config.RouteConfig;
import io.trustline.sidecar.config.RouteLimitsConfig;
import java.time.Duration;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

class RouteTrafficTest {

    private static final SpiffeId ID = SpiffeId.parse("spiffe://example.org/ns/shop/sa/inventory");

    private static RouteConfig route(@Nullable Duration timeout, RetriesConfig retries, RouteLimitsConfig limits) {
        return new RouteConfig(
                HostPort.parse("10.0.0.7:15006"),
                ID,
                null,
                null,
                null,
                null,
                OutlierDetectionConfig.DEFAULT,
                timeout,
                retries,
                limits);
    }

    private static RetriesConfig attempts(int n) {
        return new RetriesConfig(n, null, null, null, null, null, null);
    }

    @Test
    void aRouteWithOneAttemptNoTimeoutAndNoLimitsAddsNoDecoratorAtAll() {
        final RouteTraffic traffic =
                RouteTraffic.of("inventory", route(null, attempts(1), RouteLimitsConfig.UNLIMITED), meters());
        assertThat(traffic.none()).isTrue();
        assertThat(traffic.around()).isEmpty();
        assertThat(traffic.retries()).isNull();
    }

    @Test
    void aRouteWithoutTheKeysAddsNoDecoratorAtAll() {
        assertThat(RouteTraffic.of("d", route(null, RetriesConfig.DEFAULT, RouteLimitsConfig.UNLIMITED), meters())
                        .none())
                .isTrue();
    }

    @Test
    void eachSettingAddsItsOwnDecorator() {
        final SimpleMeterRegistry meters = meters();
        assertThat(RouteTraffic.of("a", route(null, attempts(2), RouteLimitsConfig.UNLIMITED), meters)
                        .retries())
                .isNotNull();
        assertThat(RouteTraffic.of("b", route(Duration.ofSeconds(1), attempts(1), RouteLimitsConfig.UNLIMITED), meters)
                        .around())
                .hasSize(1);
        final RouteTraffic limited =
                RouteTraffic.of("c", route(null, attempts(1), new RouteLimitsConfig(4, null, null)), meters);
        assertThat(limited.around()).hasSize(1);
        assertThat(limited.retries()).isNull();
        assertThat(meters.find("trustline.outbound.overloaded")
                        .tag("route", "c")
                        .counter())
                .isNotNull();
        assertThat(meters.find("trustline.outbound.retries").tag("route", "a").counter())
                .isNotNull();
        assertThat(meters.find("trustline.outbound.retries").tag("route", "b").counter())
                .isNull();
    }

    private static SimpleMeterRegistry meters() {
        return new SimpleMeterRegistry();
    }
}
