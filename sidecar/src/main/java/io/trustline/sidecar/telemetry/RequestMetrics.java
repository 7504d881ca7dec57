package io.trustline.sidecar.telemetry;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * The per-call metrics: {@value MetricNames#REQUESTS} by direction, status class, decision and reason, and
 * {@value MetricNames#REQUEST_DURATION} histograms per direction. Counters are looked up in a map keyed by the tag
 * values, which are all from closed sets (the peer only when an operator opted in), so the map stays small.
 */
final class RequestMetrics {

    /** Histogram buckets: sub-millisecond for the proxy's own overhead up to the slow tail of the apps. */
    private static final Duration[] BUCKETS = {
        Duration.ofMillis(1).dividedBy(2),
        Duration.ofMillis(1),
        Duration.ofMillis(2),
        Duration.ofMillis(5),
        Duration.ofMillis(10),
        Duration.ofMillis(25),
        Duration.ofMillis(50),
        Duration.ofMillis(100),
        Duration.ofMillis(250),
        Duration.ofMillis(500),
        Duration.ofSeconds(1),
        Duration.ofMillis(2500),
        Duration.ofSeconds(5),
        Duration.ofSeconds(10)
    };

    private static final String[] STATUS_CLASSES = {"none", "1xx", "2xx", "3xx", "4xx", "5xx"};

    private record Key(Direction direction, int statusClass, String decision, String reason, String peer) {}

    private final MeterRegistry meters;
    private final boolean peerTag;
    private final ConcurrentMap<Key, Counter> counters = new ConcurrentHashMap<>();
    private final Timer inbound;
    private final Timer outbound;

    RequestMetrics(MeterRegistry meters, boolean peerTag) {
        this.meters = meters;
        this.peerTag = peerTag;
        inbound = timer(meters, Direction.INBOUND);
        outbound = timer(meters, Direction.OUTBOUND);
    }

    private static Timer timer(MeterRegistry meters, Direction direction) {
        return Timer.builder(MetricNames.REQUEST_DURATION)
                .description("Time from the first byte of a request to the last byte of its response")
                .tag(MetricNames.DIRECTION, direction.tag())
                .serviceLevelObjectives(BUCKETS)
                .register(meters);
    }

    static int statusClass(int status) {
        return status >= 100 && status < 600 ? status / 100 : 0;
    }

    void record(
            Direction direction,
            int status,
            String decision,
            String reason,
            @Nullable String peer,
            long durationNanos) {
        final Key key = new Key(direction, statusClass(status), decision, reason, peerTag && peer != null ? peer : "");
        Counter counter = counters.get(key);
        if (counter == null) {
            counter = counters.computeIfAbsent(key, this::register);
        }
        counter.increment();
        (direction == Direction.INBOUND ? inbound : outbound).record(durationNanos, TimeUnit.NANOSECONDS);
    }

    private Counter register(Key key) {
        final Counter.Builder b = Counter.builder(MetricNames.REQUESTS)
                .description("Calls through the sidecar's listeners")
                .tag(MetricNames.DIRECTION, key.direction().tag())
                .tag(MetricNames.STATUS_CLASS, STATUS_CLASSES[key.statusClass()])
                .tag(MetricNames.DECISION, key.decision())
                .tag(MetricNames.REASON, key.reason());
        if (peerTag) {
            b.tag(MetricNames.PEER, key.peer().isEmpty() ? "none" : key.peer());
        }
        return b.register(meters);
    }
}
