package io.trustline.sidecar.jwt;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import com.github.benmanes.caffeine.cache.RemovalCause;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.trustline.policy.model.JwtProvider;
import io.trustline.policy.model.ReplayGuard;
import io.trustline.sidecar.telemetry.MetricNames;
import java.time.Clock;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * Counts the uses of tokens whose issuer has a {@code replay} guard, keyed by issuer and {@code jti}, in a bounded
 * Caffeine store whose entries expire with the token ({@code exp} plus the issuer's clock skew) or, with a
 * {@code window}, that long after the first use, whichever comes first. Per sidecar: each replica counts on its own,
 * so a single-use token can still be used once on each replica. Kept across policy reloads, so a reload does not
 * reset the counts.
 */
final class TokenReplayGuard {

    /** Entries remembered by default: about 200 bytes each. */
    static final int DEFAULT_MAX_ENTRIES = 50_000;

    /** Longer {@code jti} values are hashed into the key rather than kept whole. */
    private static final int MAX_JTI_CHARS = 128;

    private final Clock clock;
    private final Cache<String, Uses> uses;

    /** Uses of one token so far, and when counting stops (epoch millis). Immutable: replaced on each use. */
    private record Uses(int count, long untilMillis) {}

    TokenReplayGuard(int maxEntries, Clock clock, MeterRegistry meters) {
        this.clock = clock;
        final Counter evictions = Counter.builder(MetricNames.JWT_REPLAY_EVICTIONS)
                .description("Replay-guard entries forgotten before their token expired because the store was full")
                .register(meters);
        uses = Caffeine.newBuilder()
                .maximumSize(maxEntries)
                .ticker(() -> TimeUnit.MILLISECONDS.toNanos(clock.millis()))
                .expireAfter(Expiry.<String, Uses>creating(
                        (k, v) -> java.time.Duration.ofMillis(Math.max(0, v.untilMillis() - clock.millis()))))
                .evictionListener((String k, Uses v, RemovalCause cause) -> {
                    if (cause == RemovalCause.SIZE) {
                        evictions.increment();
                    }
                })
                .build();
    }

    /** Runs pending evictions now (tests). */
    void cleanUp() {
        uses.cleanUp();
    }

    private static String hashed(String jti) {
        final TokenHash h = TokenHash.of(jti);
        return "#" + Long.toHexString(h.a()) + Long.toHexString(h.b()) + Long.toHexString(h.c())
                + Long.toHexString(h.d());
    }

    /** Counts this use of {@code token}; the failure when it is refused (or would be, in audit mode), else null. */
    @Nullable
    JwtFailure check(JwtProvider provider, VerifiedToken token) {
        final ReplayGuard guard = provider.replay().orElse(null);
        if (guard == null) {
            return null;
        }
        final Object jti = token.claims().get("jti");
        if (!(jti instanceof String id) || id.isEmpty()) {
            return guard.requireJti()
                    ? new JwtFailure(
                            JwtReason.MISSING_JTI,
                            provider.issuer(),
                            "no jti, and the issuer's replay guard" + " counts tokens by it",
                            guard.mode())
                    : null;
        }
        final long now = clock.millis();
        final long expires =
                token.expiresAt().toEpochMilli() + provider.clockSkew().toMillis();
        final long until = guard.window().isPresent()
                ? Math.min(expires, now + guard.window().get().toMillis())
                : expires;
        final String key = provider.issuer() + '\n' + (id.length() > MAX_JTI_CHARS ? hashed(id) : id);
        final Uses u = uses.asMap()
                .compute(
                        key,
                        (k, old) -> old == null || old.untilMillis() <= now
                                ? new Uses(1, until)
                                : new Uses(old.count() + 1, old.untilMillis()));
        if (u.count() <= guard.maxUses()) {
            return null;
        }
        return new JwtFailure(
                JwtReason.REPLAYED,
                provider.issuer(),
                "use " + u.count() + " of a token allowed " + guard.maxUses()
                        + (guard.maxUses() == 1 ? " use" : " uses"),
                guard.mode());
    }
}
