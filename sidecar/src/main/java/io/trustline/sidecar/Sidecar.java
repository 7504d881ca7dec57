package io.trustline.sidecar;

import static java.util.Objects.requireNonNull;

import com.github.benmanes.caffeine.cache.Ticker;
import com.linecorp.armeria.client.ClientFactory;
import com.linecorp.armeria.common.SessionProtocol;
import com.linecorp.armeria.common.util.EventLoopGroups;
import com.linecorp.armeria.server.GracefulShutdown;
import com.linecorp.armeria.server.HttpService;
import com.linecorp.armeria.server.Server;
import com.linecorp.armeria.server.ServerBuilder;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.channel.EventLoopGroup;
import io.trustline.ca.HostPort;
import io.trustline.policy.PolicyStore;
import io.trustline.policy.engine.PolicyEngine;
import io.trustline.policy.engine.ServicePolicy;
import io.trustline.policy.error.PolicyParseException;
import io.trustline.policy.lint.Lint;
import io.trustline.sidecar.admin.AdminServer;
import io.trustline.sidecar.admin.ProbeServer;
import io.trustline.sidecar.admin.ReadinessCheck;
import io.trustline.sidecar.config.SidecarConfig;
import io.trustline.sidecar.config.SidecarConfig.Limits;
import io.trustline.sidecar.config.SidecarConfig.MtlsMode;
import io.trustline.sidecar.connection.FlushBatching;
import io.trustline.sidecar.connection.SlowClientService;
import io.trustline.sidecar.connection.TransferCodingCheck;
import io.trustline.sidecar.edge.CorsService;
import io.trustline.sidecar.edge.DeprecationService;
import io.trustline.sidecar.edge.RequestLimitsService;
import io.trustline.sidecar.identity.MeshTls;
import io.trustline.sidecar.identity.WorkloadIdentity;
import io.trustline.sidecar.inbound.AuthorizationService;
import io.trustline.sidecar.inbound.PeerIdentityService;
import io.trustline.sidecar.inbound.RequestHygieneService;
import io.trustline.sidecar.jwt.JwtAuthenticationService;
import io.trustline.sidecar.jwt.JwtAuthenticator;
import io.trustline.sidecar.outbound.OutboundService;
import io.trustline.sidecar.overload.ConcurrencyLimitingService;
import io.trustline.sidecar.pipeline.InboundPipeline;
import io.trustline.sidecar.pipeline.OutboundPipeline;
import io.trustline.sidecar.pipeline.Stage;
import io.trustline.sidecar.proxy.AppProxyService;
import io.trustline.sidecar.proxy.UpstreamErrors;
import io.trustline.sidecar.proxy.Upstreams;
import io.trustline.sidecar.ratelimit.RateLimits;
import io.trustline.sidecar.refusal.EarlyRefusalListener;
import io.trustline.sidecar.refusal.RefusalErrorHandler;
import io.trustline.sidecar.request.HostHeaders;
import io.trustline.sidecar.telemetry.Direction;
import io.trustline.sidecar.telemetry.SidecarMetrics;
import io.trustline.sidecar.telemetry.Telemetry;
import io.trustline.sidecar.telemetry.TelemetryService;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running sidecar: the inbound listener (mTLS, the only port meant for the network), the outbound listener
 * (loopback, plaintext from the app) and the admin port. Listeners open only once the workload identity is held.
 */
public final class Sidecar implements AutoCloseable {

    private static final Logger logger = LoggerFactory.getLogger(Sidecar.class);

    /** Connections are closed well before the certificate they were opened with expires. */
    static final double MAX_CONNECTION_AGE_FRACTION_OF_TTL = 0.5;

    /** RST_STREAM frames a client may send per window before its connection is closed (rapid reset). */
    static final int MAX_HTTP2_RESETS_PER_WINDOW = 400;

    static final int HTTP2_RESET_WINDOW_SECONDS = 60;

