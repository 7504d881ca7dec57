package io.trustline.sidecar.config;

import io.trustline.ca.HostPort;
import io.trustline.ca.SpiffeId;
import io.trustline.policy.path.PathParameters;
import io.trustline.policy.yaml.Fields;
import io.trustline.policy.yaml.YamlMap;
import io.trustline.policy.yaml.YamlNode;
import io.trustline.policy.yaml.YamlScalar;
import io.trustline.sidecar.config.SidecarConfig.AdminConfig;
import io.trustline.sidecar.config.SidecarConfig.AppProtocol;
import io.trustline.sidecar.config.SidecarConfig.IdentityConfig;
import io.trustline.sidecar.config.SidecarConfig.InboundConfig;
import io.trustline.sidecar.config.SidecarConfig.Limits;
import io.trustline.sidecar.config.SidecarConfig.MtlsMode;
import io.trustline.sidecar.config.SidecarConfig.OutboundConfig;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Reads the tree of one {@code sidecar.yaml} into a {@link SidecarConfig}, section by section, reporting every
 * problem through {@link ConfigValues} and going on, so that one run lists every mistake of the file. Each section
 * accepts exactly the components of its record; the records keep their own cross-field checks.
 *
 * <p>The builders pass values that may be null into the config records: {@code v.build} calls a record's constructor
 * only when its section had no problem, so a required value is never null there, and an optional one left null picks
 * the record's default (its compact constructor replaces it). NullAway cannot see either, hence the suppressions on
 * the methods that build records.
 */
final class SidecarConfigReader {

    /** Values people write for {@code appProtocol}, and what to write instead. */
    private static final Map<String, String> APP_PROTOCOL_HINTS = Map.of(
            "grpc", "did you mean 'h2c'? gRPC apps are reached over HTTP/2 in cleartext",
            "http2", "did you mean 'h2c'? the app is reached over HTTP/2 in cleartext",
            "h2", "did you mean 'h2c'? the app is reached over HTTP/2 in cleartext",
            "https", "the app is reached on loopback without TLS: http or h2c");

    private static final Map<String, String> MTLS_HINTS = Map.of(
            "disable", "there is no mode without mTLS; permissive also accepts plaintext (migration only)",
            "off", "there is no mode without mTLS; permissive also accepts plaintext (migration only)",
            "false", "there is no mode without mTLS; permissive also accepts plaintext (migration only)");

    private final ConfigValues v;

    SidecarConfigReader(ConfigValues values) {
        this.v = values;
    }

    @Nullable
    @SuppressWarnings("NullAway") // see the class comment: v.build calls the constructor only without problems
    SidecarConfig read(YamlNode root) {
        final int before = v.problems().count();
        final Fields f = v.section(root, "", SidecarConfig.class);
        if (f == null) {
            return null;
        }
        final List<String> keys = ConfigValues.keys(SidecarConfig.class);
        final String service = v.requiredString(f, "service", keys);
        final String namespace = v.requiredString(f, "namespace", keys);
        final String trustDomain = v.requiredString(f, "trustDomain", keys);
        if (service != null && namespace != null && trustDomain != null) {
            checkIdentityParts(f, service, namespace, trustDomain);
        }
        final YamlNode identityNode = v.required(f, "identity", keys);
        final IdentityConfig identity = identityNode == null ? null : identity(identityNode);
        final YamlNode inboundNode = v.required(f, "inbound", keys);
        final InboundConfig inbound = inboundNode == null ? null : inbound(inboundNode);
        final OutboundConfig outbound = outbound(f, trustDomain, namespace);
        final PolicyConfig policy = policy(f);
        final AdminConfig admin = admin(f);
        final ObservabilityConfigReader observability = new ObservabilityConfigReader(v);
        final SidecarConfig.TelemetryConfig telemetry = observability.telemetry(f);
        final SidecarConfig.AccessLogConfig accessLog = observability.accessLog(f);
        final JwtConfig jwt = jwt(f);
        final ShutdownConfig shutdown = shutdown(f);
        final Integer eventLoops = v.integer(f, "eventLoops");
        return v.build(
                f,
                before,
                () -> new SidecarConfig(
                        service,
                        namespace,
                        trustDomain,
                        identity,
                        inbound,
                        outbound,
                        policy,
                        admin,
                        telemetry,
                        accessLog,
                        jwt,
                        shutdown,
                        eventLoops));
    }

