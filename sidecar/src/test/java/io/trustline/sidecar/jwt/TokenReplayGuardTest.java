package io.trustline.sidecar.jwt;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.trustline.ca.testing.MutableClock;
import io.trustline.policy.model.JwtProvider;
import io.trustline.policy.model.Mode;
import io.trustline.policy.model.Origin;
import io.trustline.policy.model.ReplayGuard;
import io.trustline.sidecar.metrics.MetricNames;
import io.trustline.sidecar.request.JwtFailure;
import io.trustline.sidecar.request.JwtReason;
import io.trustline.sidecar.request.VerifiedToken;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class TokenReplayGuardTest {

    private final MutableClock clock = MutableClock.startingNow();
    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();

    private static JwtProvider issuer(ReplayGuard guard) {
        final JwtProvider p = JwtProvider.of("https://i.test", List.of("a"), URI.create("https://i.test/jwks"));
        return new JwtProvider(
                p.issuer(),
                p.audiences(),
                p.algorithms(),
                p.jwksUri(),
                p.jwksFile(),
                p.clockSkew(),
                p.maxTokenLifetime(),
                p.fromHeaders(),
                p.fromQuery(),
                p.claimsToHeaders(),
                p.forwardToken(),
                p.required(),
                p.maxTokenBytes(),
                p.jwksCache(),
                Optional.of(guard),
                guard.mode(),
                Origin.PROGRAMMATIC);
    }

    private VerifiedToken token(String jti, Duration ttl) {
        final Map<String, Object> claims = jti == null ? Map.of() : Map.of("jti", jti);
        return new VerifiedToken(
                "https://i.test",
                "alice",
                "https://i.test/alice",
                claims,
                clock.instant().plus(ttl));
    }

    @Test
    void aSingleUseTokenIsAcceptedOnceUntilItExpires() {
        final TokenReplayGuard guard = new TokenReplayGuard(100, clock, meters);
        final JwtProvider p = issuer(new ReplayGuard(1, Optional.empty(), true, Mode.ENFORCE));
        final VerifiedToken t = token("t1", Duration.ofMinutes(5));
        assertThat(guard.check(p, t)).isNull();
        assertThat(guard.check(p, t).reason()).isEqualTo(JwtReason.REPLAYED);
        assertThat(guard.check(p, token("t2", Duration.ofMinutes(5)))).isNull();
        // Past exp + skew the entry is gone, but such a token is refused as expired before the guard sees it.
        clock.advance(Duration.ofMinutes(5).plus(JwtProvider.DEFAULT_CLOCK_SKEW).plusSeconds(1));
        assertThat(guard.check(p, t)).isNull();
    }

    @Test
    void limitedReuseWithinAWindow() {
        final TokenReplayGuard guard = new TokenReplayGuard(100, clock, meters);
        final JwtProvider p = issuer(new ReplayGuard(3, Optional.of(Duration.ofSeconds(30)), true, Mode.AUDIT));
        final VerifiedToken t = token("w", Duration.ofHours(1));
        for (int i = 0; i < 3; i++) {
            assertThat(guard.check(p, t)).isNull();
        }
        final JwtFailure f = guard.check(p, t);
        assertThat(f.reason()).isEqualTo(JwtReason.REPLAYED);
        assertThat(f.audited()).isTrue();
        clock.advance(Duration.ofSeconds(31));
        assertThat(guard.check(p, t)).isNull();
    }

    @Test
    void aTokenWithoutJtiIsRefusedUnlessTheGuardSaysOtherwise() {
        final TokenReplayGuard guard = new TokenReplayGuard(100, clock, meters);
        final VerifiedToken t = token(null, Duration.ofMinutes(5));
        assertThat(guard.check(issuer(new ReplayGuard(1, Optional.empty(), true, Mode.ENFORCE)), t)
                        .reason())
                .isEqualTo(JwtReason.MISSING_JTI);
        assertThat(guard.check(issuer(new ReplayGuard(1, Optional.empty(), false, Mode.ENFORCE)), t))
                .isNull();
    }

    @Test
    void aFullStoreRefusesNewTokensUntilRememberedOnesExpireAndForgetsNothing() {
        final TokenReplayGuard guard = new TokenReplayGuard(10, clock, meters);
        final JwtProvider p = issuer(new ReplayGuard(1, Optional.empty(), true, Mode.ENFORCE));
        for (int i = 0; i < 10; i++) {
            assertThat(guard.check(p, token("kept-" + i, Duration.ofMinutes(5))))
                    .isNull();
        }
        for (int i = 0; i < 200; i++) {
            assertThat(guard.check(p, token("flood-" + i, Duration.ofMinutes(5)))
                            .reason())
                    .isEqualTo(JwtReason.REPLAY_STORE_FULL);
        }
        for (int i = 0; i < 10; i++) {
            assertThat(guard.check(p, token("kept-" + i, Duration.ofMinutes(5))).reason())
                    .isEqualTo(JwtReason.REPLAYED);
        }
        guard.cleanUp();
        assertThat(meters.counter(MetricNames.JWT_REPLAY_EVICTIONS).count()).isZero();
        assertThat(meters.get(MetricNames.JWT_REPLAY_STORE_ENTRIES).gauge().value())
                .isEqualTo(10);

        clock.advance(Duration.ofMinutes(5).plus(JwtProvider.DEFAULT_CLOCK_SKEW).plusSeconds(1));
        assertThat(guard.check(p, token("after-" + 0, Duration.ofMinutes(5)))).isNull();
        assertThat(meters.get(MetricNames.JWT_REPLAY_STORE_ENTRIES).gauge().value())
                .isEqualTo(1);
    }

    @Test
    void longJtisAreKeptHashed() {
        final TokenReplayGuard guard = new TokenReplayGuard(100, clock, meters);
        final JwtProvider p = issuer(new ReplayGuard(1, Optional.empty(), true, Mode.ENFORCE));
        final VerifiedToken t = token("x".repeat(500), Duration.ofMinutes(5));
        assertThat(guard.check(p, t)).isNull();
        assertThat(guard.check(p, t).reason()).isEqualTo(JwtReason.REPLAYED);
        assertThat(guard.check(p, token("x".repeat(499) + "y", Duration.ofMinutes(5))))
                .isNull();
    }
}