    /**
     * While draining, a listener still serves requests that arrive shortly after SIGTERM (callers learn of the stop
     * only as their endpoints update); it stops once none has been in flight for this long. Short, so an idle
     * sidecar exits at once.
     */
    static final Duration DRAIN_QUIET_PERIOD = Duration.ofMillis(200);

    /** Names the event-loop threads ({@code trustline-loop-epoll-1-1}, ...) apart from Armeria's common ones. */
    static final String EVENT_LOOP_THREAD_PREFIX = "trustline-loop";

    private final SidecarConfig config;
    private final WorkloadIdentity identity;
    private final @Nullable PolicyStore policyStore;
    private final PrometheusMeterRegistry meters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    /** The service's policy in force; stages read it through {@code RequestPolicy}, one version per request. */
    private final Supplier<ServicePolicy> policy;

    private final MeshTls tls;
    private final JwtAuthenticator jwt;
    private final Telemetry telemetry;
    private final RateLimits rateLimits;
    /**
     * The threads that do all of this sidecar's I/O ({@code eventLoops} of them): every listener, the clients to the
     * app and to peers, DNS lookups of routes. Not Armeria's common group, whose size the sidecar's config cannot set.
     */
    private final EventLoopGroup eventLoops;

    private final List<ClientFactory> factories = new ArrayList<>();
    private final Server inbound;
    private final @Nullable Server outbound;
    private final @Nullable OutboundService outboundService;
    private final AdminServer admin;
    private final @Nullable ProbeServer probe;
    private final AutoCloseable processMetrics;

    private Sidecar(
            SidecarConfig config,
            WorkloadIdentity identity,
            Clock clock,
            Ticker ticker,
            @Nullable PolicyStore policyStore,
            EventLoopGroup eventLoops) {
        this.config = config;
        this.eventLoops = eventLoops;
        this.identity = identity;
        this.policyStore = policyStore;
        policy = policyStore != null ? policyStore.forService(config.service()) : noPolicy(config.service());
        tls = new MeshTls(identity, clock);
        jwt = JwtAuthenticator.builder(policy, config.service())
                .clock(clock)
                .replayStoreSize(config.jwt().replayStoreSize())
                .meterRegistry(meters)
                .build();
        if (policyStore != null) {
            // A reload that adds an issuer starts fetching its keys at once, not at its first token.
            policyStore.addListener(event -> jwt.refresh());
        }
        telemetry = Telemetry.create(config, meters);
        rateLimits = RateLimits.builder(policy, config.service())
                .ticker(ticker)
                .meterRegistry(meters)
                .build();
        final Duration maxConnectionAge = maxConnectionAge(config, identity, clock);

        // The app's keep-alive timeout, not the listener's, bounds how long a connection to it may sit idle.
        final ClientFactory appFactory = Upstreams.factory(
                eventLoops, config.inbound().limits(), config.inbound().appIdleTimeout(), maxConnectionAge);
        factories.add(appFactory);
        final AppProxyService proxy = new AppProxyService(
                Upstreams.appClient(
                        appFactory, config.inbound().app(), config.inbound().appProtocol()),
                config.inbound().appProtocol(),
                meters);
        inbound = inboundServer(config, InboundPipeline.build(proxy, inboundStages(clock)), maxConnectionAge);

        if (config.outbound() != null) {
            final ClientFactory meshFactory = Upstreams.factory(
                    eventLoops,
                    config.outbound().limits(),
                    config.outbound().limits().idleTimeout(),
                    maxConnectionAge);
            factories.add(meshFactory);
            outboundService = new OutboundService(
                    config.outbound().routes(),
                    meshFactory,
                    tls,
                    meters,
                    config.outbound().limits().connectTimeout());
            outbound = outboundServer(config, OutboundPipeline.build(outboundService, outboundStages()));
        } else {
            outboundService = null;
            outbound = null;
        }
        admin = AdminServer.builder(config, meters, tls, eventLoops)
                .policyStore(policyStore)
                .identity(identity)
                .clock(clock)
                .readinessCheck(ReadinessCheck.of("jwks", jwt::readinessProblem))
                .build();
        probe = config.admin().probeListen() != null
                ? ProbeServer.of(config.admin().probeListen(), admin, eventLoops)
                : null;
        bindStateMetrics();
        processMetrics = SidecarMetrics.bindProcess(meters);
    }

