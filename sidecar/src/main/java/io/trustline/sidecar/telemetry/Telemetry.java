package io.trustline.sidecar.telemetry;

import static java.util.Objects.requireNonNull;

import com.github.benmanes.caffeine.cache.Ticker;
import com.linecorp.armeria.client.Endpoint;
import com.linecorp.armeria.common.HttpHeaderNames;
import com.linecorp.armeria.common.HttpHeaders;
import com.linecorp.armeria.common.RequestHeaders;
import com.linecorp.armeria.common.logging.RequestLog;
import com.linecorp.armeria.server.ServiceRequestContext;
import io.micrometer.core.instrument.MeterRegistry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.semconv.ClientAttributes;
import io.opentelemetry.semconv.ErrorAttributes;
import io.opentelemetry.semconv.HttpAttributes;
import io.opentelemetry.semconv.NetworkAttributes;
import io.opentelemetry.semconv.ServerAttributes;
import io.opentelemetry.semconv.UrlAttributes;
import io.opentelemetry.semconv.UserAgentAttributes;
import io.opentelemetry.semconv.incubating.RpcIncubatingAttributes;
import io.opentelemetry.semconv.incubating.TlsIncubatingAttributes;
import io.trustline.ca.HostPort;
import io.trustline.ca.SpiffeId;
import io.trustline.policy.engine.Decision;
import io.trustline.sidecar.config.RouteConfig;
import io.trustline.sidecar.config.SidecarConfig;
import io.trustline.sidecar.config.SidecarConfig.AccessLogSink;
import io.trustline.sidecar.identity.PeerIdentity;
import io.trustline.sidecar.refusal.ReasonCode;
import io.trustline.sidecar.refusal.Refusal;
import io.trustline.sidecar.refusal.RefusalKind;
import io.trustline.sidecar.refusal.Refusals;
import io.trustline.sidecar.request.EdgeCheck;
import io.trustline.sidecar.request.InboundRequest;
import io.trustline.sidecar.request.JwtFailure;
import io.trustline.sidecar.request.StageOutcomes;
import io.trustline.sidecar.request.VerifiedToken;
import java.util.HashMap;
import java.util.Map;
import javax.net.ssl.SSLSession;
import org.jspecify.annotations.Nullable;

/**
 * Everything the sidecar records about a call, in one place: the span (OpenTelemetry), the metrics (Micrometer), the
 * access/audit log line and the security-event counters. {@link TelemetryService} calls {@link #startSpan} when a
 * call arrives and {@link #complete} once its log is complete, so the outcome is read from the typed attributes the
 * pipeline stages left on the request: nothing is parsed twice and no stage knows about telemetry.
 */
public final class Telemetry implements AutoCloseable {

