package io.trustline.sidecar.metrics;

import java.util.List;

/**
 * Every metric the sidecar exports, in one place, with its tags. Tag values come from closed sets (SPIFFE IDs only
 * from verified SVIDs, never user ids, paths or hosts a caller names), so the number of series stays bounded whatever
 * the traffic.
 */
public final class MetricNames {

    /**
     * Inbound requests that carried a header whose name holds {@code _} ({@code trustline_inbound_headers_underscore_total});
     * tag {@link #ACTION}: {@code dropped} (the header was removed) or {@code rejected} (the request was refused).
     */
    public static final String UNDERSCORE_HEADERS = "trustline.inbound.headers.underscore";

    /** Tag: what the sidecar did ({@code dropped}, {@code rejected}). */
    public static final String ACTION = "action";

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

    /**
     * Calls seen by a listener ({@code trustline_requests_total}), with the labels of {@link #REQUEST_LABELS} (the
     * docs/observability.md's label table maps them to Istio's {@code istio_requests_total}).
     */
    public static final String REQUESTS = "trustline.requests";

    /**
     * Time from the first byte of a request to the last byte of its response; tags {@link #DIRECTION},
     * {@link #SOURCE_WORKLOAD}, {@link #SOURCE_NAMESPACE}, {@link #DESTINATION_WORKLOAD},
     * {@link #DESTINATION_NAMESPACE}, {@link #REQUEST_PROTOCOL}.
     */
    public static final String REQUEST_DURATION = "trustline.request.duration";

    /** Policy reload attempts that changed something; tag {@link #RESULT} (success, failure). */
    public static final String POLICY_RELOADS = "trustline.policy.reloads";

    /** Always 1, tagged with the {@link #VERSION} (content hash) of the policy in force. */
    public static final String POLICY_INFO = "trustline.policy.info";

    /** When the workload certificate in use expires, in seconds since the epoch. */
    public static final String CERTIFICATE_NOT_AFTER = "trustline.certificate.not.after";

    /**
     * Certificate renewals; tag {@link #RESULT}: success (a new certificate taken into use after the first), failure (a
     * failed attempt; each retry counts, the current certificate stays in use).
     */
    public static final String CERTIFICATE_RENEWALS = "trustline.certificate.renewals";

    /**
     * Requests the inbound sidecar sent to the app a second time because the connection broke before any response
     * header (the keep-alive race); tag {@link #REASON}: the refusal the caller would have got without the retry,
     * {@code upstream.connect_failed} (Armeria reports the request as never sent) or {@code upstream.reset}.
     */
    public static final String INBOUND_APP_RETRIES = "trustline.inbound.app.retries";

    /** Open client connections of a listener; tag {@link #LISTENER} (inbound, outbound). */
    public static final String OPEN_CONNECTIONS = "trustline.connections.open";

    /**
     * Connections closed because the client was too slow (see {@code limits.slowClients}); tags {@link #LISTENER}
     * (inbound, outbound) and {@link #REASON} (connection.handshake_timeout, connection.headers_timeout,
     * connection.body_too_slow).
     */
    public static final String SLOW_CLIENT_CLOSES = "trustline.connections.slow.closed";

    /** Access-log lines dropped because the writer fell behind (the request path never waits for it). */
    public static final String ACCESS_LOG_DROPPED = "trustline.accesslog.dropped";

    /** Security events raised (a caller over the failure threshold); tag {@link #KIND} (authn, authz). */
    public static final String SECURITY_EVENTS = "trustline.security.events";

    /** Tag: inbound or outbound. */
    public static final String DIRECTION = "direction";
    /** Tag: allow, deny, audit_deny (allowed, but an audit-mode check would have refused it), error. */
    public static final String DECISION = "decision";
    /** Tag (opt-in only, on {@link #DEPRECATION_CALLS}): the peer's SPIFFE ID, or {@code none}. */
    public static final String PEER = "peer";
    /** Tag: success or failure. */
    public static final String RESULT = "result";
    /** Tag: the policy version. */
    public static final String VERSION = "version";
    /** Tag: authn or authz. */
    public static final String KIND = "kind";

    /**
     * JWT checks of inbound requests. Tags: {@link #RESULT} ({@code verified}, {@code cached} (from the
     * verified-token cache), {@code none} (no token, and none required) or a {@code jwt.*} reason code),
     * {@link #MODE} ({@code audit}: a would-be rejection that went through).
     */
    public static final String JWT_VERIFICATIONS = "trustline.jwt.verifications";

    /** JWKS fetches; tags {@link #JWKS}, {@link #RESULT} ({@code success}, {@code failure}, {@code rate_limited}). */
    public static final String JWKS_FETCHES = "trustline.jwt.jwks.fetches";

    /** Seconds since the JWKS keys in use were fetched (-1 before the first fetch); tag {@link #JWKS}. */
    public static final String JWKS_STALENESS = "trustline.jwt.jwks.staleness";

    /** 1 while a JWKS's keys are usable (fetched, not older than maxStaleness), else 0; tag {@link #JWKS}. */
    public static final String JWKS_AVAILABLE = "trustline.jwt.jwks.available";

    /** Tag: a JWKS URL or file as the policy's {@code jwt} section names it (a closed set: the policy's). */
    public static final String JWKS = "jwks";

    /**
     * Requests refused by the policy's request limits, CORS section or a deprecation's sunset ({@code mode=audit}:
     * would have been, and were let through). Tags: {@link #REASON} ({@code request.too_many_query_params},
     * {@code request.query_too_long}, {@code request.too_many_headers}, {@code cors.origin_not_allowed},
     * {@code cors.method_not_allowed}, {@code cors.headers_not_allowed}, {@code deprecation.sunset}), {@link #MODE}.
     */
    public static final String EDGE_REFUSALS = "trustline.edge.refusals";

