package io.trustline.sidecar.telemetry;

import io.trustline.ca.SpiffeId;
import org.jspecify.annotations.Nullable;

/**
 * One end of a call as metric labels: workload, namespace and principal from a SPIFFE ID
 * ({@code spiffe://<td>/ns/<namespace>/sa/<workload>}), or {@link #UNKNOWN} for an end that proved no identity
 * (a plaintext peer, an unknown route). Only verified identities become values, so the label set is bounded by the
 * workloads holding certificates of the trust domain.
 */
record Workload(String workload, String namespace, String principal) {

    static final String UNKNOWN_VALUE = "unknown";

    /** An end with no verified identity. */
    static final Workload UNKNOWN = new Workload(UNKNOWN_VALUE, UNKNOWN_VALUE, UNKNOWN_VALUE);

    static Workload of(@Nullable SpiffeId id) {
        if (id == null) {
            return UNKNOWN;
        }
        final String[] segments = id.path().split("/");
        // Trustline's SVIDs are /ns/<namespace>/sa/<service>; any other path keeps the principal, not the names.
        if (segments.length == 5 && "ns".equals(segments[1]) && "sa".equals(segments[3])) {
            return new Workload(segments[4], segments[2], id.toString());
        }
        return new Workload(UNKNOWN_VALUE, UNKNOWN_VALUE, id.toString());
    }
}