    // Attributes of the OpenTelemetry semantic conventions: the stable HTTP ones from opentelemetry-semconv, rpc.* and
    // tls.* from the incubating artifact (not stable yet).
    static final AttributeKey<String> HTTP_METHOD = HttpAttributes.HTTP_REQUEST_METHOD;
    static final AttributeKey<String> URL_PATH = UrlAttributes.URL_PATH;
    static final AttributeKey<String> URL_SCHEME = UrlAttributes.URL_SCHEME;
    static final AttributeKey<String> URL_FULL = UrlAttributes.URL_FULL;
    static final AttributeKey<Long> HTTP_STATUS = HttpAttributes.HTTP_RESPONSE_STATUS_CODE;
    static final AttributeKey<String> SERVER_ADDRESS = ServerAttributes.SERVER_ADDRESS;
    static final AttributeKey<Long> SERVER_PORT = ServerAttributes.SERVER_PORT;
    static final AttributeKey<String> CLIENT_ADDRESS = ClientAttributes.CLIENT_ADDRESS;
    static final AttributeKey<String> USER_AGENT = UserAgentAttributes.USER_AGENT_ORIGINAL;
    static final AttributeKey<String> ERROR_TYPE = ErrorAttributes.ERROR_TYPE;
    static final AttributeKey<String> NETWORK_PROTOCOL_NAME = NetworkAttributes.NETWORK_PROTOCOL_NAME;
    static final AttributeKey<String> NETWORK_PROTOCOL_VERSION = NetworkAttributes.NETWORK_PROTOCOL_VERSION;
    static final AttributeKey<String> NETWORK_PEER_ADDRESS = NetworkAttributes.NETWORK_PEER_ADDRESS;
    static final AttributeKey<Long> NETWORK_PEER_PORT = NetworkAttributes.NETWORK_PEER_PORT;
    static final AttributeKey<String> TLS_VERSION = TlsIncubatingAttributes.TLS_PROTOCOL_VERSION;
    static final AttributeKey<String> RPC_SYSTEM = RpcIncubatingAttributes.RPC_SYSTEM;
    static final AttributeKey<String> RPC_SERVICE = RpcIncubatingAttributes.RPC_SERVICE;
    static final AttributeKey<String> RPC_METHOD = RpcIncubatingAttributes.RPC_METHOD;
    static final AttributeKey<Long> GRPC_STATUS = RpcIncubatingAttributes.RPC_GRPC_STATUS_CODE;
    static final AttributeKey<String> REQUEST_ID = AttributeKey.stringKey("trustline.request_id");
    static final AttributeKey<String> DIRECTION = AttributeKey.stringKey("trustline.direction");
    static final AttributeKey<String> PEER = AttributeKey.stringKey("trustline.peer.spiffe_id");
    static final AttributeKey<String> PRINCIPAL = AttributeKey.stringKey("trustline.request.principal");
    static final AttributeKey<String> DECISION = AttributeKey.stringKey("trustline.decision");
    static final AttributeKey<String> REASON = AttributeKey.stringKey("trustline.reason");
    static final AttributeKey<String> POLICY = AttributeKey.stringKey("trustline.policy");
    static final AttributeKey<String> RULE = AttributeKey.stringKey("trustline.rule");
    static final AttributeKey<Boolean> AUDIT_WOULD_DENY = AttributeKey.booleanKey("trustline.audit.would_deny");
    static final AttributeKey<String> AUDIT_REASON = AttributeKey.stringKey("trustline.audit.reason");
    static final AttributeKey<String> AUDIT_RULE = AttributeKey.stringKey("trustline.audit.rule");
    static final AttributeKey<String> RATE_LIMIT = AttributeKey.stringKey("trustline.ratelimit.name");
    static final AttributeKey<String> ROUTE = AttributeKey.stringKey("trustline.route");
    static final AttributeKey<String> JWT_ISSUER = AttributeKey.stringKey("trustline.jwt.issuer");
    static final AttributeKey<String> JWT_FAILURE = AttributeKey.stringKey("trustline.jwt.failure");
    static final AttributeKey<String> DEPRECATION = AttributeKey.stringKey("trustline.deprecation");
    /** The policy whose requestLimits, cors or deprecations section refused the call (or would have, in audit). */
    static final AttributeKey<String> EDGE_POLICY = AttributeKey.stringKey("trustline.edge.policy");

    /** Decision tag values (closed set). */
    static final String ALLOW = "allow";

    static final String DENY = "deny";
    static final String AUDIT_DENY = "audit_deny";
    static final String ERROR = "error";
    static final String NONE = "none";

    private static final TextMapGetter<RequestHeaders> HEADERS = new TextMapGetter<>() {
        @Override
        public Iterable<String> keys(RequestHeaders carrier) {
            return carrier.names().stream().map(Object::toString).toList();
        }

        @Override
        public @Nullable String get(@Nullable RequestHeaders carrier, String key) {
            return carrier != null ? carrier.get(key) : null;
        }
    };

    private final Tracing tracing;
    private final RequestMetrics metrics;
    private final @Nullable AccessLogWriter accessLog;
    private final Redaction redaction;
    private final SecurityEvents securityEvents;
    private final SpiffeId self;
    private final Map<String, SpiffeId> routeIdentities;
    private final EdgeOfListener inboundEdge;
    private final EdgeOfListener outboundEdge;