    private void checkIdentityParts(Fields f, String service, String namespace, String trustDomain) {
        try {
            SpiffeId.of(trustDomain, namespace, service);
        } catch (IllegalArgumentException e) {
            v.problems()
                    .add(
                            f.keyLocation("service"),
                            "service, namespace, trustDomain: not a valid SPIFFE ID (" + e.getMessage() + ')');
        }
    }

    @SuppressWarnings("NullAway") // see the class comment: v.build calls the constructor only without problems
    private @Nullable IdentityConfig identity(YamlNode node) {
        final int before = v.problems().count();
        final Fields f = v.section(node, "identity", IdentityConfig.class);
        if (f == null) {
            return null;
        }
        final HostPort ca = v.address(f, "ca", "127.0.0.1");
        final var caBundle = v.path(f, "caBundle");
        final var joinTokenFile = v.path(f, "joinTokenFile");
        final var certTtl = v.duration(f, "certTtl");
        final var certFile = v.path(f, "certFile");
        final var keyFile = v.path(f, "keyFile");
        final var bundleFile = v.path(f, "bundleFile");
        return v.build(
                f,
                before,
                () -> new IdentityConfig(ca, caBundle, joinTokenFile, certTtl, certFile, keyFile, bundleFile));
    }

    @SuppressWarnings("NullAway") // see the class comment: v.build calls the constructor only without problems
    private @Nullable InboundConfig inbound(YamlNode node) {
        final int before = v.problems().count();
        final Fields f = v.section(node, "inbound", InboundConfig.class);
        if (f == null) {
            return null;
        }
        final HostPort listen = v.address(f, "listen", "0.0.0.0");
        final YamlNode appNode = v.required(f, "app", ConfigValues.keys(InboundConfig.class));
        final HostPort app = appNode == null ? null : v.address(appNode, f.name("app"), "127.0.0.1");
        final AppProtocol appProtocol = v.choice(f, "appProtocol", AppProtocol::parse, APP_PROTOCOL_HINTS);
        final var appIdleTimeout = v.duration(f, "appIdleTimeout");
        final MtlsMode mtls = mtls(f);
        final Limits limits = limits(f);
        final HygieneConfig hygiene = hygiene(f);
        return v.build(
                f, before, () -> new InboundConfig(listen, app, appProtocol, appIdleTimeout, mtls, limits, hygiene));
    }

    /** Istio's PeerAuthentication writes {@code mtls: {mode: STRICT}}; here it is the word alone. */
    private @Nullable MtlsMode mtls(Fields f) {
        final YamlNode n = f.node("mtls");
        if (n instanceof YamlMap m && m.get("mode") != null) {
            v.problems()
                    .add(
                            n,
                            f.name("mtls") + ": a mapping (expected: strict or permissive; write 'mtls: strict', not"
                                    + " Istio's 'mtls: {mode: STRICT}')");
            return null;
        }
        return v.choice(f, "mtls", MtlsMode::parse, MTLS_HINTS);
    }

    @SuppressWarnings("NullAway") // see the class comment: v.build calls the constructor only without problems
    private @Nullable OutboundConfig outbound(Fields parent, @Nullable String trustDomain, @Nullable String namespace) {
        final int before = v.problems().count();
        final Fields f = v.section(parent, "outbound", OutboundConfig.class);
        if (f == null) {
            return null;
        }
        final HostPort listen = v.address(f, "listen", "127.0.0.1");
        final Map<String, RouteConfig> routes = new RouteConfigReader(v).routes(f, trustDomain, namespace);
        final Limits limits = limits(f);
        return v.build(f, before, () -> new OutboundConfig(listen, routes, limits));
    }

    @SuppressWarnings("NullAway") // see the class comment: v.build calls the constructor only without problems
    private @Nullable Limits limits(Fields parent) {
        final int before = v.problems().count();
        final Fields f = v.section(parent, "limits", Limits.class);
        if (f == null) {
            return null;
        }
        final Long maxRequestBodyBytes = v.number(f, "maxRequestBodyBytes");
        final Integer maxHeaderBytes = v.integer(f, "maxHeaderBytes");
        final var idleTimeout = v.duration(f, "idleTimeout");
        final var requestTimeout = v.duration(f, "requestTimeout");
        final var connectTimeout = v.duration(f, "connectTimeout");
        final Integer maxConnections = v.integer(f, "maxConnections");
        final Long maxConcurrentStreams = v.number(f, "maxConcurrentStreams");
        final Integer maxConcurrentRequests = v.integer(f, "maxConcurrentRequests");
        final Integer maxPendingRequests = v.integer(f, "maxPendingRequests");
        final var pendingTimeout = v.duration(f, "pendingTimeout");
        final SlowClientLimits slowClients = slowClients(f);
        return v.build(
                f,
                before,
                () -> new Limits(
                        maxRequestBodyBytes,
                        maxHeaderBytes,
                        idleTimeout,
                        requestTimeout,
                        connectTimeout,
                        maxConnections,
                        maxConcurrentStreams,
                        maxConcurrentRequests,
                        maxPendingRequests,
                        pendingTimeout,
                        slowClients));
    }

