package io.trustline.sidecar.config;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.annotation.JsonValue;
import io.trustline.ca.HostPort;
import io.trustline.ca.SpiffeId;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The whole sidecar configuration, as read from {@code sidecar.yaml} by {@link ConfigLoader}. Defaults are applied
 * in the compact constructors, so every instance is complete; {@link ConfigLoader} documents the file format. Each
 * record's components are exactly the keys its section accepts.
 */
public record SidecarConfig(
        String service,
        String namespace,
        String trustDomain,
        IdentityConfig identity,
        InboundConfig inbound,
        @Nullable OutboundConfig outbound,
        @Nullable PolicyConfig policy,
        AdminConfig admin,
        TelemetryConfig telemetry,
        AccessLogConfig accessLog,
        JwtConfig jwt,
        ShutdownConfig shutdown,
        Integer eventLoops) {

    /**
     * Event-loop threads by default: one, which every benchmark ran. Armeria's default of two per core cost 26-52 %
     * more CPU per request on 2 cores (docs/performance.md, "How many event loops").
     */
    public static final int DEFAULT_EVENT_LOOPS = 1;

    /** More threads than this is a typo, not a sizing: each loop serves a core's worth of proxying. */
    public static final int MAX_EVENT_LOOPS = 256;

    public SidecarConfig {
        requireNonNull(service, "service");
        requireNonNull(namespace, "namespace");
        requireNonNull(trustDomain, "trustDomain");
        requireNonNull(identity, "identity");
        requireNonNull(inbound, "inbound");
        if (admin == null) {
            admin = AdminConfig.DEFAULT;
        }
        if (telemetry == null) {
            telemetry = TelemetryConfig.DEFAULT;
        }
        if (accessLog == null) {
            accessLog = AccessLogConfig.DEFAULT;
        }
        if (jwt == null) {
            jwt = JwtConfig.DEFAULT;
        }
        if (shutdown == null) {
            shutdown = ShutdownConfig.DEFAULT;
        }
        if (eventLoops == null) {
            eventLoops = DEFAULT_EVENT_LOOPS;
        }
        if (eventLoops < 1 || eventLoops > MAX_EVENT_LOOPS) {
            throw new IllegalArgumentException(
                    "eventLoops: " + eventLoops + " (expected: 1 to " + MAX_EVENT_LOOPS + ")");
        }
        if (admin.listen().port() != 0
                && admin.listen().port() == inbound.listen().port()) {
            throw new IllegalArgumentException("admin.listen: " + admin.listen()
                    + " (expected: another port than inbound.listen; the admin port never shares the network port)");
        }
        if (admin.probeListen() != null
                && admin.probeListen().port() != 0
                && admin.probeListen().port() == inbound.listen().port()) {
            throw new IllegalArgumentException(
                    "admin.probeListen: " + admin.probeListen() + " (expected: another port than inbound.listen)");
        }
    }

    /** This workload's identity: {@code spiffe://<trustDomain>/ns/<namespace>/sa/<service>}. */
    public SpiffeId spiffeId() {
        return SpiffeId.of(trustDomain, namespace, service);
    }

    /**
     * Where the workload certificate comes from: either the Trustline CA (with a join token for the first
     * issuance) or certificate files maintained by someone else (re-read when they change).
     */
    public record IdentityConfig(
            @Nullable HostPort ca,
            @Nullable Path caBundle,
            @Nullable Path joinTokenFile,
            Duration certTtl,
            @Nullable Path certFile,
            @Nullable Path keyFile,
            @Nullable Path bundleFile) {

        /** Default certificate lifetime asked of the CA. */
        public static final Duration DEFAULT_CERT_TTL = Duration.ofHours(1);

        public IdentityConfig {
            if (certTtl == null) {
                certTtl = DEFAULT_CERT_TTL;
            }
            final boolean fromCa = ca != null || caBundle != null || joinTokenFile != null;
            final boolean fromFiles = certFile != null || keyFile != null || bundleFile != null;
            if (fromCa == fromFiles) {
                throw new IllegalArgumentException("identity: set either ca, caBundle and joinTokenFile "
                        + "(certificates from the Trustline CA) or certFile, keyFile and bundleFile (from files)");
            }
            if (fromCa && (ca == null || caBundle == null || joinTokenFile == null)) {
                throw new IllegalArgumentException("identity: ca, caBundle and joinTokenFile are all required");
            }
            if (fromFiles && (certFile == null || keyFile == null || bundleFile == null)) {
                throw new IllegalArgumentException("identity: certFile, keyFile and bundleFile are all required");
            }
            if (certTtl.compareTo(Duration.ofMinutes(1)) < 0) {
                throw new IllegalArgumentException(
                        "identity.certTtl: " + Durations.format(certTtl) + " (expected: >= 1m)");
            }
        }

        public boolean fromCa() {
            return ca != null;
        }
    }

    /** Protocol spoken to the local app. */
    public enum AppProtocol {
        /** HTTP/1.1 (the default); gRPC apps need {@link #H2C}. */
        HTTP,
        /** HTTP/2 over cleartext with prior knowledge. */
        H2C;

        public static AppProtocol parse(String text) {
            return parseEnum(AppProtocol.class, text);
        }
    }

    /** Whether the inbound listener also accepts plaintext (for migration only). */
    public enum MtlsMode {
        /** A client certificate is required on every connection (the default). */
        STRICT,
        /** Plaintext is accepted too, logged and counted; policy can still demand a peer identity. */
        PERMISSIVE;

        public static MtlsMode parse(String text) {
            return parseEnum(MtlsMode.class, text);
        }
    }

    /**
     * The inbound listener: the only port meant for the network.
     *
     * @param appIdleTimeout how long a connection to the app may sit idle in the sidecar's pool, default
     *     {@link #DEFAULT_APP_IDLE_TIMEOUT}; it must be shorter than the app's own keep-alive timeout, so that the
     *     sidecar, not the app, closes an idle connection and no request is sent on one the app is closing
     */
    public record InboundConfig(
            HostPort listen,
            HostPort app,
            AppProtocol appProtocol,
            Duration appIdleTimeout,
            MtlsMode mtls,
            Limits limits,
            HygieneConfig hygiene) {

        public static final HostPort DEFAULT_LISTEN = HostPort.of("0.0.0.0", 15006);

        /** Below the common app keep-alive timeouts: Node.js, uvicorn and Apache httpd 5 s, nginx 75 s. */
        public static final Duration DEFAULT_APP_IDLE_TIMEOUT = Duration.ofSeconds(4);

        public InboundConfig {
            requireNonNull(app, "app");
            if (listen == null) {
                listen = DEFAULT_LISTEN;
            }
            if (appProtocol == null) {
                appProtocol = AppProtocol.HTTP;
            }
            if (appIdleTimeout == null) {
                appIdleTimeout = DEFAULT_APP_IDLE_TIMEOUT;
            }
            if (appIdleTimeout.isZero() || appIdleTimeout.isNegative()) {
                throw new IllegalArgumentException("appIdleTimeout: " + Durations.format(appIdleTimeout)
                        + " (expected: > 0 and below the app's keep-alive timeout)");
            }
            if (mtls == null) {
                mtls = MtlsMode.STRICT;
            }
            if (limits == null) {
                limits = Limits.DEFAULT;
            }
            if (hygiene == null) {
                hygiene = HygieneConfig.DEFAULT;
            }
        }
    }

    /** The outbound listener the local app calls; loopback only. */
    public record OutboundConfig(HostPort listen, Map<String, RouteConfig> routes, Limits limits) {

        public static final HostPort DEFAULT_LISTEN = HostPort.of("127.0.0.1", 15001);

        public OutboundConfig {
            if (listen == null) {
                listen = DEFAULT_LISTEN;
            }
            routes = routes == null ? Map.of() : Map.copyOf(routes);
            if (limits == null) {
                limits = Limits.DEFAULT;
            }
            if (!listen.isLoopback()) {
                throw new IllegalArgumentException("outbound.listen: " + listen
                        + " (expected: a loopback address; the outbound listener must never face the network)");
            }
        }
    }

    /**
     * Limits and timeouts of one listener. Zero means "no limit" for sizes and "none" for timeouts; long streams
     * are bounded by idle timeouts and the callers' deadlines, never by a fixed request timeout by default.
     * Overload protection, independent of policy: at most {@code maxConcurrentRequests} requests (streams
     * included) are served at once; up to {@code maxPendingRequests} more wait, each at most {@code pendingTimeout},
     * for a slot; anything beyond is refused with 503 / UNAVAILABLE. The queue is never unbounded. At most
     * {@code maxConnections} connections are held open (default {@value #DEFAULT_MAX_CONNECTIONS}), and
     * {@code slowClients} bounds how long a client may take over its handshake, headers and body.
     */
    public record Limits(
            Long maxRequestBodyBytes,
            Integer maxHeaderBytes,
            Duration idleTimeout,
            Duration requestTimeout,
            Duration connectTimeout,
            Integer maxConnections,
            Long maxConcurrentStreams,
            Integer maxConcurrentRequests,
            Integer maxPendingRequests,
            Duration pendingTimeout,
            SlowClientLimits slowClients) {

        /** Default {@code maxConcurrentRequests}: requests served at once by one listener. */
        public static final int DEFAULT_MAX_CONCURRENT_REQUESTS = 10_000;
        /** Default {@code maxPendingRequests}: requests that may wait for a slot; the rest are refused at once. */
        public static final int DEFAULT_MAX_PENDING_REQUESTS = 1_000;
        /** Default {@code pendingTimeout}: how long a request may wait for a slot before it is refused. */
        public static final Duration DEFAULT_PENDING_TIMEOUT = Duration.ofSeconds(1);
        /** Default {@code maxConnections}: connections one listener holds open at once; more are closed at accept. */
        public static final int DEFAULT_MAX_CONNECTIONS = 10_000;

        // After the defaults it is built from.
        // null picks each default, as an absent YAML key does; NullAway cannot see that the compact
        // constructor replaces it, so the record's accessors never return null.
        @SuppressWarnings("NullAway")
        public static final Limits DEFAULT =
                new Limits(null, null, null, null, null, null, null, null, null, null, null);

        public Limits {
            if (maxRequestBodyBytes == null) {
                maxRequestBodyBytes = 0L;
            }
            if (maxHeaderBytes == null) {
                maxHeaderBytes = 16 * 1024;
            }
            if (idleTimeout == null) {
                idleTimeout = Duration.ofMinutes(5);
            }
            if (requestTimeout == null) {
                requestTimeout = Duration.ZERO;
            }
            if (connectTimeout == null) {
                connectTimeout = Duration.ofSeconds(2);
            }
            if (maxConnections == null) {
                maxConnections = DEFAULT_MAX_CONNECTIONS;
            }
            if (slowClients == null) {
                slowClients = SlowClientLimits.DEFAULT;
            }
            if (maxConcurrentStreams == null) {
                maxConcurrentStreams = 1000L;
            }
            if (maxRequestBodyBytes < 0) {
                throw new IllegalArgumentException(
                        "maxRequestBodyBytes: " + maxRequestBodyBytes + " (expected: >= 0; 0 = no limit)");
            }
            if (maxHeaderBytes < 1024) {
                throw new IllegalArgumentException("maxHeaderBytes: " + maxHeaderBytes + " (expected: >= 1024)");
            }
            if (maxConnections < 0) {
                throw new IllegalArgumentException(
                        "maxConnections: " + maxConnections + " (expected: >= 0; 0 = no limit)");
            }
            if (maxConcurrentStreams < 1) {
                throw new IllegalArgumentException(
                        "maxConcurrentStreams: " + maxConcurrentStreams + " (expected: >= 1)");
            }
            if (connectTimeout.isZero()) {
                throw new IllegalArgumentException("connectTimeout: 0 (expected: > 0)");
            }
            if (maxConcurrentRequests == null) {
                maxConcurrentRequests = DEFAULT_MAX_CONCURRENT_REQUESTS;
            }
            if (maxConcurrentRequests < 0) {
                throw new IllegalArgumentException(
                        "maxConcurrentRequests: " + maxConcurrentRequests + " (expected: >= 0; 0 = no limit)");
            }
            if (maxPendingRequests != null && maxPendingRequests != 0 && maxConcurrentRequests == 0) {
                throw new IllegalArgumentException("maxPendingRequests: " + maxPendingRequests
                        + " (expected: 0 or absent when maxConcurrentRequests is 0: without a limit nothing waits)");
            }
            if (maxPendingRequests == null) {
                maxPendingRequests = maxConcurrentRequests == 0 ? 0 : DEFAULT_MAX_PENDING_REQUESTS;
            }
            if (maxPendingRequests < 0) {
                throw new IllegalArgumentException(
                        "maxPendingRequests: " + maxPendingRequests + " (expected: >= 0; 0 = refuse at once)");
            }
            if (pendingTimeout == null) {
                pendingTimeout = DEFAULT_PENDING_TIMEOUT;
            }
            if (pendingTimeout.isZero() || pendingTimeout.isNegative()) {
                throw new IllegalArgumentException("pendingTimeout: " + Durations.format(pendingTimeout)
                        + " (expected: > 0; a waiting request is refused after it)");
            }
        }
    }

    /**
     * The admin port: health, readiness, metrics; loopback unless explicitly allowed. {@code probeListen} opens a
     * second, read-only listener with only {@code /healthz}, {@code /readyz} and {@code /metrics}, which may face the
     * pod network (kubelet probes, Prometheus scrapes), as Istio's 15020/15090 do.
     *
     * @param probeListen default none (no probe listener)
     */
    public record AdminConfig(
            HostPort listen,
            @Nullable Path tokenFile,
            Boolean allowNonLoopback,
            @Nullable HostPort probeListen) {

        public static final HostPort DEFAULT_LISTEN = HostPort.of("127.0.0.1", 15000);
        // null picks each default, as an absent YAML key does; NullAway cannot see that the compact
        // constructor replaces it, so the record's accessors never return null.
        @SuppressWarnings("NullAway")
        static final AdminConfig DEFAULT = new AdminConfig(null, null, null, null);

        public AdminConfig {
            if (listen == null) {
                listen = DEFAULT_LISTEN;
            }
            if (allowNonLoopback == null) {
                allowNonLoopback = false;
            }
            if (!listen.isLoopback() && !allowNonLoopback) {
                throw new IllegalArgumentException("admin.listen: " + listen
                        + " (expected: a loopback address, or set admin.allowNonLoopback: true)");
            }
            if (probeListen != null && probeListen.port() != 0 && probeListen.port() == listen.port()) {
                throw new IllegalArgumentException(
                        "admin.probeListen: " + probeListen + " (expected: another port than admin.listen)");
            }
        }
    }

    /** Traces (OpenTelemetry, OTLP) and metrics (Prometheus text on the admin port). */
    public record TelemetryConfig(TracingConfig tracing, MetricsConfig metrics) {

        // null picks each default, as an absent YAML key does; NullAway cannot see that the compact
        // constructor replaces it, so the record's accessors never return null.
        @SuppressWarnings("NullAway")
        static final TelemetryConfig DEFAULT = new TelemetryConfig(null, null);

        public TelemetryConfig {
            if (tracing == null) {
                tracing = TracingConfig.DEFAULT;
            }
            if (metrics == null) {
                metrics = MetricsConfig.DEFAULT;
            }
        }
    }

    /** How OTLP export is reached; {@code http/protobuf} is OTLP over HTTP 1.1/2 with protobuf bodies. */
    public enum OtlpProtocol {
        GRPC("grpc"),
        HTTP_PROTOBUF("http/protobuf");

        private final String text;

        OtlpProtocol(String text) {
            this.text = text;
        }

        /** The value of {@code OTEL_EXPORTER_OTLP_PROTOCOL} for this protocol. */
        @JsonValue
        public String text() {
            return text;
        }

        public static OtlpProtocol parse(String text) {
            for (OtlpProtocol p : values()) {
                if (p.text.equalsIgnoreCase(text)) {
                    return p;
                }
            }
            throw new IllegalArgumentException("'" + text + "' (expected: grpc, http/protobuf)");
        }
    }

    /**
     * Tracing. The standard {@code OTEL_*} environment variables apply (endpoint, protocol, service name, sampler,
     * resource attributes, batch processor); what is set here wins over them. Tracing is on only when it is enabled
     * and an OTLP endpoint is known (here or in {@code OTEL_EXPORTER_OTLP_[TRACES_]ENDPOINT}).
     *
     * @param enabled default true
     * @param endpoint the OTLP endpoint, e.g. {@code http://jaeger:4317}; default from the environment
     * @param protocol default from {@code OTEL_EXPORTER_OTLP_PROTOCOL}, else grpc
     * @param maxQueueSize spans waiting for export; more are dropped, so an unreachable collector costs bounded
     *     memory. Default 2048
     * @param properties more OpenTelemetry SDK properties ({@code otel.*}), e.g. {@code otel.bsp.schedule.delay}
     */
    public record TracingConfig(
            Boolean enabled,
            @Nullable String endpoint,
            @Nullable OtlpProtocol protocol,
            Integer maxQueueSize,
            Map<String, String> properties) {

        // null picks each default, as an absent YAML key does; NullAway cannot see that the compact
        // constructor replaces it, so the record's accessors never return null.
        @SuppressWarnings("NullAway")
        static final TracingConfig DEFAULT = new TracingConfig(null, null, null, null, null);

        public TracingConfig {
            if (enabled == null) {
                enabled = true;
            }
            if (maxQueueSize == null) {
                maxQueueSize = 2048;
            }
            properties = properties == null ? Map.of() : Map.copyOf(properties);
            if (endpoint != null && !(endpoint.startsWith("http://") || endpoint.startsWith("https://"))) {
                throw new IllegalArgumentException(
                        "endpoint: '" + endpoint + "' (expected: an http:// or https:// URL)");
            }
            if (maxQueueSize < 1) {
                throw new IllegalArgumentException("maxQueueSize: " + maxQueueSize + " (expected: >= 1)");
            }
            for (String key : properties.keySet()) {
                if (!key.startsWith("otel.")) {
                    throw new IllegalArgumentException(
                            "properties: '" + key + "' (expected: an OpenTelemetry SDK property, otel.*)");
                }
            }
        }
    }

    /**
     * Metrics. Tags come from closed sets. The request metrics always carry the verified workloads of both ends; the
     * peer's SPIFFE ID becomes a tag of the deprecated-route counter only when an operator opts in here.
     *
     * @param peerIdentityTag default false
     */
    public record MetricsConfig(Boolean peerIdentityTag) {

        // null picks each default, as an absent YAML key does; NullAway cannot see that the compact
        // constructor replaces it, so the record's accessors never return null.
        @SuppressWarnings("NullAway")
        static final MetricsConfig DEFAULT = new MetricsConfig(null);

        public MetricsConfig {
            if (peerIdentityTag == null) {
                peerIdentityTag = false;
            }
        }
    }

    /** Where access-log lines go. */
    public enum AccessLogSink {
        /** One JSON line per call on standard output (the default; operational logs go to stderr). */
        STDOUT,
        /** Appended to {@code accessLog.file}. */
        FILE,
        /** No access log (benchmarks); security events still reach the operational log. */
        OFF;

        public static AccessLogSink parse(String text) {
            return parseEnum(AccessLogSink.class, text);
        }
    }

    /**
     * The JSON access/audit log: one line per call, written off the event loop. Header values and the query string
     * are logged only when asked for, and the values of sensitive headers and query parameters are redacted.
     *
     * @param sink default stdout, or file when {@code file} is set
     * @param headers request headers whose values are logged; default none
     * @param query whether the query string is logged (sensitive parameters redacted); default false
     * @param sensitiveHeaders redacted in addition to the built-in ones (authorization, cookie, ...)
     * @param sensitiveQueryParams redacted in addition to the built-in ones (access_token, code, ...)
     * @param queueSize lines waiting to be written; more are dropped and counted. Default 8192
     */
    public record AccessLogConfig(
            AccessLogSink sink,
            @Nullable Path file,
            List<String> headers,
            Boolean query,
            List<String> sensitiveHeaders,
            List<String> sensitiveQueryParams,
            Integer queueSize,
            SecurityEventsConfig securityEvents) {

        // null picks each default, as an absent YAML key does; NullAway cannot see that the compact
        // constructor replaces it, so the record's accessors never return null.
        @SuppressWarnings("NullAway")
        static final AccessLogConfig DEFAULT = new AccessLogConfig(null, null, null, null, null, null, null, null);

        public AccessLogConfig {
            if (sink == null) {
                sink = file != null ? AccessLogSink.FILE : AccessLogSink.STDOUT;
            }
            headers = lowerCase(headers);
            sensitiveHeaders = lowerCase(sensitiveHeaders);
            sensitiveQueryParams = lowerCase(sensitiveQueryParams);
            if (query == null) {
                query = false;
            }
            if (queueSize == null) {
                queueSize = 8192;
            }
            if (securityEvents == null) {
                securityEvents = SecurityEventsConfig.DEFAULT;
            }
            if (sink == AccessLogSink.FILE && file == null) {
                throw new IllegalArgumentException("accessLog: sink file needs accessLog.file");
            }
            if (sink != AccessLogSink.FILE && file != null) {
                throw new IllegalArgumentException(
                        "accessLog.file: " + file + " (expected: only with sink: file; sink is "
                                + sink.name().toLowerCase(java.util.Locale.ROOT) + ')');
            }
            if (queueSize < 1) {
                throw new IllegalArgumentException("queueSize: " + queueSize + " (expected: >= 1)");
            }
        }

        private static List<String> lowerCase(@Nullable List<String> names) {
            if (names == null) {
                return List.of();
            }
            return names.stream().map(n -> n.toLowerCase(java.util.Locale.ROOT)).toList();
        }
    }

    static <E extends Enum<E>> E parseEnum(Class<E> type, String text) {
        for (E e : type.getEnumConstants()) {
            if (e.name().equalsIgnoreCase(text)) {
                return e;
            }
        }
        final StringBuilder expected = new StringBuilder();
        for (E e : type.getEnumConstants()) {
            if (expected.length() > 0) {
                expected.append(", ");
            }
            expected.append(e.name().toLowerCase(java.util.Locale.ROOT));
        }
        throw new IllegalArgumentException("'" + text + "' (expected: " + expected + ')');
    }
}
