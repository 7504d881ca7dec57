package io.trustline.sidecar.telemetry;

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
     * One call through a listener.
     *
     * @param peer inbound: the caller's verified SPIFFE ID; outbound: the identity the destination had to prove
     * @param principal the verified end user ({@code iss/sub}), if a JWT was verified
     * @param path the normalised path (inbound, once normalised) or the path as received, never with the query
     * @param query the query string with sensitive values redacted, only when query logging is on
     * @param decision allow, deny, audit_deny or error (as the {@code decision} metric tag)
     * @param reason the stable reason code, or {@code none}
     * @param policy the policy whose rule decided (or would have, in audit mode)
     * @param auditWouldDeny an audit-mode check would have refused this call, which went through
     * @param jwtIssuer the issuer whose rules rejected the call's token (enforced or audit), if one did
     * @param jwtFailure what failed about the token, for operators; never any part of the token
     * @param deprecation the name of the deprecated route the call was on, if any
     * @param headers the request headers asked for in {@code accessLog.headers}, sensitive ones redacted; null if none
     */
    record Call(
            long epochMicros,
            @Nullable String traceId,
            @Nullable String spanId,
            String requestId,
            Direction direction,
            @Nullable String peer,
            @Nullable String principal,
            String clientIp,
            String method,
            String path,
            @Nullable String query,
            String protocol,
            @Nullable String tlsVersion,
            @Nullable String route,
            int status,
            @Nullable String grpcStatus,
            String decision,
            String reason,
            @Nullable String policy,
            @Nullable String rule,
            boolean auditWouldDeny,
            @Nullable String auditReason,
            @Nullable String auditPolicy,
            @Nullable String auditRule,
            @Nullable String rateLimit,
            @Nullable String jwtIssuer,
            @Nullable String jwtFailure,
            @Nullable String deprecation,
            long bytesIn,
            long bytesOut,
            long durationNanos,
            @Nullable Map<String, String> headers)
            implements AccessLogLine {

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
