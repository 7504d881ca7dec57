package io.trustline.sidecar.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.trustline.policy.model.Mode;
import io.trustline.policy.model.Origin;
import io.trustline.policy.model.Penalty;
import io.trustline.policy.model.Penalty.Failure;
import io.trustline.policy.model.Rate;
import io.trustline.policy.model.RateLimitKey;
import io.trustline.sidecar.metrics.MetricNames;
import io.trustline.sidecar.refusal.ReasonCode;
import io.trustline.sidecar.refusal.Refusal;
import io.trustline.sidecar.refusal.RefusalKind;
import io.trustline.sidecar.request.RateLimitOutcome;
import io.trustline.sidecar.testing.FakeTicker;
import java.time.Duration;
import java.util.EnumSet;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

class PenaltyBoxTest {

    private static final String CALLER = "spiffe://example.org/ns/shop/sa/prober";

    private final FakeTicker ticker = new FakeTicker();
    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();

    private PenaltyBox box(Set<Failure> failures, Optional<Rate> rate, long burst, Mode mode) {
        final Penalty p = new Penalty(
                RateLimitKey.PRINCIPAL,
                failures,
                3,
                Duration.ofMinutes(1),
                Duration.ofMinutes(10),
                rate,
                burst,
                mode,
                Origin.PROGRAMMATIC);
        return new PenaltyBox(p, 1_000, ticker, Runnable::run, meters);
    }

    private PenaltyBox refusing() {
        return box(EnumSet.allOf(Failure.class), Optional.empty(), 0, Mode.ENFORCE);
    }

    private void fail(PenaltyBox box, Failure f, int times) {
        for (int i = 0; i < times; i++) {
            box.recordFailure(CALLER, f, ticker.read());
        }
    }

    private double entered(String mode) {
        return meters.find(MetricNames.PENALTY_ENTERED)
                .tag(MetricNames.MODE, mode)
                .counter()
                .count();
    }

    @Test
    void thresholdFailuresWithinTheWindowBoxTheCallerForTheDuration() {
        final PenaltyBox box = refusing();
        fail(box, Failure.AUTHZ, 2);
        assertThat(box.check(CALLER, ticker.read())).isNull();
        fail(box, Failure.AUTHN, 1);
        final Refusal r = box.check(CALLER, ticker.read());
        assertThat(r.kind()).isEqualTo(RefusalKind.RATE_LIMITED);
        assertThat(r.reason()).isEqualTo(ReasonCode.RATELIMIT_PENALTY_BOX);
        assertThat(r.headers().get(RateLimitHeaders.RETRY_AFTER)).isEqualTo("600");
        assertThat(box.check("spiffe://example.org/ns/shop/sa/other", ticker.read()))
                .isNull();
        assertThat(entered("enforce")).isEqualTo(1);

        ticker.advance(Duration.ofMinutes(9).plusSeconds(59).plusMillis(500));
        assertThat(box.check(CALLER, ticker.read()).headers().get(RateLimitHeaders.RETRY_AFTER))
                .isEqualTo("1");
        ticker.advance(Duration.ofMillis(500));
        assertThat(box.check(CALLER, ticker.read())).isNull(); // served its time
        assertThat(box.boxedCount()).isZero();
    }

    @Test
    void failuresSpreadBeyondTheWindowDoNotBox() {
        final PenaltyBox box = refusing();
        fail(box, Failure.AUTHZ, 2);
        ticker.advance(Duration.ofMinutes(1));
        fail(box, Failure.AUTHZ, 2); // the first window closed: a new one holds two
        assertThat(box.check(CALLER, ticker.read())).isNull();
        fail(box, Failure.AUTHZ, 1);
        assertThat(box.check(CALLER, ticker.read())).isNotNull();
    }

    @Test
    void onlyTheListedFailuresCount() {
        final PenaltyBox box = box(EnumSet.of(Failure.AUTHN), Optional.empty(), 0, Mode.ENFORCE);
        fail(box, Failure.AUTHZ, 10);
        assertThat(box.check(CALLER, ticker.read())).isNull();
        fail(box, Failure.AUTHN, 3);
        assertThat(box.check(CALLER, ticker.read())).isNotNull();
    }

    @Test
    void aBoxedCallerWithARateGetsItsOwnSmallBucket() {
        final PenaltyBox box = box(EnumSet.allOf(Failure.class), Optional.of(Rate.parse("1/m")), 2, Mode.ENFORCE);
        fail(box, Failure.AUTHZ, 3);
        assertThat(box.check(CALLER, ticker.read())).isNull();
        assertThat(box.check(CALLER, ticker.read())).isNull();
        final Refusal r = box.check(CALLER, ticker.read());
        assertThat(r.reason()).isEqualTo(ReasonCode.RATELIMIT_PENALTY_BOX);
        assertThat(r.headers().get(RateLimitHeaders.LIMIT)).isEqualTo("2");
        assertThat(r.headers().get(RateLimitHeaders.RETRY_AFTER)).isEqualTo("60");
        ticker.advance(Duration.ofMinutes(1));
        assertThat(box.check(CALLER, ticker.read())).isNull();
    }

    @Test
    void aCallerThatKeepsFailingStaysBoxedAndIsLoggedOnce() {
        final PenaltyBox box = refusing();
        fail(box, Failure.AUTHZ, 3);
        ticker.advance(Duration.ofMinutes(9));
        fail(box, Failure.AUTHZ, 3); // renewed for another ten minutes
        ticker.advance(Duration.ofMinutes(9));
        assertThat(box.check(CALLER, ticker.read())).isNotNull();
        assertThat(entered("enforce")).isEqualTo(1);
    }

    @Test
    void auditModeBoxesNobodyButRecordsWhatItWouldHaveDone() {
        final PenaltyBox box = box(EnumSet.allOf(Failure.class), Optional.empty(), 0, Mode.AUDIT);
        fail(box, Failure.AUTHZ, 3);
        assertThat(box.check(CALLER, ticker.read())).isSameAs(PenaltyBox.AUDITED);
        assertThat(box.outcome)
                .isEqualTo(new RateLimitOutcome("penalty:principal", RateLimitOutcome.Kind.PENALTY_BOX, false));
        assertThat(entered("audit")).isEqualTo(1);
        assertThat(meters.find(MetricNames.RATELIMIT_REFUSALS)
                        .tag(MetricNames.LIMIT, "penalty:principal")
                        .tag(MetricNames.MODE, "audit")
                        .counter()
                        .count())
                .isEqualTo(1);
    }

    @Test
    void memoryStaysBoundedWhenManyCallersFail() {
        final PenaltyBox box = refusing();
        for (int i = 0; i < 50_000; i++) {
            final String caller = "10.2." + ((i >> 8) & 0xff) + '.' + (i & 0xff);
            for (int k = 0; k < 3; k++) {
                box.recordFailure(caller, Failure.AUTHN, ticker.read());
            }
        }
        assertThat(box.boxedCount()).isLessThanOrEqualTo(1_000);
    }
}
