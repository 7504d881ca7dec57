package io.trustline.sidecar.config;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import io.trustline.ca.SpiffeId;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The whole sidecar configuration, as read from {@code sidecar.yaml} by {@link ConfigLoader}. Defaults are applied
 * in the compact constructors, so every instance is complete; {@link ConfigLoader} documents the file format.
 */
public record SidecarConfig(
        @JsonProperty(required = true) String service,
        @JsonProperty(required = true) String namespace,
        @JsonProperty(required = true) String trustDomain,
        @JsonProperty(required = true) IdentityConfig identity,
        @JsonProperty(required = true) InboundConfig inbound,
        @Nullable OutboundConfig outbound,
        @Nullable PolicyConfig policy,
        AdminConfig admin) {

    public SidecarConfig {
        requireNonNull(service, "service");
        requireNonNull(namespace, "namespace");
        requireNonNull(trustDomain, "trustDomain");
        requireNonNull(identity, "identity");
        requireNonNull(inbound, "inbound");
        if (admin == null) {
            admin = AdminConfig.DEFAULT;
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

        @JsonCreator
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

        @JsonCreator
        public static MtlsMode parse(String text) {
            return parseEnum(MtlsMode.class, text);
        }
    }

    /** The inbound listener: the only port meant for the network. */
    public record InboundConfig(
            HostPort listen,
            @JsonProperty(required = true) HostPort app,
            AppProtocol appProtocol,
            MtlsMode mtls,
            Limits limits) {

        public static final HostPort DEFAULT_LISTEN = HostPort.of("0.0.0.0", 15006);

        public InboundConfig {
            requireNonNull(app, "app");
            if (listen == null) {
                listen = DEFAULT_LISTEN;
            }
            if (appProtocol == null) {
                appProtocol = AppProtocol.HTTP;
            }
            if (mtls == null) {
                mtls = MtlsMode.STRICT;
            }
            if (limits == null) {
                limits = Limits.DEFAULT;
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

    /** One destination the app may call: the address of its inbound sidecar and the identity it must present. */
    public record RouteConfig(
            @JsonProperty(required = true) HostPort address,
            @JsonProperty(required = true) SpiffeId identity) {

        public RouteConfig {
            requireNonNull(address, "address");
            requireNonNull(identity, "identity");
        }
    }

    /**
     * Limits and timeouts of one listener. Zero means "no limit" for sizes and "none" for timeouts; long streams
     * are bounded by idle timeouts and the callers' deadlines, never by a fixed request timeout by default.
     * Overload protection, independent of policy: at most {@code maxConcurrentRequests} requests (streams
     * included) are served at once; up to {@code maxPendingRequests} more wait, each at most {@code pendingTimeout},
     * for a slot; anything beyond is refused with 503 / UNAVAILABLE. The queue is never unbounded.
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
            Duration pendingTimeout) {

        /** Default {@code maxConcurrentRequests}: requests served at once by one listener. */
        public static final int DEFAULT_MAX_CONCURRENT_REQUESTS = 10_000;
        /** Default {@code maxPendingRequests}: requests that may wait for a slot; the rest are refused at once. */
        public static final int DEFAULT_MAX_PENDING_REQUESTS = 1_000;
        /** Default {@code pendingTimeout}: how long a request may wait for a slot before it is refused. */
        public static final Duration DEFAULT_PENDING_TIMEOUT = Duration.ofSeconds(1);

        // After the defaults it is built from.
        public static final Limits DEFAULT = new Limits(null, null, null, null, null, null, null, null, null, null);

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
                maxConnections = 0;
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

    /** Where policy files live; reloaded when they change. */
    public record PolicyConfig(
            @JsonProperty(required = true) Path dir) {
        public PolicyConfig {
            requireNonNull(dir, "dir");
        }
    }

    /** The admin port: health, readiness, metrics; loopback unless explicitly allowed. */
    public record AdminConfig(HostPort listen, @Nullable Path tokenFile, Boolean allowNonLoopback) {

        public static final HostPort DEFAULT_LISTEN = HostPort.of("127.0.0.1", 15000);
        static final AdminConfig DEFAULT = new AdminConfig(null, null, null);

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