    /** The inbound stages, one line each; {@link InboundPipeline} fixes their order, each slot its type. */
    private InboundPipeline.Stages inboundStages(Clock clock) {
        return new InboundPipeline.Stages(
                Stage.of(TelemetryService.newInboundDecorator(telemetry)), // spans, metrics, access log around all
                overloadProtection(config.inbound().limits(), "inbound"), // 503 beyond the caps
                Stage.of(PeerIdentityService.newDecorator(tls, meters)),
                Stage.of(RequestHygieneService.newDecorator( // raw path normalised, one Host, header names
                        config.inbound().limits().maxRequestBodyBytes(),
                        config.inbound().hygiene(),
                        meters)),
                InboundPipeline.peerRateLimits(rateLimits),
                Stage.of(RequestLimitsService.newDecorator(policy, meters)), // query, header count
                Stage.of(CorsService.newDecorator(policy, meters)), // preflights, origins
                Stage.of(JwtAuthenticationService.newDecorator(jwt)),
                Stage.of(AuthorizationService.newDecorator(policy)),
                Stage.of(DeprecationService.newDecorator( // Deprecation/Sunset headers, 410 after a sunset
                        policy, clock, meters, config.telemetry().metrics().peerIdentityTag())),
                InboundPipeline.userRateLimits(rateLimits));
    }

    /** The outbound stages around the forward; {@link OutboundPipeline} fixes their order. */
    private OutboundPipeline.Stages outboundStages() {
        return new OutboundPipeline.Stages(
                Stage.of(TelemetryService.newOutboundDecorator(telemetry)), // spans, metrics, access log around all
                overloadProtection(
                        requireNonNull(config.outbound(), "outbound").limits(), "outbound")); // 503 beyond the caps
    }

    /**
     * Starts a sidecar for {@code config} with an identity already obtained: loads the policy directory (all of it
     * must be valid), then opens the listeners.
     *
     * @throws PolicyParseException listing every error of the policy files
     */
    public static Sidecar start(SidecarConfig config, WorkloadIdentity identity, Clock clock)
            throws PolicyParseException {
        return start(config, identity, clock, Ticker.systemTicker());
    }

    /**
     * As {@link #start(SidecarConfig, WorkloadIdentity, Clock)}, with the time source of rate limits and the
     * penalty box (tests pass a fake one).
     */
    public static Sidecar start(SidecarConfig config, WorkloadIdentity identity, Clock clock, Ticker ticker)
            throws PolicyParseException {
        final PolicyStore store =
                config.policy() != null ? openPolicies(config.policy().dir(), config.trustDomain()) : null;
        final EventLoopGroup eventLoops =
                EventLoopGroups.newEventLoopGroup(config.eventLoops(), EVENT_LOOP_THREAD_PREFIX, true);
        try {
            final Sidecar sidecar = new Sidecar(config, identity, clock, ticker, store, eventLoops);
            sidecar.startServers();
            return sidecar;
        } catch (RuntimeException e) {
            if (store != null) {
                store.close();
            }
            shutDown(eventLoops);
            throw e;
        }
    }

    /** Stops the event loops, once nothing that uses them is left; returns when their threads have ended. */
    private static void shutDown(EventLoopGroup eventLoops) {
        eventLoops.shutdownGracefully(0, 10, TimeUnit.SECONDS).syncUninterruptibly();
    }

    /** Without a policy directory the service has no policy: every request is denied with authz.no_policy. */
    private static Supplier<ServicePolicy> noPolicy(String service) {
        final ServicePolicy none = PolicyEngine.empty().forService(service);
        return () -> none;
    }

