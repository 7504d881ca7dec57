package io.trustline.sidecar.telemetry;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.trustline.ca.SpiffeId;
import io.trustline.sidecar.metrics.MetricNames;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * The per-call metrics: {@value MetricNames#REQUESTS} with the labels of {@link MetricNames#REQUEST_LABELS} and the
 * {@value MetricNames#REQUEST_DURATION} histogram per direction, workload pair and protocol. Every label value comes
 * from a closed set (verified SPIFFE IDs, status codes, gRPC codes, the code base's reason codes), so the meters are
 * registered once per combination and looked up by one map access per call; the label lists are built only then.
 */
final class RequestMetrics {

    /**
     * Histogram buckets: 100 us steps for the proxy's own overhead (a warm hop costs a few hundred microseconds), then
     * the slow tail of the apps.
     */
    private static final Duration[] BUCKETS = {
        Duration.ofNanos(100_000),
        Duration.ofNanos(250_000),
        Duration.ofNanos(500_000),
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

    /** The highest gRPC status code (UNAUTHENTICATED); anything else an app sends is counted as {@code other}. */
    private static final int MAX_GRPC_STATUS = 16;

    /** What one call is counted by; the identities are kept as IDs and turned into labels only on registration. */
    private record Key(
            Direction direction,
            @Nullable SpiffeId source,
            @Nullable SpiffeId destination,
            boolean grpc,
            int status,
            @Nullable String grpcStatus,
            String decision,
            String reason) {}

    private record PairKey(Direction direction, Workload source, Workload destination, boolean grpc) {}

    private record Meters(Counter requests, Timer duration) {}

    private final MeterRegistry registry;
    private final ConcurrentMap<Key, Meters> meters = new ConcurrentHashMap<>();
    private final ConcurrentMap<PairKey, Timer> timers = new ConcurrentHashMap<>();

    RequestMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    /**
     * Counts one call and records its duration.
     *
     * @param source the verified identity of the caller (inbound: the peer; outbound: this workload), or null
     * @param destination the identity of the callee (inbound: this workload; outbound: the route's), or null
     * @param grpcStatus the {@code grpc-status} of a gRPC call's response, or null
     */
    void record(
            Direction direction,
            @Nullable SpiffeId source,
            @Nullable SpiffeId destination,
            boolean grpc,
            int status,
            @Nullable String grpcStatus,
            String decision,
            String reason,
            long durationNanos) {
        final Key key = new Key(direction, source, destination, grpc, status, grpcStatus, decision, reason);
        Meters m = meters.get(key);
        if (m == null) {
            m = meters.computeIfAbsent(key, this::register);
        }
        m.requests().increment();
        m.duration().record(durationNanos, TimeUnit.NANOSECONDS);
    }

    private Meters register(Key key) {
        final Workload source = Workload.of(key.source());
        final Workload destination = Workload.of(key.destination());
        final String protocol = protocol(key.grpc());
        final Counter requests = Counter.builder(MetricNames.REQUESTS)
                .description("Calls through the sidecar's listeners")
                .tag(MetricNames.DIRECTION, key.direction().tag())
                .tag(MetricNames.SOURCE_WORKLOAD, source.workload())
                .tag(MetricNames.SOURCE_NAMESPACE, source.namespace())
                .tag(MetricNames.SOURCE_PRINCIPAL, source.principal())
                .tag(MetricNames.DESTINATION_WORKLOAD, destination.workload())
                .tag(MetricNames.DESTINATION_NAMESPACE, destination.namespace())
                .tag(MetricNames.DESTINATION_PRINCIPAL, destination.principal())
                .tag(MetricNames.REQUEST_PROTOCOL, protocol)
                .tag(MetricNames.RESPONSE_CODE, responseCode(key.status()))
                .tag(MetricNames.GRPC_RESPONSE_STATUS, grpcResponseStatus(key.grpc(), key.grpcStatus()))
                .tag(MetricNames.DECISION, key.decision())
                .tag(MetricNames.REASON, key.reason())
                .register(registry);
        final Timer duration = timers.computeIfAbsent(
                new PairKey(key.direction(), source, destination, key.grpc()), this::registerTimer);
        return new Meters(requests, duration);
    }

    private Timer registerTimer(PairKey key) {
        return Timer.builder(MetricNames.REQUEST_DURATION)
                .description("Time from the first byte of a request to the last byte of its response")
                .tag(MetricNames.DIRECTION, key.direction().tag())
                .tag(MetricNames.SOURCE_WORKLOAD, key.source().workload())
                .tag(MetricNames.SOURCE_NAMESPACE, key.source().namespace())
                .tag(MetricNames.DESTINATION_WORKLOAD, key.destination().workload())
                .tag(MetricNames.DESTINATION_NAMESPACE, key.destination().namespace())
                .tag(MetricNames.REQUEST_PROTOCOL, protocol(key.grpc()))
                .serviceLevelObjectives(BUCKETS)
                .register(registry);
    }

    static String protocol(boolean grpc) {
        return grpc ? "grpc" : "http";
    }

    /** The HTTP status as a label; {@code 0} when no response was sent (the call was cut off). */
    static String responseCode(int status) {
        return status >= 100 && status < 600 ? Integer.toString(status) : "0";
    }

    /**
     * The gRPC status as a label: {@code 0}..{@code 16}; {@code other} for anything else an app sent; {@code none} for
     * a call that is not gRPC or whose response carried no status (cut off).
     */
    static String grpcResponseStatus(boolean grpc, @Nullable String grpcStatus) {
        if (!grpc || grpcStatus == null) {
            return Telemetry.NONE;
        }
        if (grpcStatus.length() <= 2) {
            try {
                final int code = Integer.parseInt(grpcStatus);
                if (code >= 0 && code <= MAX_GRPC_STATUS) {
                    return Integer.toString(code);
                }
            } catch (NumberFormatException ignored) {
                // Falls through to "other": the label set stays closed whatever an app sends.
            }
        }
        return "other";
    }
}