    private Telemetry(SidecarConfig config, Tracing tracing, MeterRegistry meters, Ticker ticker) {
        this.tracing = tracing;
        metrics = new RequestMetrics(meters);
        self = config.spiffeId();
        accessLog = config.accessLog().sink() == AccessLogSink.OFF
                ? null
                : AccessLogWriter.open(config.accessLog(), meters);
        redaction = new Redaction(config.accessLog());
        securityEvents = new SecurityEvents(config.accessLog().securityEvents(), ticker, meters, line -> {
            if (accessLog != null) {
                accessLog.offer(line);
            }
        });
        final Map<String, SpiffeId> routes = new HashMap<>();
        if (config.outbound() != null) {
            for (Map.Entry<String, RouteConfig> e : config.outbound().routes().entrySet()) {
                routes.put(e.getKey(), e.getValue().identity());
            }
        }
        routeIdentities = Map.copyOf(routes);
        inboundEdge = new EdgeOfListener(Direction.INBOUND, self, meters, metrics, accessLog);
        outboundEdge = new EdgeOfListener(Direction.OUTBOUND, self, meters, metrics, accessLog);
    }

    /** Slow-client closes and requests refused by Armeria itself, on the listener of {@code direction}. */
    public EdgeOfListener edge(Direction direction) {
        return direction == Direction.INBOUND ? inboundEdge : outboundEdge;
    }

    /** Telemetry for {@code config}: tracing from the config and the {@code OTEL_*} environment. */
    public static Telemetry create(SidecarConfig config, MeterRegistry meters) {
        return new Telemetry(config, Tracing.create(config), meters, Ticker.systemTicker());
    }

    /** Telemetry with a given tracing setup and ticker (tests). */
    static Telemetry create(SidecarConfig config, Tracing tracing, MeterRegistry meters, Ticker ticker) {
        return new Telemetry(config, tracing, meters, ticker);
    }

    /** The tracing setup (for tests and shutdown). */
    public Tracing tracing() {
        return tracing;
    }

    /**
     * Starts the span of a call: SERVER inbound, CLIENT outbound (the outbound sidecar is the caller's client to
     * the next hop), child of the trace context the caller sent, if any. Null when tracing is off.
     */
    @Nullable
    Span startSpan(Direction direction, ServiceRequestContext ctx, RequestHeaders headers) {
        final var tracer = tracing.tracer();
        if (tracer == null) {
            return null;
        }
        final Context parent = tracing.extractor().extract(Context.root(), headers, HEADERS);
        final boolean grpc = Refusals.isGrpc(headers);
        final String method = headers.method().name();
        final var builder = tracer.spanBuilder(spanName(headers.path(), method, grpc))
                .setParent(parent)
                .setSpanKind(direction == Direction.INBOUND ? SpanKind.SERVER : SpanKind.CLIENT)
                .setAttribute(HTTP_METHOD, method)
                .setAttribute(NETWORK_PROTOCOL_NAME, "http")
                .setAttribute(DIRECTION, direction.tag())
                .setAttribute(REQUEST_ID, ctx.id().text());
        // Outbound, the scheme and server are those of the next hop (mTLS), known once the route is: see complete().
        if (direction == Direction.INBOUND) {
            builder.setAttribute(URL_SCHEME, ctx.sessionProtocol().isTls() ? "https" : "http");
            final String authority = headers.authority();
            final HostPort server =
                    authority != null ? hostPort(authority, ctx.localAddress().getPort()) : null;
            if (server != null) {
                builder.setAttribute(SERVER_ADDRESS, server.host());
                builder.setAttribute(SERVER_PORT, (long) server.port());
            }
        }
        final String userAgent = headers.get(HttpHeaderNames.USER_AGENT);
        if (userAgent != null) {
            builder.setAttribute(USER_AGENT, userAgent);
        }
        if (grpc) {
            builder.setAttribute(RPC_SYSTEM, RpcIncubatingAttributes.RpcSystemIncubatingValues.GRPC);
            final String name = spanName(headers.path(), method, true);
            final int slash = name.lastIndexOf('/');
            if (slash > 0) {
                builder.setAttribute(RPC_SERVICE, name.substring(0, slash));
                builder.setAttribute(RPC_METHOD, name.substring(slash + 1));
            }
        }
        return builder.startSpan();
    }

