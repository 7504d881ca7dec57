package io.trustline.sidecar.ratelimit;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Ticker;
import com.linecorp.armeria.common.HttpHeaders;
import com.linecorp.armeria.common.HttpHeadersBuilder;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.trustline.policy.model.Mode;
import io.trustline.policy.model.Penalty;
import io.trustline.policy.model.RateLimitKey;
import io.trustline.sidecar.metrics.MetricNames;
import io.trustline.sidecar.refusal.Refusal;
import io.trustline.sidecar.refusal.RefusalKind;
import io.trustline.sidecar.request.RateLimitOutcome;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The adaptive penalty box of one service ({@code spec.penalty}): a caller that collects {@code threshold} counted
 * failures (401s, 403s) within {@code window} is boxed for {@code duration}, during which it gets its own much
 * smaller bucket, or is refused outright. Failures are counted in a window that opens at a caller's first failure
 * and lasts {@code window}; a failure after it opens a new one. A boxed caller that keeps failing stays boxed (the
 * box is renewed, logged only on entry). Both tables are Caffeine caches bounded in keys, with the injected ticker.
 */
final class PenaltyBox {

    private static final Logger logger = LoggerFactory.getLogger(PenaltyBox.class);

    /** What {@link #check} returns when an audit-mode box would have refused: the request goes on. */
    static final Refusal AUDITED = refusal(HttpHeaders.of());

    private final Penalty penalty;
    private final String name;
    private final long windowNanos;
    private final long durationNanos;
    private final @Nullable BucketSpec boxedBucket;
    private final boolean audit;
    private final Cache<String, Failures> failures;
    private final Cache<String, Box> boxes;
    private final Counter entered;
    /** Entry log lines: 20 at once, then 10 a second; a flood of boxed addresses cannot flood the log. */
    private final TokenBucket logBudget;

    private final AtomicLong unlogged = new AtomicLong();
    private final Counter refusals;
    final RateLimitOutcome outcome;

    PenaltyBox(Penalty penalty, long maxKeys, Ticker ticker, Executor executor, MeterRegistry meters) {
        this.penalty = penalty;
        name = "penalty:" + penalty.key();
        windowNanos = penalty.window().toNanos();
        durationNanos = penalty.duration().toNanos();
        boxedBucket = penalty.rate().map(r -> BucketSpec.of(r, penalty.burst())).orElse(null);
        audit = penalty.mode() == Mode.AUDIT;
        logBudget = new TokenBucket(BucketSpec.of(20, TimeUnit.MILLISECONDS.toNanos(100)), ticker.read());
        failures = Caffeine.newBuilder()
                .maximumSize(maxKeys)
                .expireAfterAccess(penalty.window())
                .ticker(ticker)
                .executor(executor)
                .build();
        boxes = Caffeine.newBuilder()
                .maximumSize(maxKeys)
                .expireAfterWrite(penalty.duration())
                .ticker(ticker)
                .executor(executor)
                .build();
        final String mode = penalty.mode().yamlName();
        entered = Counter.builder(MetricNames.PENALTY_ENTERED)
                .description("Callers put in the penalty box (mode=audit: would have been)")
                .tag(MetricNames.MODE, mode)
                .register(meters);
        refusals = Counter.builder(MetricNames.RATELIMIT_REFUSALS)
                .description("Requests refused by a rate limit (mode=audit: would have been)")
                .tag(MetricNames.LIMIT, name)
                .tag(MetricNames.MODE, mode)
                .register(meters);
        outcome = new RateLimitOutcome(name, RateLimitOutcome.Kind.PENALTY_BOX, !audit);
    }

    Penalty penalty() {
        return penalty;
    }

    RateLimitKey key() {
        return penalty.key();
    }

    /** Whether refusals of this kind count toward the threshold. */
    boolean counts(Penalty.Failure failure) {
        return penalty.failures().contains(failure);
    }

