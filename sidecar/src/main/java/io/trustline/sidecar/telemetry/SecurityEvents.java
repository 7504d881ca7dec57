package io.trustline.sidecar.telemetry;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Ticker;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.trustline.sidecar.config.SecurityEventsConfig;
import io.trustline.sidecar.metrics.MetricNames;
import java.time.Duration;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Raises one security event when a caller fails authentication (or authorization) {@code threshold} times within a
 * window: the "spike of failed logins" signal. Counters live in a size-bounded Caffeine cache, so a flood of distinct
 * callers costs bounded memory (the least recently seen are forgotten first); windows are measured with the injected
 * {@link Ticker}, not by cache expiry. One event per caller, kind and window, however many failures follow.
 */
final class SecurityEvents {

    private static final Logger logger = LoggerFactory.getLogger(SecurityEvents.class);

    /** What failed. */
    enum Kind {
        /** No or invalid credentials: a missing peer identity, an invalid token. */
        AUTHN("authn"),
        /** Valid credentials, denied by policy. */
        AUTHZ("authz");

        final String tag;

        Kind(String tag) {
            this.tag = tag;
        }
    }

    private record Key(String caller, Kind kind) {}

    /** Failures of one caller and kind in the current window; guarded by itself. */
    private static final class Window {
        long startNanos;
        int failures;
        boolean reported;

        Window(long startNanos) {
            this.startNanos = startNanos;
        }
    }

    private final int threshold;
    private final long windowNanos;
    private final Ticker ticker;
    private final Cache<Key, Window> windows;
    private final Counter authnEvents;
    private final Counter authzEvents;
    private final Consumer<AccessLogLine> sink;

    /**
     * @param sink where the event line goes (the access log), besides the operational log at WARN
     */
    SecurityEvents(SecurityEventsConfig config, Ticker ticker, MeterRegistry meters, Consumer<AccessLogLine> sink) {
        threshold = config.threshold();
        windowNanos = config.window().toNanos();
        this.ticker = ticker;
        this.sink = sink;
        windows = Caffeine.newBuilder()
                .maximumSize(config.maxCallers())
                .expireAfterAccess(Duration.ofNanos(windowNanos))
                .ticker(ticker)
                .build();
        authnEvents = counter(meters, Kind.AUTHN);
        authzEvents = counter(meters, Kind.AUTHZ);
    }

    private static Counter counter(MeterRegistry meters, Kind kind) {
        return Counter.builder(MetricNames.SECURITY_EVENTS)
                .description("Callers that went over the failed authentication/authorization threshold")
                .tag(MetricNames.KIND, kind.tag)
                .register(meters);
    }

    boolean enabled() {
        return threshold > 0;
    }

    /** Callers with a window open now (bounded by {@code maxCallers}). */
    long trackedCallers() {
        windows.cleanUp();
        return windows.estimatedSize();
    }

    /** Counts one failure of {@code caller}; raises the event when it reaches the threshold. */
    void failure(String caller, Kind kind, String reason, long epochMicros) {
        if (threshold <= 0) {
            return;
        }
        final long now = ticker.read();
        final Window w = windows.get(new Key(caller, kind), k -> new Window(now));
        final int failures;
        synchronized (w) {
            if (now - w.startNanos >= windowNanos) {
                w.startNanos = now;
                w.failures = 0;
                w.reported = false;
            }
            w.failures++;
            if (w.reported || w.failures < threshold) {
                return;
            }
            w.reported = true;
            failures = w.failures;
        }
        (kind == Kind.AUTHN ? authnEvents : authzEvents).increment();
        final long windowSeconds = Math.max(1, windowNanos / 1_000_000_000L);
        logger.warn(
                "security event: repeated failures caller={} kind={} failures={} window_s={} last_reason={}",
                caller,
                kind.tag,
                failures,
                windowSeconds,
                reason);
        sink.accept(new AccessLogLine.SecurityEvent(epochMicros, caller, kind.tag, failures, windowSeconds, reason));
    }
}