    /**
     * Opens the policy directory. Each version is linted with the mesh's trust domain, so a principal of another domain
     * (refused at the handshake, so it never matches) is reported; services are not checked, since one directory
     * often holds the policies of the whole mesh.
     */
    private static PolicyStore openPolicies(Path dir, String trustDomain) throws PolicyParseException {
        final PolicyStore store = PolicyStore.builder(dir)
                .lint(Lint.builder().trustDomain(trustDomain).build())
                .build();
        try {
            store.start();
        } catch (IOException e) {
            store.close();
            throw new UncheckedIOException(dir + ": cannot watch the policy directory", e);
        }
        return store;
    }

    private void startServers() {
        final List<CompletableFuture<Void>> started = new ArrayList<>();
        started.add(named(
                inbound.start(), "inbound", "inbound.listen", config.inbound().listen()));
        if (outbound != null) {
            started.add(named(
                    outbound.start(),
                    "outbound",
                    "outbound.listen",
                    requireNonNull(config.outbound(), "outbound").listen()));
        }
        started.add(named(admin.start(), "admin", "admin.listen", config.admin().listen()));
        if (probe != null) {
            started.add(named(
                    probe.start(),
                    "probe",
                    "admin.probeListen",
                    requireNonNull(config.admin().probeListen(), "admin.probeListen")));
        }
        try {
            CompletableFuture.allOf(started.toArray(new CompletableFuture<?>[0]))
                    .join();
        } catch (CompletionException e) {
            // The listeners that did open must not outlive a sidecar that failed to start, nor the routes' DNS
            // lookups and file polls.
            stopServers();
            if (outboundService != null) {
                outboundService.close();
            }
            factories.forEach(ClientFactory::close);
            throw e.getCause() instanceof ListenerBindException bind ? bind : e;
        }
        logger.atInfo()
                .setMessage("sidecar ready")
                .addKeyValue("identity", tls.self())
                .addKeyValue("inbound", inboundPort())
                .addKeyValue("outbound", outbound != null ? outboundPort() : "-")
                .addKeyValue("admin", adminPort())
                .addKeyValue("probe", probe != null ? probe.port() : "-")
                .log();
    }

    /** A start that fails to bind names the listener, its config key and its address, not only "Address in use". */
    private static CompletableFuture<Void> named(
            CompletableFuture<Void> start, String listener, String key, HostPort address) {
        return start.exceptionally(t -> {
            for (Throwable c = t; c != null; c = c.getCause()) {
                if (ListenerBindException.isBindFailure(c)) {
                    throw new ListenerBindException(listener, key, address, (IOException) c);
                }
            }
            throw t instanceof CompletionException ce ? ce : new CompletionException(t);
        });
    }

    private Server inboundServer(SidecarConfig config, HttpService chain, Duration maxConnectionAge) {
        final SidecarConfig.InboundConfig in = config.inbound();
        final ServerBuilder sb = Server.builder().workerGroup(eventLoops, false);
        if (in.mtls() == MtlsMode.PERMISSIVE) {
            sb.port(in.listen().toSocketAddress(), SessionProtocol.HTTPS, SessionProtocol.HTTP);
        } else {
            sb.port(in.listen().toSocketAddress(), SessionProtocol.HTTPS);
        }
        sb.tlsProvider(tls.serverTlsProvider(), tls.serverTlsConfig());
        // Armeria counts every TLS handshake by result (armeria_server_tls_handshakes_total), failures before any
        // certificate reaches us included; the svid.* reasons come from SidecarMetrics.bindTlsFailures.
        sb.meterRegistry(meters);
        applyLimits(sb, in.limits(), config.shutdown().drainTimeout(), telemetry.edge(Direction.INBOUND));
        sb.maxConnectionAge(maxConnectionAge);
        FlushBatching.install(sb);
        // Armeria fills in this name when a request names no host; hygiene refuses it.
        sb.defaultHostname(HostHeaders.MISSING_HOST);
        sb.serviceUnder(
                "/",
                SlowClientService.install(
                        sb, "inbound", in.limits().slowClients(), true, telemetry.edge(Direction.INBOUND), chain));
        return sb.build();
    }

