package io.trustline.sidecar.telemetry;

import static org.assertj.core.api.Assertions.assertThat;

import com.github.benmanes.caffeine.cache.Ticker;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.trustline.sidecar.config.SecurityEventsConfig;
import io.trustline.sidecar.metrics.MetricNames;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class SecurityEventsTest {

    private final AtomicLong nanos = new AtomicLong();
    private final Ticker ticker = nanos::get;
    private final List<AccessLogLine> lines = new ArrayList<>();
    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();

    private SecurityEvents events(int threshold, Duration window, int maxCallers) {
        return new SecurityEvents(new SecurityEventsConfig(threshold, window, maxCallers), ticker, meters, lines::add);
    }

    private void advance(Duration d) {
        nanos.addAndGet(d.toNanos());
    }

    @Test
    void raisesOneEventWhenACallerReachesTheThresholdWithinTheWindow() {
        final SecurityEvents events = events(3, Duration.ofMinutes(1), 100);
        events.failure("spiffe://example.org/ns/shop/sa/mallory", SecurityEvents.Kind.AUTHN, "jwt.invalid", 0);
        events.failure("spiffe://example.org/ns/shop/sa/mallory", SecurityEvents.Kind.AUTHN, "jwt.invalid", 0);
        assertThat(lines).isEmpty();
        events.failure("spiffe://example.org/ns/shop/sa/mallory", SecurityEvents.Kind.AUTHN, "jwt.expired", 0);
        assertThat(lines).hasSize(1);
        final StringBuilder sb = new StringBuilder();
        lines.get(0).appendJson(sb);
        assertThat(sb.toString())
                .contains("\"type\":\"security_event\"")
                .contains("\"caller\":\"spiffe://example.org/ns/shop/sa/mallory\"")
                .contains("\"kind\":\"authn\"")
                .contains("\"failures\":3")
                .contains("\"last_reason\":\"jwt.expired\"");
        // More failures in the same window raise nothing more.
        for (int i = 0; i < 10; i++) {
            events.failure("spiffe://example.org/ns/shop/sa/mallory", SecurityEvents.Kind.AUTHN, "jwt.invalid", 0);
        }
        assertThat(lines).hasSize(1);
        assertThat(meters.get(MetricNames.SECURITY_EVENTS)
                        .tag(MetricNames.KIND, "authn")
                        .counter()
                        .count())
                .isEqualTo(1);
    }

    @Test
    void failuresSpreadOverMoreThanTheWindowRaiseNothing() {
        final SecurityEvents events = events(3, Duration.ofMinutes(1), 100);
        events.failure("10.0.0.9", SecurityEvents.Kind.AUTHZ, "authz.no_allow_match", 0);
        events.failure("10.0.0.9", SecurityEvents.Kind.AUTHZ, "authz.no_allow_match", 0);
        advance(Duration.ofSeconds(61));
        events.failure("10.0.0.9", SecurityEvents.Kind.AUTHZ, "authz.no_allow_match", 0);
        assertThat(lines).isEmpty();
    }

    @Test
    void aNewWindowCanRaiseAgain() {
        final SecurityEvents events = events(2, Duration.ofMinutes(1), 100);
        events.failure("a", SecurityEvents.Kind.AUTHZ, "authz.denied_by_rule", 0);
        events.failure("a", SecurityEvents.Kind.AUTHZ, "authz.denied_by_rule", 0);
        advance(Duration.ofMinutes(2));
        events.failure("a", SecurityEvents.Kind.AUTHZ, "authz.denied_by_rule", 0);
        events.failure("a", SecurityEvents.Kind.AUTHZ, "authz.denied_by_rule", 0);
        assertThat(lines).hasSize(2);
    }

    @Test
    void callersAndKindsAreCountedApart() {
        final SecurityEvents events = events(2, Duration.ofMinutes(1), 100);
        events.failure("a", SecurityEvents.Kind.AUTHZ, "authz.denied_by_rule", 0);
        events.failure("b", SecurityEvents.Kind.AUTHZ, "authz.denied_by_rule", 0);
        events.failure("a", SecurityEvents.Kind.AUTHN, "peer.unauthenticated", 0);
        assertThat(lines).isEmpty();
    }

    @Test
    void thresholdZeroSwitchesEventsOff() {
        final SecurityEvents events = events(0, Duration.ofMinutes(1), 100);
        assertThat(events.enabled()).isFalse();
        events.failure("a", SecurityEvents.Kind.AUTHZ, "authz.denied_by_rule", 0);
        assertThat(lines).isEmpty();
    }

    @Test
    void aFloodOfDistinctCallersStaysBounded() {
        final SecurityEvents events = events(1000, Duration.ofMinutes(1), 50);
        for (int i = 0; i < 10_000; i++) {
            events.failure("10.0." + (i >> 8) + '.' + (i & 0xff), SecurityEvents.Kind.AUTHN, "peer.unauthenticated", 0);
        }
        assertThat(events.trackedCallers()).isLessThanOrEqualTo(50);
    }
}