    /**
     * The refusal for a request by {@code caller}, or null if it is not boxed or its boxed bucket still has a
     * token. An audit-mode box refuses nothing: it returns {@link #AUDITED} where it would have refused.
     */
    @Nullable
    Refusal check(String caller, long now) {
        final Box box = boxes.getIfPresent(caller);
        if (box == null || box.until - now <= 0) {
            return null;
        }
        if (box.bucket == null) {
            refusals.increment();
            return audit ? AUDITED : refusal(HttpHeaders.of(RateLimitHeaders.RETRY_AFTER, seconds(box.until - now)));
        }
        final long r = box.bucket.tryAcquire(now);
        if (r > 0) {
            return null;
        }
        refusals.increment();
        if (audit) {
            return AUDITED;
        }
        final BucketSpec spec = box.bucket.spec();
        final HttpHeadersBuilder h = HttpHeaders.builder();
        RateLimitHeaders.addRefused(h, spec, -r);
        return refusal(h.build());
    }

    /** Whether {@code caller} is boxed now (in audit mode: would be). */
    boolean isBoxed(String caller, long now) {
        final Box box = boxes.getIfPresent(caller);
        return box != null && box.until - now > 0;
    }

    private static Refusal refusal(HttpHeaders headers) {
        return Refusal.of(RefusalKind.RATE_LIMITED, RateLimitOutcome.Kind.PENALTY_BOX.reason(), headers);
    }

    /** Counts one failure by {@code caller}; boxes it when it reaches the threshold within the window. */
    void recordFailure(String caller, Penalty.Failure failure, long now) {
        if (!counts(failure)) {
            return;
        }
        final Failures f = failures.get(caller, k -> new Failures(now));
        final boolean tripped;
        synchronized (f) {
            if (now - f.windowStart >= windowNanos) {
                f.windowStart = now;
                f.count = 0;
            }
            tripped = ++f.count >= penalty.threshold();
            if (tripped) {
                f.windowStart = now;
                f.count = 0;
            }
        }
        if (tripped) {
            box(caller, now);
        }
    }

    private void box(String caller, long now) {
        final boolean[] renewal = new boolean[1];
        // Atomic per caller, so that two failures tripping at once enter (and log) once.
        boxes.asMap().compute(caller, (k, old) -> {
            renewal[0] = old != null && old.until - now > 0;
            final TokenBucket bucket =
                    renewal[0] ? old.bucket : boxedBucket != null ? new TokenBucket(boxedBucket, now) : null;
            return new Box(now + durationNanos, bucket);
        });
        if (!renewal[0]) {
            entered.increment();
            if (logBudget.tryAcquire(now) < 0) {
                unlogged.incrementAndGet();
                return;
            }
            // Once per entry, not per request; the caller is a SPIFFE ID, an address or iss/sub, never a token.
            final Object[] fields = {
                penalty.key(),
                caller,
                unlogged.getAndSet(0),
                penalty.threshold(),
                penalty.window(),
                penalty.duration(),
                penalty.rate().map(Object::toString).orElse("refused")
            };
            if (audit) {
                logger.warn(
                        "caller would be penalized (audit) key={} caller={} unlogged_before={} threshold={} window={}"
                                + " duration={} rate={}",
                        fields);
            } else {
                logger.warn(
                        "caller penalized key={} caller={} unlogged_before={} threshold={} window={} duration={} rate={}",
                        fields);
            }
        }
    }

    /** Boxed callers now (an estimate, after pending evictions; for tests). */
    long boxedCount() {
        boxes.cleanUp();
        return boxes.estimatedSize();
    }

    static String seconds(long nanos) {
        return Long.toString(RateLimitHeaders.ceilSeconds(nanos));
    }

    /** Failures in the current window of one caller. */
    private static final class Failures {
        long windowStart;
        int count;

        Failures(long now) {
            windowStart = now;
        }
    }

    /** One boxed caller: until when, and its bucket (null: refused outright). */
    private record Box(long until, @Nullable TokenBucket bucket) {}
}