    private Server outboundServer(SidecarConfig config, HttpService service) {
        final SidecarConfig.OutboundConfig out = requireNonNull(config.outbound(), "outbound");
        final ServerBuilder sb = Server.builder().workerGroup(eventLoops, false);
        sb.port(out.listen().toLoopbackSocketAddress(), SessionProtocol.HTTP);
        applyLimits(sb, out.limits(), config.shutdown().drainTimeout(), telemetry.edge(Direction.OUTBOUND));
        sb.absoluteUriTransformer(OutboundService::absoluteUriToPath);
        FlushBatching.install(sb);
        // Armeria fills in this name when a request names no host; the outbound service refuses it.
        sb.defaultHostname(HostHeaders.MISSING_HOST);
        sb.serviceUnder(
                "/",
                SlowClientService.install(
                        sb,
                        "outbound",
                        out.limits().slowClients(),
                        false,
                        telemetry.edge(Direction.OUTBOUND),
                        service));
        return sb.build();
    }

    /**
     * The limits both listeners share, in one place so that they cannot drift apart: the outbound listener speaks
     * h2c to the app and needs the same HTTP/2 rapid-reset cap (CVE-2023-44487) as the inbound one.
     */
    static void applyLimits(
            ServerBuilder sb, Limits limits, Duration drainTimeout, EarlyRefusalListener earlyRefusals) {
        sb.maxRequestLength(limits.maxRequestBodyBytes())
                .requestTimeout(limits.requestTimeout())
                .idleTimeout(limits.idleTimeout())
                .http1MaxHeaderSize(limits.maxHeaderBytes())
                .http2MaxHeaderListSize(limits.maxHeaderBytes())
                .http2MaxStreamsPerConnection(limits.maxConcurrentStreams())
                .disableServerHeader()
                .http2MaxResetFramesPerWindow(MAX_HTTP2_RESETS_PER_WINDOW, HTTP2_RESET_WINDOW_SECONDS)
                .errorHandler(new RefusalErrorHandler(earlyRefusals, UpstreamErrors::upstreamRefusal))
                .gracefulShutdown(gracefulShutdown(drainTimeout));
        if (limits.maxConnections() > 0) {
            sb.maxNumConnections(limits.maxConnections());
        }
        TransferCodingCheck.install(sb);
    }

    /**
     * Armeria's graceful shutdown: stop() waits until no request has been in flight for {@link #DRAIN_QUIET_PERIOD},
     * and at most {@code drainTimeout}; then the ports close and what still runs is refused with 503 / UNAVAILABLE.
     * A quiet period of zero would switch draining off in Armeria, so {@code drainTimeout: 0} does exactly that.
     */
    static GracefulShutdown gracefulShutdown(Duration drainTimeout) {
        if (drainTimeout.isZero()) {
            return GracefulShutdown.disabled();
        }
        final Duration quiet = drainTimeout.compareTo(DRAIN_QUIET_PERIOD) < 0 ? drainTimeout : DRAIN_QUIET_PERIOD;
        return GracefulShutdown.builder()
                .quietPeriod(quiet)
                .timeout(drainTimeout)
                .build();
    }

    /**
     * Caps the listener's requests in flight and waiting (503 beyond), whatever the policy says; an empty slot when
     * {@code maxConcurrentRequests} is 0. It sits just inside telemetry, so a shed request is still a span, a metric
     * and an access-log line, and wraps the rest of the listener's chain directly (not as a route decorator, which
     * would cost a route lookup per request).
     */
    private Stage<ConcurrencyLimitingService> overloadProtection(Limits limits, String listener) {
        if (limits.maxConcurrentRequests() == 0) {
            return Stage.noOverloadProtection();
        }
        return Stage.of(ConcurrencyLimitingService.newDecorator(
                listener,
                limits.maxConcurrentRequests(),
                limits.maxPendingRequests(),
                limits.pendingTimeout(),
                meters));
    }

