package io.trustline.sidecar.telemetry;

import static java.util.Objects.requireNonNull;

import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * One line of the access/audit log. Captured on the event loop as plain values; {@link #appendJson} runs on the
 * writer's thread. Every field is always present ({@code null} when it does not apply), so consumers see one schema.
 */
sealed interface AccessLogLine permits AccessLogLine.Call, AccessLogLine.SecurityEvent, AccessLogLine.ConnectionEvent {

    /** Appends the line's JSON object, without the newline. */
    void appendJson(StringBuilder sb);

    private static String time(long epochMicros) {
        return DateTimeFormatter.ISO_INSTANT.format(
                Instant.EPOCH.plus(epochMicros, ChronoUnit.MICROS).truncatedTo(ChronoUnit.MILLIS));
    }

    /** {@code 1234567} ns as {@code 1.234} (milliseconds, microsecond precision). */
    private static void millis(StringBuilder sb, long nanos) {
        final long micros = nanos / 1000;
        sb.append(micros / 1000).append('.');
        final long fraction = micros % 1000;
        if (fraction < 100) {
            sb.append('0');
        }
        if (fraction < 10) {
            sb.append('0');
        }
        sb.append(fraction);
    }

    /**
     * One call through a listener, built with {@link #builder}: a field that does not apply is left unset and written
     * as {@code null}, so adding a field changes only the places that know its value.
     */
    final class Call implements AccessLogLine {

        private final long epochMicros;
        private final @Nullable String traceId;
        private final @Nullable String spanId;
        private final String requestId;
        private final Direction direction;
        private final @Nullable String peer;
        private final @Nullable String principal;
        private final String clientIp;
        private final String method;
        private final String path;
        private final @Nullable String query;
        private final String protocol;
        private final @Nullable String tlsVersion;
        private final @Nullable String route;
        private final @Nullable String upstream;
        private final int status;
        private final @Nullable String grpcStatus;
        private final String decision;
        private final String reason;
        private final @Nullable String policy;
        private final @Nullable String rule;
        private final boolean auditWouldDeny;
        private final @Nullable String auditReason;
        private final @Nullable String auditPolicy;
        private final @Nullable String auditRule;
        private final @Nullable String rateLimit;
        private final @Nullable String jwtIssuer;
        private final @Nullable String jwtFailure;
        private final @Nullable String deprecation;
        private final long bytesIn;
        private final long bytesOut;
        private final long durationNanos;
        private final @Nullable Map<String, String> headers;

        private Call(Builder b) {
            epochMicros = b.epochMicros;
            traceId = b.traceId;
            spanId = b.spanId;
            requestId = requireNonNull(b.requestId, "requestId");
            direction = requireNonNull(b.direction, "direction");
            peer = b.peer;
            principal = b.principal;
            clientIp = requireNonNull(b.clientIp, "clientIp");
            method = requireNonNull(b.method, "method");
            path = requireNonNull(b.path, "path");
            query = b.query;
            protocol = requireNonNull(b.protocol, "protocol");
            tlsVersion = b.tlsVersion;
            route = b.route;
            upstream = b.upstream;
            status = b.status;
            grpcStatus = b.grpcStatus;
            decision = requireNonNull(b.decision, "decision");
            reason = requireNonNull(b.reason, "reason");
            policy = b.policy;
            rule = b.rule;
            auditWouldDeny = b.auditWouldDeny;
            auditReason = b.auditReason;
            auditPolicy = b.auditPolicy;
            auditRule = b.auditRule;
            rateLimit = b.rateLimit;
            jwtIssuer = b.jwtIssuer;
            jwtFailure = b.jwtFailure;
            deprecation = b.deprecation;
            bytesIn = b.bytesIn;
            bytesOut = b.bytesOut;
            durationNanos = b.durationNanos;
            headers = b.headers;
        }

        static Builder builder() {
            return new Builder();
        }

        @Override
        public void appendJson(StringBuilder sb) {
            sb.append('{');
            Json.field(sb, "type", "access");
            Json.field(sb, "time", time(epochMicros));
            Json.field(sb, "trace_id", traceId);
            Json.field(sb, "span_id", spanId);
            Json.field(sb, "request_id", requestId);
            Json.field(sb, "direction", direction.tag());
            Json.field(sb, "peer", peer);
            Json.field(sb, "principal", principal);
            Json.field(sb, "client_ip", clientIp);
            Json.field(sb, "method", method);
            Json.field(sb, "path", path);
            Json.field(sb, "query", query);
            Json.field(sb, "protocol", protocol);
            Json.field(sb, "tls", tlsVersion);
            Json.field(sb, "route", route);
            Json.field(sb, "upstream", upstream);
            Json.field(sb, "status", status);
            Json.field(sb, "grpc_status", grpcStatus);
            Json.field(sb, "decision", decision);
            Json.field(sb, "reason", reason);
            Json.field(sb, "policy", policy);
            Json.field(sb, "rule", rule);
            Json.field(sb, "audit_would_deny", auditWouldDeny);
            Json.field(sb, "audit_reason", auditReason);
            Json.field(sb, "audit_policy", auditPolicy);
            Json.field(sb, "audit_rule", auditRule);
            Json.field(sb, "rate_limit", rateLimit);
            Json.field(sb, "jwt_issuer", jwtIssuer);
            Json.field(sb, "jwt_failure", jwtFailure);
            Json.field(sb, "deprecation", deprecation);
            Json.field(sb, "bytes_in", bytesIn);
            Json.field(sb, "bytes_out", bytesOut);
            Json.name(sb, "duration_ms");
            millis(sb, durationNanos);
            Json.name(sb, "headers");
            if (headers == null) {
                sb.append("null");
            } else {
                sb.append('{');
                headers.forEach((name, value) -> {
                    if (sb.charAt(sb.length() - 1) != '{') {
                        sb.append(',');
                    }
                    Json.string(sb, name);
                    sb.append(':');
                    Json.string(sb, value);
                });
                sb.append('}');
            }
            sb.append('}');
        }

        /** Collects the fields of one {@link Call}; the required ones are checked by {@link #build}. */
        static final class Builder {

            private long epochMicros;
            private @Nullable String traceId;
            private @Nullable String spanId;
            private @Nullable String requestId;
            private @Nullable Direction direction;
            private @Nullable String peer;
            private @Nullable String principal;
            private @Nullable String clientIp;
            private @Nullable String method;
            private @Nullable String path;
            private @Nullable String query;
            private @Nullable String protocol;
            private @Nullable String tlsVersion;
            private @Nullable String route;
            private @Nullable String upstream;
            private int status;
            private @Nullable String grpcStatus;
            private @Nullable String decision;
            private @Nullable String reason;
            private @Nullable String policy;
            private @Nullable String rule;
            private boolean auditWouldDeny;
            private @Nullable String auditReason;
            private @Nullable String auditPolicy;
            private @Nullable String auditRule;
            private @Nullable String rateLimit;
            private @Nullable String jwtIssuer;
            private @Nullable String jwtFailure;
            private @Nullable String deprecation;
            private long bytesIn;
            private long bytesOut;
            private long durationNanos;
            private @Nullable Map<String, String> headers;

            private Builder() {}

            /** When the request started, in microseconds since the epoch. */
            Builder epochMicros(long epochMicros) {
                this.epochMicros = epochMicros;
                return this;
            }

            /** The trace the call's span belongs to, when traced. */
            Builder traceId(@Nullable String traceId) {
                this.traceId = traceId;
                return this;
            }

            /** The call's span, when traced. */
            Builder spanId(@Nullable String spanId) {
                this.spanId = spanId;
                return this;
            }

            /** The request id the caller also sees on a refusal. */
            Builder requestId(String requestId) {
                this.requestId = requestId;
                return this;
            }

            /** Inbound or outbound. */
            Builder direction(Direction direction) {
                this.direction = direction;
                return this;
            }

            /** Inbound: the caller's verified SPIFFE ID; outbound: the identity the destination had to prove. */
            Builder peer(@Nullable String peer) {
                this.peer = peer;
                return this;
            }

            /** The verified end user ({@code iss/sub}), if a JWT was verified. */
            Builder principal(@Nullable String principal) {
                this.principal = principal;
                return this;
            }

            /** The address the call came from. */
            Builder clientIp(String clientIp) {
                this.clientIp = clientIp;
                return this;
            }

            /** The request method. */
            Builder method(String method) {
                this.method = method;
                return this;
            }

            /** The normalised path (inbound, once normalised) or the path as received, never with the query. */
            Builder path(String path) {
                this.path = path;
                return this;
            }

            /** The query string with sensitive values redacted, only when query logging is on. */
            Builder query(@Nullable String query) {
                this.query = query;
                return this;
            }

            /** The session protocol, e.g. {@code h2}. */
            Builder protocol(String protocol) {
                this.protocol = protocol;
                return this;
            }

            /** The TLS version of an inbound connection, e.g. {@code 1.3}. */
            Builder tlsVersion(@Nullable String tlsVersion) {
                this.tlsVersion = tlsVersion;
                return this;
            }

            /** The outbound route the call took. */
            Builder route(@Nullable String route) {
                this.route = route;
                return this;
            }

            /** The peer endpoint an outbound call was sent to, {@code ip:port}. */
            Builder upstream(@Nullable String upstream) {
                this.upstream = upstream;
                return this;
            }

            /** The response status. */
            Builder status(int status) {
                this.status = status;
                return this;
            }

            /** The gRPC status of a gRPC call. */
            Builder grpcStatus(@Nullable String grpcStatus) {
                this.grpcStatus = grpcStatus;
                return this;
            }

            /** Allow, deny, audit_deny or error (as the {@code decision} metric tag). */
            Builder decision(String decision) {
                this.decision = decision;
                return this;
            }

            /** The stable reason code, or {@code none}. */
            Builder reason(String reason) {
                this.reason = reason;
                return this;
            }

            /** The policy whose rule decided. */
            Builder policy(@Nullable String policy) {
                this.policy = policy;
                return this;
            }

            /** The rule that decided. */
            Builder rule(@Nullable String rule) {
                this.rule = rule;
                return this;
            }

            /** An audit-mode check would have refused this call, which went through. */
            Builder auditWouldDeny(boolean auditWouldDeny) {
                this.auditWouldDeny = auditWouldDeny;
                return this;
            }

            /** The reason code of the audit-mode check that would have refused. */
            Builder auditReason(@Nullable String auditReason) {
                this.auditReason = auditReason;
                return this;
            }

            /** The policy of that audit-mode check. */
            Builder auditPolicy(@Nullable String auditPolicy) {
                this.auditPolicy = auditPolicy;
                return this;
            }

            /** The rule of that audit-mode check. */
            Builder auditRule(@Nullable String auditRule) {
                this.auditRule = auditRule;
                return this;
            }

            /** The rate limit that refused the call or would have ({@code penalty:<key>} for the penalty box). */
            Builder rateLimit(@Nullable String rateLimit) {
                this.rateLimit = rateLimit;
                return this;
            }

            /** The issuer whose rules rejected the call's token (enforced or audit), if one did. */
            Builder jwtIssuer(@Nullable String jwtIssuer) {
                this.jwtIssuer = jwtIssuer;
                return this;
            }

            /** What failed about the token, for operators; never any part of the token. */
            Builder jwtFailure(@Nullable String jwtFailure) {
                this.jwtFailure = jwtFailure;
                return this;
            }

            /** The name of the deprecated route the call was on, if any. */
            Builder deprecation(@Nullable String deprecation) {
                this.deprecation = deprecation;
                return this;
            }

            /** Request body bytes. */
            Builder bytesIn(long bytesIn) {
                this.bytesIn = bytesIn;
                return this;
            }

            /** Response body bytes. */
            Builder bytesOut(long bytesOut) {
                this.bytesOut = bytesOut;
                return this;
            }

            /** From the request's start to the end of its response. */
            Builder durationNanos(long durationNanos) {
                this.durationNanos = durationNanos;
                return this;
            }

            /** The request headers asked for in {@code accessLog.headers}, sensitive ones redacted; null if none. */
            Builder headers(@Nullable Map<String, String> headers) {
                this.headers = headers;
                return this;
            }

            /** The line; throws if a required field (request id, direction, client, method, path, ...) is unset. */
            Call build() {
                return new Call(this);
            }
        }
    }

    /**
     * One caller went over the failure threshold.
     *
     * @param caller the peer's SPIFFE ID, or its IP address when it had none
     * @param kind authn (failed authentication) or authz (denied by policy)
     */
    record SecurityEvent(
            long epochMicros, String caller, String kind, int failures, long windowSeconds, String lastReason)
            implements AccessLogLine {

        @Override
        public void appendJson(StringBuilder sb) {
            sb.append('{');
            Json.field(sb, "type", "security_event");
            Json.field(sb, "time", time(epochMicros));
            Json.field(sb, "event", "repeated_failures");
            Json.field(sb, "caller", caller);
            Json.field(sb, "kind", kind);
            Json.field(sb, "failures", failures);
            Json.field(sb, "window_s", windowSeconds);
            Json.field(sb, "last_reason", lastReason);
            sb.append('}');
        }
    }

    /**
     * A listener closed a connection before a request on it could be logged (a slow client).
     *
     * @param clientIp the client's address, when known
     * @param reason the stable reason code, e.g. {@code connection.headers_timeout}
     */
    record ConnectionEvent(
            long epochMicros, String listener, @Nullable String clientIp, String reason, long ageNanos)
            implements AccessLogLine {

        @Override
        public void appendJson(StringBuilder sb) {
            sb.append('{');
            Json.field(sb, "type", "connection");
            Json.field(sb, "time", time(epochMicros));
            Json.field(sb, "event", "closed");
            Json.field(sb, "listener", listener);
            Json.field(sb, "client_ip", clientIp);
            Json.field(sb, "reason", reason);
            Json.name(sb, "age_ms");
            millis(sb, ageNanos);
            sb.append('}');
        }
    }
}