    /**
     * Calls on a deprecated route. Tags: {@link #DEPRECATION} (the entry's name from policy), {@link #PHASE}
     * ({@code announced}: before its deprecation date, {@code deprecated}, {@code past_sunset}), and {@link #PEER}:
     * the caller's SPIFFE ID only when an operator opts in ({@code telemetry.metrics.peerIdentityTag}), else
     * {@code none} (each caller is logged once an hour per route instead).
     */
    public static final String DEPRECATION_CALLS = "trustline.deprecation.calls";

    /** Tag: a deprecation's name from policy (a closed set: the policy's). */
    public static final String DEPRECATION = "deprecation";
    /** Tag: announced, deprecated or past_sunset. */
    public static final String PHASE = "phase";

    /**
     * Replay-guard entries (issuer + jti) evicted because the store was full before the token expired: each is a
     * token that could be used again on this sidecar. Should stay at 0; raise the store size if not.
     */
    public static final String JWT_REPLAY_EVICTIONS = "trustline.jwt.replay.evictions";
    /** Gauge: tokens the replay guard remembers now (its size is {@code jwt.replayStoreSize}). */
    public static final String JWT_REPLAY_STORE_ENTRIES = "trustline.jwt.replay.store.entries";

    // --- Request labels (Istio-like), process and TLS metrics (issue 16)

    /** Tag: the calling workload (the {@code sa} segment of its SPIFFE ID), or {@code unknown}. */
    public static final String SOURCE_WORKLOAD = "source_workload";
    /** Tag: the calling workload's namespace (the {@code ns} segment), or {@code unknown}. */
    public static final String SOURCE_NAMESPACE = "source_namespace";
    /** Tag: the calling workload's verified SPIFFE ID, or {@code unknown}. */
    public static final String SOURCE_PRINCIPAL = "source_principal";
    /** Tag: the called workload: this sidecar's on inbound, the route's expected identity on outbound. */
    public static final String DESTINATION_WORKLOAD = "destination_workload";
    /** Tag: the called workload's namespace, or {@code unknown}. */
    public static final String DESTINATION_NAMESPACE = "destination_namespace";
    /** Tag: the called workload's SPIFFE ID, or {@code unknown} (an unknown route). */
    public static final String DESTINATION_PRINCIPAL = "destination_principal";
    /** Tag: {@code http} or {@code grpc}. */
    public static final String REQUEST_PROTOCOL = "request_protocol";
    /** Tag: the HTTP status ({@code 200}, {@code 403}, ...), {@code 0} when no response was sent. */
    public static final String RESPONSE_CODE = "response_code";
    /** Tag: the gRPC status {@code 0}..{@code 16} of a gRPC call, {@code other}, or {@code none} (not gRPC). */
    public static final String GRPC_RESPONSE_STATUS = "grpc_response_status";

    /** Every tag of {@link #REQUESTS}, always all present. */
    public static final List<String> REQUEST_LABELS = List.of(
            DIRECTION,
            SOURCE_WORKLOAD,
            SOURCE_NAMESPACE,
            SOURCE_PRINCIPAL,
            DESTINATION_WORKLOAD,
            DESTINATION_NAMESPACE,
            DESTINATION_PRINCIPAL,
            REQUEST_PROTOCOL,
            RESPONSE_CODE,
            GRPC_RESPONSE_STATUS,
            DECISION,
            REASON);

    /**
     * Client certificates a listener refused during the TLS handshake; tags {@link #LISTENER}, {@link #REASON} (an
     * {@code svid.*} code: {@code svid.untrusted}, {@code svid.expired}, {@code svid.wrong_trust_domain}, ...).
     */
    public static final String TLS_HANDSHAKE_FAILURES = "trustline.tls.handshake.failures";

    // --- Routes with many endpoints (issue 15)

    /**
     * Endpoints taken out of a route's rotation by outlier detection (failed calls); tag {@link #ROUTE}. An ejection
     * that the route's {@code maxEjectedPercent} forbids is not counted: that endpoint stays in the rotation.
     */
    public static final String OUTBOUND_ENDPOINT_EJECTIONS = "trustline.outbound.endpoint.ejections";

    /**
     * A route's endpoints now, by {@link #STATE}: {@code serving} (in the rotation) and {@code ejected} (taken out by
     * outlier detection, not yet back); tag {@link #ROUTE}. Only for routes with an endpoint group (not a single
     * {@code address}). The breaker state per route, as Envoy's {@code outlier_detection.ejections_active}.
     */
    public static final String OUTBOUND_ENDPOINTS = "trustline.outbound.endpoints";

    /** Tag of {@link #OUTBOUND_ENDPOINTS}: {@code serving} or {@code ejected}. */
    public static final String STATE = "state";

    /** Retries a route sent (attempts after the first); tag {@link #ROUTE}. */
    public static final String OUTBOUND_RETRIES = "trustline.outbound.retries";

    /** Retries a route's failure called for but its retry budget refused; tag {@link #ROUTE}. */
    public static final String OUTBOUND_RETRIES_OVER_BUDGET = "trustline.outbound.retries.over.budget";

    /** Requests a route's circuit breaker ({@code limits}) refused with {@code upstream.overloaded}; tag {@link #ROUTE}. */
    public static final String OUTBOUND_OVERLOADED = "trustline.outbound.overloaded";

    /** Requests in flight to a route's endpoints, of its {@code limits.maxConcurrent}; tag {@link #ROUTE}. */
    public static final String OUTBOUND_IN_FLIGHT = "trustline.outbound.in.flight";

    /** Tag: the outbound route's name from {@code outbound.routes} (a closed set: the config's). */
    public static final String ROUTE = "route";

    private MetricNames() {}
}