    @SuppressWarnings("NullAway") // see the class comment: v.build calls the constructor only without problems
    private @Nullable SlowClientLimits slowClients(Fields parent) {
        final int before = v.problems().count();
        final Fields f = v.section(parent, "slowClients", SlowClientLimits.class);
        if (f == null) {
            return null;
        }
        final var handshakeTimeout = v.duration(f, "handshakeTimeout");
        final var headersTimeout = v.duration(f, "headersTimeout");
        final var bodyWindow = v.duration(f, "bodyWindow");
        final Integer minBodyRate = v.integer(f, "minBodyRate");
        return v.build(
                f, before, () -> new SlowClientLimits(handshakeTimeout, headersTimeout, bodyWindow, minBodyRate));
    }

    @SuppressWarnings("NullAway") // see the class comment: v.build calls the constructor only without problems
    private @Nullable HygieneConfig hygiene(Fields parent) {
        final int before = v.problems().count();
        final Fields f = v.section(parent, "hygiene", HygieneConfig.class);
        if (f == null) {
            return null;
        }
        final PathParameters pathParameters = v.choice(f, "pathParameters", PathParameters::parse, Map.of());
        final HygieneConfig.UnderscoreHeaders underscores =
                v.choice(f, "headersWithUnderscores", HygieneConfig.UnderscoreHeaders::parse, Map.of());
        final List<String> removeHeaders = v.strings(f, "removeHeaders");
        return v.build(f, before, () -> new HygieneConfig(pathParameters, underscores, removeHeaders));
    }

    private @Nullable PolicyConfig policy(Fields parent) {
        final YamlNode n = parent.node("policy");
        if (n instanceof YamlScalar s && s.type() == YamlScalar.Type.STRING) {
            v.problems()
                    .add(
                            n,
                            "policy: " + Fields.got(n) + " (expected: a mapping; did you mean 'policy: {dir: "
                                    + s.text() + "}'?)");
            return null;
        }
        final int before = v.problems().count();
        final Fields f = v.section(parent, "policy", PolicyConfig.class);
        if (f == null) {
            return null;
        }
        final var dir = v.requiredPath(f, "dir", ConfigValues.keys(PolicyConfig.class));
        return dir == null ? null : v.build(f, before, () -> new PolicyConfig(dir));
    }

    @SuppressWarnings("NullAway") // see the class comment: v.build calls the constructor only without problems
    private @Nullable AdminConfig admin(Fields parent) {
        final int before = v.problems().count();
        final Fields f = v.section(parent, "admin", AdminConfig.class);
        if (f == null) {
            return null;
        }
        final HostPort listen = v.address(f, "listen", "127.0.0.1");
        final var tokenFile = v.path(f, "tokenFile");
        final Boolean allowNonLoopback = v.bool(f, "allowNonLoopback");
        final HostPort probeListen = v.address(f, "probeListen", "0.0.0.0");
        return v.build(f, before, () -> new AdminConfig(listen, tokenFile, allowNonLoopback, probeListen));
    }

    @SuppressWarnings("NullAway") // see the class comment: v.build calls the constructor only without problems
    private @Nullable JwtConfig jwt(Fields parent) {
        final int before = v.problems().count();
        final Fields f = v.section(parent, "jwt", JwtConfig.class);
        if (f == null) {
            return null;
        }
        final Integer replayStoreSize = v.integer(f, "replayStoreSize");
        return v.build(f, before, () -> new JwtConfig(replayStoreSize));
    }

    @SuppressWarnings("NullAway") // see the class comment: v.build calls the constructor only without problems
    private @Nullable ShutdownConfig shutdown(Fields parent) {
        final int before = v.problems().count();
        final Fields f = v.section(parent, "shutdown", ShutdownConfig.class);
        if (f == null) {
            return null;
        }
        final var drainTimeout = v.duration(f, "drainTimeout");
        return v.build(f, before, () -> new ShutdownConfig(drainTimeout));
    }
}
