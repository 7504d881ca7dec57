package io.trustline.sidecar.telemetry;

/**
 * Every metric the sidecar exports, in one place, with its tags. Tag values come from closed sets (no SPIFFE IDs,
 * user ids or paths), so the number of series stays bounded whatever the traffic.
 */
public final class MetricNames {

    /** Plaintext requests accepted by a permissive inbound listener. */
    public static final String PLAINTEXT_REQUESTS = "trustline.inbound.plaintext.requests";

    /**
     * Requests refused by a rate limit or the penalty box ({@code mode=audit}: would have been refused, and were
     * let through). Tags: {@link #LIMIT} (the limit's name from policy, or {@code penalty:<key>}), {@link #MODE}.
     */
    public static final String RATELIMIT_REFUSALS = "trustline.ratelimit.refusals";

    /** Callers put in the penalty box ({@code mode=audit}: would have been); tag {@link #MODE}. */
    public static final String PENALTY_ENTERED = "trustline.ratelimit.penalty.entered";

    /**
     * Requests a listener refused because it was at its concurrency limit with a full queue, or because a request
     * waited in the queue too long; tags {@link #LISTENER}, {@link #REASON}.
     */
    public static final String OVERLOAD_REFUSALS = "trustline.overload.refusals";

    /** Requests a listener is serving now (holding a concurrency permit); tag {@link #LISTENER}. */
    public static final String OVERLOAD_ACTIVE = "trustline.overload.active";

    /** Requests waiting for a concurrency permit now; tag {@link #LISTENER}. */
    public static final String OVERLOAD_PENDING = "trustline.overload.pending";

    /** Tag: a rate limit's name from policy (a closed set: the policy's), or {@code penalty:<key>}. */
    public static final String LIMIT = "limit";
    /** Tag: enforce or audit. */
    public static final String MODE = "mode";

    /** Tag: inbound or outbound listener. */
    public static final String LISTENER = "listener";
    /** Tag: the stable reason code, or {@code none}. */
    public static final String REASON = "reason";

    private MetricNames() {}
}