    /** {@code host[:port]} with {@code defaultPort} when it has none; null when it cannot be read. */
    static @Nullable HostPort hostPort(String authority, int defaultPort) {
        final int colon = authority.lastIndexOf(':');
        final boolean hasPort = colon > 0 && authority.indexOf(']', colon) < 0;
        try {
            return hasPort ? HostPort.parse(authority) : new HostPort(stripBrackets(authority), defaultPort);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    private static String stripBrackets(String host) {
        return host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
    }

    /** gRPC: {@code package.Service/Method}; HTTP: the method (paths are not low-cardinality names). */
    static String spanName(String path, String method, boolean grpc) {
        if (grpc && path.length() > 1 && path.charAt(0) == '/') {
            final int query = path.indexOf('?');
            return query < 0 ? path.substring(1) : path.substring(1, query);
        }
        return method;
    }

    /** Records a finished call: metrics, span attributes and end, security events, the access-log line. */
    void complete(Direction direction, ServiceRequestContext ctx, RequestLog log, @Nullable Span span) {
        final Refusal refusal = ctx.attr(Refusals.REFUSAL);
        final Decision authz = ctx.attr(StageOutcomes.AUTHZ_DECISION);
        final int status = log.responseHeaders().status().code();
        final String decision;
        final ReasonCode code;
        if (refusal != null) {
            decision = isDenial(refusal.kind()) ? DENY : ERROR;
            code = refusal.reason();
        } else if (authz != null && authz.auditDenied()) {
            decision = AUDIT_DENY;
            code = ReasonCode.of(
                    requireNonNull(authz.audit(), "audit of an audit denial").reason());
        } else {
            final ReasonCode auditReason = PipelineOutcomes.auditReason(ctx);
            decision = auditReason != null ? AUDIT_DENY : ALLOW;
            code = auditReason != null
                    ? auditReason
                    : authz != null ? ReasonCode.of(authz.reason()) : PipelineOutcomes.answeredBySidecar(ctx);
        }
        final String reason = code != null ? code.code() : NONE;
        final SpiffeId peerId = peer(direction, ctx);
        final String peer = peerId != null ? peerId.toString() : null;
        final long durationNanos = log.totalDurationNanos();
        final boolean grpc = Refusals.isGrpc(log.requestHeaders());
        final String grpcStatus = grpc ? grpcStatus(log) : null;
        metrics.record(
                direction,
                direction == Direction.INBOUND ? peerId : self,
                direction == Direction.INBOUND ? self : peerId,
                grpc,
                status,
                grpcStatus,
                decision,
                reason,
                durationNanos);
        final boolean securityEvent = direction == Direction.INBOUND && refusal != null && securityEvents.enabled();
        if (span == null && accessLog == null && !securityEvent) {
            // Tracing and the access log off (as without a collector, and in the benchmarks): the metrics are all
            // there is to record, and what follows would only be gathered to be dropped.
            return;
        }

        final String rateLimit = PipelineOutcomes.rateLimit(ctx);
        final JwtFailure jwtFailure = PipelineOutcomes.jwtFailure(ctx);
        final EdgeCheck edge = PipelineOutcomes.edgeCheck(ctx);
        final String deprecation = PipelineOutcomes.deprecation(ctx);
        final VerifiedToken token = ctx.attr(VerifiedToken.ATTR);
        final String principal = token != null ? token.requestPrincipal() : null;
        final String tlsVersion = tlsVersion(direction == Direction.INBOUND ? ctx.sslSession() : null);
        final String route = direction == Direction.OUTBOUND ? ctx.attr(StageOutcomes.OUTBOUND_ROUTE) : null;
        final Endpoint upstream = route != null ? ctx.attr(StageOutcomes.UPSTREAM_ENDPOINT) : null;
        final Decision audit = authz != null ? authz.audit() : null;
        final boolean auditWouldDeny = AUDIT_DENY.equals(decision);
        final String path = path(ctx);
        final String clientIp = ctx.remoteAddress().getAddress().getHostAddress();

        if (span != null) {
            span.setAttribute(URL_PATH, path);
            span.setAttribute(HTTP_STATUS, (long) status);
            span.setAttribute(CLIENT_ADDRESS, clientIp);
            span.setAttribute(NETWORK_PROTOCOL_VERSION, log.sessionProtocol().isMultiplex() ? "2" : "1.1");
            span.setAttribute(DECISION, decision);
            span.setAttribute(REASON, reason);
            setIfPresent(span, TLS_VERSION, tlsVersion);
            setIfPresent(span, PEER, peer);
            setIfPresent(span, PRINCIPAL, principal);
            setIfPresent(span, ROUTE, route);
            if (upstream != null) {
                // server.* names the endpoint as configured (a DNS name for dns routes), network.peer.* the address
                // the call went to.
                final HostPort nextHop = new HostPort(upstream.host(), upstream.port());
                span.setAttribute(URL_SCHEME, "https");
                span.setAttribute(SERVER_ADDRESS, nextHop.host());
                span.setAttribute(SERVER_PORT, (long) nextHop.port());
                final String ip = upstream.ipAddr();
                if (ip != null) {
                    span.setAttribute(NETWORK_PEER_ADDRESS, ip);
                    span.setAttribute(NETWORK_PEER_PORT, (long) upstream.port());
                }
                // Without the query: it may carry secrets, and the access log has the redacted one.
                span.setAttribute(URL_FULL, "https://" + nextHop + path);
            }
            setIfPresent(span, RATE_LIMIT, rateLimit);
            setIfPresent(span, DEPRECATION, deprecation);
            if (edge != null) {
                span.setAttribute(EDGE_POLICY, edge.policy());
            }
            if (jwtFailure != null) {
                setIfPresent(span, JWT_ISSUER, jwtFailure.issuer());
                span.setAttribute(JWT_FAILURE, jwtFailure.detail());
            }
            if (authz != null && authz.rule() != null) {
                span.setAttribute(POLICY, authz.policy());
                span.setAttribute(RULE, authz.rule());
            }
            if (auditWouldDeny) {
                span.setAttribute(AUDIT_WOULD_DENY, true);
                span.setAttribute(AUDIT_REASON, reason);
                if (audit != null && audit.rule() != null) {
                    span.setAttribute(AUDIT_RULE, audit.policy() + '/' + audit.rule());
                }
            }
            if (grpcStatus != null) {
                try {
                    span.setAttribute(GRPC_STATUS, Long.parseLong(grpcStatus));
                } catch (NumberFormatException ignored) {
                    // Not ours to judge: a malformed status from the app is passed on as it is.
                }
            }
            // As the HTTP conventions say: a server span fails on 5xx, a client span on any error status; and a
            // call the sidecar refused is always an error, with its reason code (a low-cardinality error.type).
            if (refusal != null || status >= (direction == Direction.INBOUND ? 500 : 400)) {
                span.setStatus(StatusCode.ERROR, refusal != null ? reason : "HTTP " + status);
                span.setAttribute(ERROR_TYPE, refusal != null ? reason : Integer.toString(status));
            }
            span.end();
        }

        if (securityEvent && refusal != null) {
            final SecurityEvents.Kind kind = refusal.kind() == RefusalKind.UNAUTHENTICATED
                    ? SecurityEvents.Kind.AUTHN
                    : refusal.kind() == RefusalKind.FORBIDDEN ? SecurityEvents.Kind.AUTHZ : null;
            if (kind != null) {
                securityEvents.failure(peer != null ? peer : clientIp, kind, reason, log.requestStartTimeMicros());
            }
        }

        if (accessLog != null) {
            final SpanContext sc = span != null ? span.getSpanContext() : null;
            final RequestHeaders headers = log.requestHeaders();
            final Decision decided = authz != null && authz.rule() != null ? authz : null;
            // A refusal by an edge check names its policy (and, after a sunset, the deprecation) like a rule does.
            final boolean edgeDecided = edge != null && refusal != null && !edge.audited();
            final boolean edgeAudit = edge != null && edge.audited() && auditWouldDeny && audit == null;
            accessLog.offer(AccessLogLine.Call.builder()
                    .epochMicros(log.requestStartTimeMicros())
                    .traceId(sc != null ? sc.getTraceId() : null)
                    .spanId(sc != null ? sc.getSpanId() : null)
                    .requestId(ctx.id().text())
                    .direction(direction)
                    .peer(peer)
                    .principal(principal)
                    .clientIp(clientIp)
                    .method(headers.method().name())
                    .path(path)
                    .query(redaction.query(ctx.query()))
                    .protocol(log.sessionProtocol().uriText())
                    .tlsVersion(tlsVersion)
                    .route(route)
                    .upstream(upstream != null ? StageOutcomes.upstreamAddress(upstream) : null)
                    .status(status)
                    .grpcStatus(grpcStatus)
                    .decision(decision)
                    .reason(reason)
                    .policy(edgeDecided && edge != null ? edge.policy() : decided != null ? decided.policy() : null)
                    .rule(
                            edgeDecided && edge != null
                                    ? edgeRule(edge, deprecation)
                                    : decided != null ? decided.rule() : null)
                    .auditWouldDeny(auditWouldDeny)
                    .auditReason(auditWouldDeny ? reason : null)
                    .auditPolicy(edgeAudit && edge != null ? edge.policy() : audit != null ? audit.policy() : null)
                    .auditRule(
                            edgeAudit && edge != null
                                    ? edgeRule(edge, deprecation)
                                    : audit != null ? audit.rule() : null)
                    .rateLimit(rateLimit)
                    .jwtIssuer(jwtFailure != null ? jwtFailure.issuer() : null)
                    .jwtFailure(jwtFailure != null ? jwtFailure.detail() : null)
                    .deprecation(deprecation)
                    .bytesIn(log.requestLength())
                    .bytesOut(log.responseLength())
                    .durationNanos(durationNanos)
                    .headers(redaction.headers(headers))
                    .build());
        }
    }

    /** After a sunset the deprecation's name stands where a rule's would. */
    private static @Nullable String edgeRule(EdgeCheck edge, @Nullable String deprecation) {
        return edge.reason() == ReasonCode.DEPRECATION_SUNSET ? deprecation : null;
    }

    /** Refusals that are a security decision (the caller may not), as opposed to a failure on the way. */
    static boolean isDenial(RefusalKind kind) {
        return kind == RefusalKind.UNAUTHENTICATED
                || kind == RefusalKind.FORBIDDEN
                || kind == RefusalKind.GONE
                || kind == RefusalKind.RATE_LIMITED
                || kind == RefusalKind.NO_ROUTE;
    }

    /** Inbound: the caller's verified SPIFFE ID; outbound: the identity the destination had to prove. */
    private @Nullable SpiffeId peer(Direction direction, ServiceRequestContext ctx) {
        if (direction == Direction.INBOUND) {
            final PeerIdentity peer = ctx.attr(PeerIdentity.ATTR);
            return peer != null ? peer.id() : null;
        }
        final String route = ctx.attr(StageOutcomes.OUTBOUND_ROUTE);
        return route != null ? routeIdentities.get(route) : null;
    }

    /** The normalised path once hygiene ran; before that (an early refusal) the path as received; no query. */
    private static String path(ServiceRequestContext ctx) {
        return InboundRequest.pathForLog(ctx);
    }

    private static @Nullable String grpcStatus(RequestLog log) {
        final HttpHeaders trailers = log.responseTrailers();
        final String fromTrailers = trailers.get("grpc-status");
        return fromTrailers != null ? fromTrailers : log.responseHeaders().get("grpc-status");
    }

    /** {@code TLSv1.3} as {@code 1.3}, the form of the {@code tls.protocol.version} attribute. */
    static @Nullable String tlsVersion(@Nullable SSLSession session) {
        if (session == null) {
            return null;
        }
        final String protocol = session.getProtocol();
        return protocol != null && protocol.startsWith("TLSv") ? protocol.substring(4) : protocol;
    }

    private static <T> void setIfPresent(Span span, AttributeKey<T> key, @Nullable T value) {
        if (value != null) {
            span.setAttribute(key, value);
        }
    }

    /** Flushes the access log and the span queue (bounded waits) and stops their threads. */
    @Override
    public void close() {
        if (accessLog != null) {
            accessLog.close();
        }
        tracing.close();
    }
}
