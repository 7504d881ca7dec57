package io.trustline.sidecar.telemetry;

/**
 * Every metric the sidecar exports, in one place, with its tags. Tag values come from closed sets (no SPIFFE IDs,
 * user ids or paths), so the number of series stays bounded whatever the traffic.
 */
public final class MetricNames {

    /** Plaintext requests accepted by a permissive inbound listener. */
    public static final String PLAINTEXT_REQUESTS = "trustline.inbound.plaintext.requests";

    private MetricNames() {}
}
