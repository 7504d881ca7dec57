package io.trustline.sidecar.config;

import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * Retries of a route ({@code outbound.routes.<name>.retries}): a failed attempt is sent again, to the next endpoint in
 * the rotation, when the request is safe to repeat and the route's retry budget allows it.
 *
 * @param attempts total attempts including the first; 1 switches retries off. Default 1: retries are opt-in, as in
 *     Linkerd (Istio retries twice by default); the retrying client costs CPU on every call of the route
 * @param perTryTimeout how long one attempt may take before it is given up (and retried); default none: each attempt
 *     may use what is left of the route's {@code timeout}
 * @param backoff the pause before each retry
 * @param on which failures are retried
 * @param methods the HTTP methods whose requests are retried. Default the idempotent GET, HEAD, OPTIONS. A gRPC call
 *     (always POST) is retried anyway, but only on {@code on.grpcStatuses} and failed connects (on everything else
 *     too if POST is listed)
 * @param bufferBytes the largest request body kept for a retry: a request whose body is longer, or is streamed beyond
 *     this, is sent once. Default 64 KiB
 * @param budget how many retries the route may add to its live traffic
 */
public record RetriesConfig(
        Integer attempts,
        @Nullable Duration perTryTimeout,
        Backoff backoff,
        On on,
        List<String> methods,
        Long bufferBytes,
        Budget budget) {

    /** Methods a client may repeat without changing the outcome and the default retried set (RFC 9110 9.2.2). */
    public static final List<String> DEFAULT_METHODS = List.of("GET", "HEAD", "OPTIONS");

    static final Set<String> METHODS = Set.of("GET", "HEAD", "OPTIONS", "PUT", "DELETE", "POST", "PATCH", "TRACE");

    // null picks each default, as an absent YAML key does; NullAway cannot see that the compact constructor
    // replaces it, so the record's accessors never return null.
    @SuppressWarnings("NullAway")
    public static final RetriesConfig DEFAULT = new RetriesConfig(null, null, null, null, null, null, null);

    public RetriesConfig {
        if (attempts == null) {
            attempts = 1;
        }
        if (backoff == null) {
            backoff = Backoff.DEFAULT;
        }
        if (on == null) {
            on = On.DEFAULT;
        }
        if (methods == null) {
            methods = DEFAULT_METHODS;
        }
        if (bufferBytes == null) {
            bufferBytes = 64L * 1024;
        }
        if (budget == null) {
            budget = Budget.DEFAULT;
        }
        if (attempts < 1 || attempts > 10) {
            throw new IllegalArgumentException("attempts: " + attempts + " (expected: 1-10, 1 switches retries off)");
        }
        if (perTryTimeout != null && perTryTimeout.toMillis() < 1) {
            throw new IllegalArgumentException(
                    "perTryTimeout: " + Durations.format(perTryTimeout) + " (expected: >= 1ms)");
        }
        if (bufferBytes < 0 || bufferBytes > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(
                    "bufferBytes: " + bufferBytes + " (expected: 0-" + Integer.MAX_VALUE + ")");
        }
        methods = methods.stream().map(m -> m.toUpperCase(Locale.ROOT)).toList();
        for (String m : methods) {
            if (!METHODS.contains(m)) {
                throw new IllegalArgumentException("methods: '" + m + "' (expected: HTTP methods, e.g. "
                        + String.join(", ", DEFAULT_METHODS) + ")");
            }
        }
    }

    /** Whether a route with these settings retries at all. */
    public boolean enabled() {
        return attempts > 1;
    }

    /**
     * Exponential backoff with jitter between attempts: {@code base}, then doubling up to {@code max}, each pause
     * moved at random by up to 20% either way so retries from many callers do not arrive in step.
     *
     * @param base the first pause. Default 25ms (Envoy's)
     * @param max the longest pause. Default 250ms (Envoy's ten times base)
     */
    public record Backoff(Duration base, Duration max) {

        @SuppressWarnings("NullAway")
        public static final Backoff DEFAULT = new Backoff(null, null);

        public Backoff {
            if (base == null) {
                base = Duration.ofMillis(25);
            }
            if (max == null) {
                max = base.multipliedBy(10);
            }
            if (base.toMillis() < 1) {
                throw new IllegalArgumentException("base: " + Durations.format(base) + " (expected: >= 1ms)");
            }
            if (max.compareTo(base) < 0) {
                throw new IllegalArgumentException(
                        "max: " + Durations.format(max) + " (expected: >= base, " + Durations.format(base) + ")");
            }
        }
    }

    /**
     * The failures that are retried.
     *
     * @param statuses HTTP statuses of the answer. Default 502, 503, 504
     * @param connectFailure whether a failed connect or TLS handshake (nothing was sent) is retried, and for the
     *     {@code methods} also a reset connection. Default true
     * @param grpcStatuses gRPC status names of a trailers-only gRPC answer (the peer answered before any message).
     *     Default none: gRPC calls are retried only on routes that list statuses here, since a retried call's
     *     request stream is held until the peer's response headers
     */
    public record On(List<Integer> statuses, Boolean connectFailure, List<String> grpcStatuses) {

        /** The gRPC status names, in code order (0-16). */
        public static final List<String> GRPC_STATUSES = List.of(
                "OK",
                "CANCELLED",
                "UNKNOWN",
                "INVALID_ARGUMENT",
                "DEADLINE_EXCEEDED",
                "NOT_FOUND",
                "ALREADY_EXISTS",
                "PERMISSION_DENIED",
                "RESOURCE_EXHAUSTED",
                "FAILED_PRECONDITION",
                "ABORTED",
                "OUT_OF_RANGE",
                "UNIMPLEMENTED",
                "INTERNAL",
                "UNAVAILABLE",
                "DATA_LOSS",
                "UNAUTHENTICATED");

        @SuppressWarnings("NullAway")
        public static final On DEFAULT = new On(null, null, null);

        public On {
            if (statuses == null) {
                statuses = List.of(502, 503, 504);
            }
            if (connectFailure == null) {
                connectFailure = true;
            }
            if (grpcStatuses == null) {
                grpcStatuses = List.of();
            }
            statuses = List.copyOf(statuses);
            for (int s : statuses) {
                if (s < 100 || s > 599) {
                    throw new IllegalArgumentException("statuses: " + s + " (expected: 100-599)");
                }
            }
            grpcStatuses =
                    grpcStatuses.stream().map(g -> g.toUpperCase(Locale.ROOT)).toList();
            for (String g : grpcStatuses) {
                if (!GRPC_STATUSES.contains(g)) {
                    throw new IllegalArgumentException(
                            "grpcStatuses: '" + g + "' (expected: gRPC status names, e.g. UNAVAILABLE)");
                }
            }
        }

        /** The numeric codes of {@link #grpcStatuses}, as they appear in {@code grpc-status}. */
        public List<String> grpcStatusCodes() {
            return grpcStatuses.stream()
                    .map(g -> Integer.toString(GRPC_STATUSES.indexOf(g)))
                    .toList();
        }
    }

    /**
     * The retry budget (Linkerd's, also Envoy's {@code retry_budget} idea): within any {@code window}, retries may
     * add at most {@code ratio} of the route's requests plus {@code minPerSecond} per second of the window, so that
     * during an outage retries cannot multiply the load on the failing service.
     *
     * @param ratio retries allowed per request, 0 to 1. Default 0.2
     * @param minPerSecond retries allowed per second whatever the traffic, so a quiet route still retries. Default 10
     * @param window how far back requests and retries are counted. Default 10s
     */
    public record Budget(Double ratio, Integer minPerSecond, Duration window) {

        @SuppressWarnings("NullAway")
        public static final Budget DEFAULT = new Budget(null, null, null);

        public Budget {
            if (ratio == null) {
                ratio = 0.2;
            }
            if (minPerSecond == null) {
                minPerSecond = 10;
            }
            if (window == null) {
                window = Duration.ofSeconds(10);
            }
            if (!(ratio >= 0 && ratio <= 1)) {
                throw new IllegalArgumentException("ratio: " + ratio + " (expected: 0-1)");
            }
            if (minPerSecond < 0) {
                throw new IllegalArgumentException("minPerSecond: " + minPerSecond + " (expected: >= 0)");
            }
            if (window.toSeconds() < 1 || window.toSeconds() > 3600 || window.toMillis() % 1000 != 0) {
                throw new IllegalArgumentException(
                        "window: " + Durations.format(window) + " (expected: whole seconds, 1s-1h)");
            }
        }
    }
}