    /**
     * Stops every listener at once. Each drains first: requests in flight may finish within {@code
     * shutdown.drainTimeout} (see {@link #applyLimits}); the admin and probe listeners stop at once.
     */
    private void stopServers() {
        final List<CompletableFuture<Void>> stopped = new ArrayList<>();
        stopped.add(inbound.stop());
        if (outbound != null) {
            stopped.add(outbound.stop());
        }
        stopped.add(admin.stop());
        if (probe != null) {
            stopped.add(probe.stop());
        }
        CompletableFuture.allOf(stopped.toArray(new CompletableFuture<?>[0])).join();
    }

    /** Policy version and reloads, certificate expiry and renewals, open connections: see MetricNames. */
    private void bindStateMetrics() {
        if (policyStore != null) {
            SidecarMetrics.bindPolicy(meters, policyStore);
        }
        SidecarMetrics.bindIdentity(meters, tls, identity);
        SidecarMetrics.bindTlsFailures(meters, "inbound", tls);
        SidecarMetrics.bindListener(meters, "inbound", inbound);
        if (outbound != null) {
            SidecarMetrics.bindListener(meters, "outbound", outbound);
        }
    }

    static Duration maxConnectionAge(SidecarConfig config, WorkloadIdentity identity, Clock clock) {
        final Duration ttl = config.identity().fromCa()
                ? config.identity().certTtl()
                : Duration.between(clock.instant(), identity.current().notAfter());
        final Duration age = Duration.ofMillis((long) (ttl.toMillis() * MAX_CONNECTION_AGE_FRACTION_OF_TTL));
        final Duration cap = Duration.ofHours(1);
        return age.compareTo(cap) > 0 ? cap : age.compareTo(Duration.ofSeconds(1)) < 0 ? Duration.ofSeconds(1) : age;
    }

    public SidecarConfig config() {
        return config;
    }

    /** The sidecar's metrics (served as Prometheus text on the admin port). */
    public MeterRegistry meters() {
        return meters;
    }

    /** The policy engine in force now. */
    public PolicyEngine policies() {
        return policyStore != null ? policyStore.engine() : PolicyEngine.empty();
    }

    public MeshTls tls() {
        return tls;
    }

    /** The JWT authenticator of the inbound listener; {@link JwtAuthenticator#ready()} is for readiness. */
    public JwtAuthenticator jwt() {
        return jwt;
    }

    /** Spans, request metrics and the access log of this sidecar. */
    public Telemetry telemetry() {
        return telemetry;
    }

    public int inboundPort() {
        return inbound.activeLocalPort();
    }

    public int outboundPort() {
        if (outbound == null) {
            throw new IllegalStateException("no outbound listener configured");
        }
        return outbound.activeLocalPort();
    }

    public int adminPort() {
        return admin.port();
    }

    /** The port of the probe/scrape listener ({@code admin.probeListen}). */
    public int probePort() {
        if (probe == null) {
            throw new IllegalStateException("no probe listener configured (admin.probeListen)");
        }
        return probe.port();
    }

    @Override
    public void close() {
        stopServers();
        try {
            processMetrics.close();
        } catch (Exception e) {
            logger.atWarn()
                    .setMessage("process metrics not closed cleanly")
                    .addKeyValue("cause", e)
                    .log();
        }
        if (outboundService != null) {
            outboundService.close();
        }
        factories.forEach(ClientFactory::close);
        // After the listeners: the last calls' spans and log lines are flushed too.
        telemetry.close();
        jwt.close();
        if (policyStore != null) {
            policyStore.close();
        }
        identity.close();
        shutDown(eventLoops);
    }
}
