package io.trustline.sidecar.admin;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.JsonSerializer;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.linecorp.armeria.common.HttpHeaderNames;
import com.linecorp.armeria.common.HttpHeaders;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.MediaType;
import com.linecorp.armeria.common.SessionProtocol;
import com.linecorp.armeria.common.util.BlockingTaskExecutor;
import com.linecorp.armeria.server.HttpService;
import com.linecorp.armeria.server.Server;
import com.linecorp.armeria.server.ServerBuilder;
import com.linecorp.armeria.server.ServiceRequestContext;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.channel.EventLoopGroup;
import io.trustline.ca.SpiffeId;
import io.trustline.ca.X509Svid;
import io.trustline.policy.PolicyStore;
import io.trustline.policy.PolicyStore.ReloadEvent;
import io.trustline.policy.engine.PolicyEngine;
import io.trustline.policy.error.PolicyError;
import io.trustline.policy.lint.LintWarning;
import io.trustline.policy.model.Policy;
import io.trustline.sidecar.config.Durations;
import io.trustline.sidecar.config.SidecarConfig;
import io.trustline.sidecar.identity.MeshTls;
import io.trustline.sidecar.identity.WorkloadIdentity;
import io.trustline.sidecar.refusal.ReasonCode;
import io.trustline.sidecar.refusal.Refusal;
import io.trustline.sidecar.refusal.RefusalKind;
import io.trustline.sidecar.refusal.Refusals;
import java.io.IOException;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The admin port (default {@code 127.0.0.1:15000}; never the inbound port, loopback unless
 * {@code admin.allowNonLoopback}). Read-only endpoints: {@code /healthz}, {@code /readyz}, {@code /metrics},
 * {@code /config} (the effective config, secrets redacted), {@code /policy} (version, files and warnings in force),
 * {@code /certs} (SPIFFE ID, serial, validity; never a key). State-changing endpoints ({@code POST /policy/reload},
 * {@code POST /certs/renew}) need {@code Authorization: Bearer <token>} matching {@code admin.tokenFile}; without a
 * token file they are refused.
 */
public final class AdminServer implements AutoCloseable {

    private static final Logger logger = LoggerFactory.getLogger(AdminServer.class);

    static final MediaType PROMETHEUS_TEXT = MediaType.parse("text/plain; version=0.0.4; charset=utf-8");

    /** Config fields whose values are never shown (paths to secrets are fine: they are not the secret). */
    private static final Pattern SECRET_FIELD =
            Pattern.compile("(?i).*(secret|password|passwd|token|credential|private|apikey|api_key|otlp\\.headers"
                    + "|otlp\\.traces\\.headers).*");

    private static final Pattern PATH_FIELD = Pattern.compile("(?i).*(file|dir|path)$");
    static final String REDACTED = "[redacted]";

    private final Server server;
    private final SidecarConfig config;
    private final PrometheusMeterRegistry meters;
    private final @Nullable PolicyStore policyStore;
    private final @Nullable WorkloadIdentity identity;
    private final MeshTls tls;
    private final Clock clock;
    private final List<ReadinessCheck> checks;
    private final AdminToken token;
    private final ObjectMapper json;
    private final AtomicReference<@Nullable ReloadRecord> lastReload = new AtomicReference<>();
    private final EventLoopGroup eventLoops;

    private record ReloadRecord(Instant at, ReloadEvent event) {}

    private AdminServer(Builder b) {
        config = b.config;
        meters = b.meters;
        policyStore = b.policyStore;
        identity = b.identity;
        tls = b.tls;
        clock = b.clock;
        eventLoops = b.eventLoops;
        final List<ReadinessCheck> all = new ArrayList<>();
        all.add(ReadinessCheck.of("certificate", this::certificateProblem));
        all.add(ReadinessCheck.of("policy", this::policyProblem));
        all.addAll(b.checks);
        checks = List.copyOf(all);
        token = new AdminToken(config.admin().tokenFile());
        json = newMapper();
        if (policyStore != null) {
            policyStore.addListener(e -> lastReload.set(new ReloadRecord(clock.instant(), e)));
        }
        final boolean loopback = config.admin().listen().isLoopback();
        if (!loopback) {
            logger.warn(
                    "admin port bound to a non-loopback address (admin.allowNonLoopback) listen={}",
                    config.admin().listen());
        }
        // A loopback admin port binds the address that was checked, not a name resolved again.
        server = build(
                loopback
                        ? config.admin().listen().toLoopbackSocketAddress()
                        : config.admin().listen().toSocketAddress());
    }

    /**
     * An admin port on {@code eventLoops}: the sidecar's own, so that {@code /healthz}, which answers on the loop,
     * fails when the loops that carry requests are stuck.
     */
    public static Builder builder(
            SidecarConfig config, PrometheusMeterRegistry meters, MeshTls tls, EventLoopGroup eventLoops) {
        return new Builder(config, meters, tls, eventLoops);
    }

    private Server build(java.net.InetSocketAddress address) {
        final ServerBuilder sb = Server.builder()
                .workerGroup(eventLoops, false)
                .port(address, SessionProtocol.HTTP)
                .disableServerHeader()
                .blockingTaskExecutor(viewExecutor("trustline-admin"), true);
        readOnlyProbes().forEach((path, service) -> sb.route().get(path).build(service));
        sb.route().get("/config").build(offTheEventLoop(() -> json(HttpStatus.OK, configView())));
        sb.route().get("/policy").build(offTheEventLoop(() -> json(HttpStatus.OK, policyView())));
        sb.route().get("/certs").build(offTheEventLoop(() -> json(HttpStatus.OK, certsView())));
        sb.route().post("/policy/reload").build(authorized(this::reloadPolicy));
        sb.route().post("/certs/renew").build(authorized(this::renewCertificate));
        return sb.build();
    }

    /**
     * The endpoints that only read ({@code /healthz}, {@code /readyz}, {@code /metrics}), by path: served here and,
     * when configured, on the {@link ProbeServer} that may face the pod network. {@code /healthz} answers on the event
     * loop, so that liveness fails when the loop is stuck; the others do work and run off it.
     */
    Map<String, HttpService> readOnlyProbes() {
        return Map.of(
                "/healthz", (ctx, req) -> text(HttpStatus.OK, "ok"),
                "/readyz", offTheEventLoop(this::readyz),
                "/metrics", offTheEventLoop(() -> HttpResponse.of(HttpStatus.OK, PROMETHEUS_TEXT, meters.scrape())));
    }

    /**
     * Serves a view from the server's blocking executor ({@link #viewExecutor}). The admin and probe ports share the
     * proxy's event loops, and a view that works for milliseconds would stall every proxied request on its loop for
     * as long: a Prometheus scrape of a sidecar's ~200 series takes 7-12 ms (docs/performance.md).
     */
    private static HttpService offTheEventLoop(Supplier<HttpResponse> view) {
        return (ctx, req) -> HttpResponse.of(view, ctx.blockingTaskExecutor());
    }

    /**
     * The admin and probe servers' own blocking executor: one thread, so that a flood of scrapes or views queues
     * instead of starting up to Armeria's 200 shared blocking threads, each rendering the same text.
     */
    static BlockingTaskExecutor viewExecutor(String threadNamePrefix) {
        return BlockingTaskExecutor.builder()
                .numThreads(1)
                .threadNamePrefix(threadNamePrefix)
                .daemon(true)
                .build();
    }

    // --- readiness

    private HttpResponse readyz() {
        final ObjectNode body = json.createObjectNode();
        final ObjectNode results = json.createObjectNode();
        boolean ready = true;
        for (ReadinessCheck check : checks) {
            String problem;
            try {
                problem = check.problem();
            } catch (RuntimeException e) {
                problem = "check failed: " + e.getClass().getSimpleName();
            }
            results.put(check.name(), problem == null ? "ok" : problem);
            ready &= problem == null;
        }
        body.put("ready", ready);
        body.set("checks", results);
        return json(ready ? HttpStatus.OK : HttpStatus.SERVICE_UNAVAILABLE, body);
    }

    private @Nullable String certificateProblem() {
        final X509Svid svid = tls.svid();
        final Instant now = clock.instant();
        if (now.isBefore(svid.notBefore())) {
            return "certificate not valid before " + svid.notBefore();
        }
        if (!now.isBefore(svid.notAfter())) {
            return "certificate expired at " + svid.notAfter();
        }
        return null;
    }

    private @Nullable String policyProblem() {
        if (policyStore == null) {
            return "no policy directory configured: every request is denied";
        }
        if (!policyStore.engine().services().contains(config.service())) {
            return "no policy targets service " + config.service() + ": every request is denied";
        }
        return null;
    }

    // --- read-only views

    private JsonNode configView() {
        return redact(json.valueToTree(config));
    }

    /** Replaces the values of secret-looking fields, at any depth. */
    static JsonNode redact(JsonNode node) {
        if (node instanceof ObjectNode object) {
            final Iterator<Map.Entry<String, JsonNode>> fields = object.fields();
            final List<String> secret = new ArrayList<>();
            while (fields.hasNext()) {
                final Map.Entry<String, JsonNode> f = fields.next();
                if (isSecretField(f.getKey()) && !f.getValue().isNull()) {
                    secret.add(f.getKey());
                } else {
                    redact(f.getValue());
                }
            }
            secret.forEach(name -> object.put(name, REDACTED));
        } else if (node instanceof ArrayNode array) {
            array.forEach(AdminServer::redact);
        }
        return node;
    }

    static boolean isSecretField(String name) {
        return SECRET_FIELD.matcher(name).matches() && !PATH_FIELD.matcher(name).matches();
    }

    private JsonNode policyView() {
        final ObjectNode body = json.createObjectNode();
        if (policyStore == null) {
            body.putNull("version");
            body.putNull("dir");
            body.putArray("files");
            body.putArray("policies");
            body.putArray("warnings");
            return body;
        }
        final PolicyStore.InForce inForce = policyStore.inForce();
        final PolicyEngine engine = inForce.engine();
        body.put("version", engine.version());
        body.put("dir", policyStore.directory().toString());
        final TreeSet<String> files = new TreeSet<>();
        final ArrayNode policies = json.createArrayNode();
        for (Policy p : engine.policies()) {
            files.add(p.origin().file());
            final ObjectNode n = policies.addObject();
            n.put("name", p.name());
            n.put("service", p.service());
            n.put("mode", p.mode().name().toLowerCase(java.util.Locale.ROOT));
            n.put("file", p.origin().file());
            n.put("rules", p.rules().size());
        }
        final ArrayNode fileList = body.putArray("files");
        files.forEach(fileList::add);
        body.set("policies", policies);
        // What the loader and the lint found in the version in force, as `trustline-policy check` prints it.
        final ArrayNode warnings = body.putArray("warnings");
        for (PolicyError w : engine.warnings()) {
            warnings.add(w.file() + ":" + w.line() + ":" + w.column() + ": warning: " + w.message());
        }
        for (LintWarning w : inForce.lintWarnings()) {
            warnings.add(w.toString());
        }
        final ReloadRecord last = lastReload.get();
        if (last != null) {
            body.set("lastReload", reloadView(last.at(), last.event()));
        } else {
            body.putNull("lastReload");
        }
        return body;
    }

    private ObjectNode reloadView(Instant at, ReloadEvent e) {
        final ObjectNode n = json.createObjectNode();
        n.put("at", at.toString());
        n.put("outcome", e.outcome().name().toLowerCase(java.util.Locale.ROOT));
        n.put("activeVersion", e.activeVersion());
        n.put("candidateVersion", e.candidateVersion());
        final ArrayNode errors = n.putArray("errors");
        for (PolicyError error : e.errors()) {
            errors.add(error.toString());
        }
        return n;
    }

    private JsonNode certsView() {
        final X509Svid svid = tls.svid();
        final X509Certificate leaf = svid.leaf();
        final ObjectNode body = json.createObjectNode();
        body.put("spiffeId", svid.id().toString());
        body.put("serial", leaf.getSerialNumber().toString(16));
        body.put("issuer", leaf.getIssuerX500Principal().getName());
        body.put("notBefore", svid.notBefore().toString());
        body.put("notAfter", svid.notAfter().toString());
        body.put(
                "expiresInSeconds",
                Duration.between(clock.instant(), svid.notAfter()).toSeconds());
        final ArrayNode roots = body.putArray("bundle");
        for (X509Certificate root : svid.bundle().roots()) {
            final ObjectNode r = roots.addObject();
            r.put("subject", root.getSubjectX500Principal().getName());
            r.put("serial", root.getSerialNumber().toString(16));
            r.put("notAfter", root.getNotAfter().toInstant().toString());
        }
        return body;
    }

    // --- state-changing endpoints

    /** A call that runs only with the admin token; token file and action run on the blocking executor. */
    private HttpService authorized(java.util.function.Function<ServiceRequestContext, HttpResponse> action) {
        return (ctx, req) -> HttpResponse.of(
                () -> {
                    final AdminToken.Check check = token.check(req.headers().get(HttpHeaderNames.AUTHORIZATION));
                    switch (check) {
                        case ACCEPTED:
                            return action.apply(ctx);
                        case NOT_CONFIGURED:
                            logger.warn("admin call refused: no admin.tokenFile path={}", ctx.path());
                            return Refusals.respond(
                                    ctx,
                                    req.headers(),
                                    Refusal.of(RefusalKind.FORBIDDEN, ReasonCode.ADMIN_TOKEN_NOT_CONFIGURED));
                        case MISSING:
                            return Refusals.respond(
                                    ctx,
                                    req.headers(),
                                    Refusal.of(
                                            RefusalKind.UNAUTHENTICATED,
                                            ReasonCode.ADMIN_TOKEN_REQUIRED,
                                            HttpHeaders.of(
                                                    HttpHeaderNames.WWW_AUTHENTICATE,
                                                    "Bearer realm=\"trustline-admin\"")));
                        default:
                            logger.warn(
                                    "admin call refused: wrong token path={} remote={}",
                                    ctx.path(),
                                    ctx.remoteAddress());
                            return Refusals.respond(
                                    ctx,
                                    req.headers(),
                                    Refusal.of(
                                            RefusalKind.UNAUTHENTICATED,
                                            ReasonCode.ADMIN_TOKEN_INVALID,
                                            HttpHeaders.of(
                                                    HttpHeaderNames.WWW_AUTHENTICATE,
                                                    "Bearer realm=\"trustline-admin\", error=\"invalid_token\"")));
                    }
                },
                ctx.blockingTaskExecutor());
    }

    private HttpResponse reloadPolicy(ServiceRequestContext ctx) {
        if (policyStore == null) {
            final ObjectNode body = json.createObjectNode();
            body.put("error", "no policy directory configured");
            return json(HttpStatus.NOT_FOUND, body);
        }
        final ReloadEvent event = policyStore.reload();
        logger.info(
                "policy reload requested on the admin port outcome={} version={}",
                event.outcome(),
                event.activeVersion());
        return json(
                event.outcome() == PolicyStore.Outcome.FAILURE ? HttpStatus.UNPROCESSABLE_ENTITY : HttpStatus.OK,
                reloadView(clock.instant(), event));
    }

    private HttpResponse renewCertificate(ServiceRequestContext ctx) {
        if (identity == null) {
            return error(HttpStatus.NOT_FOUND, "no renewable identity configured");
        }
        final String before = tls.svid().leaf().getSerialNumber().toString(16);
        return HttpResponse.of(identity.renewNow().handle((svid, failure) -> {
            if (failure == null) {
                logger.info(
                        "certificate renewal requested on the admin port serial={} previous_serial={} not_after={}",
                        svid.leaf().getSerialNumber().toString(16),
                        before,
                        svid.notAfter());
                return json(HttpStatus.OK, certsView());
            }
            final Throwable cause =
                    failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
            if (cause instanceof UnsupportedOperationException) {
                return error(HttpStatus.CONFLICT, cause.getMessage());
            }
            logger.warn("certificate renewal requested on the admin port failed reason={}", cause.getMessage());
            return error(HttpStatus.BAD_GATEWAY, cause.getMessage());
        }));
    }

    // --- plumbing

    private HttpResponse error(HttpStatus status, @Nullable String message) {
        final ObjectNode body = json.createObjectNode();
        body.put("error", message);
        return json(status, body);
    }

    private static HttpResponse text(HttpStatus status, String text) {
        return HttpResponse.of(status, MediaType.PLAIN_TEXT_UTF_8, text);
    }

    private HttpResponse json(HttpStatus status, JsonNode body) {
        try {
            return HttpResponse.of(status, MediaType.JSON_UTF_8, json.writeValueAsString(body));
        } catch (IOException e) {
            throw new IllegalStateException("cannot render an admin response", e);
        }
    }

    private static ObjectMapper newMapper() {
        final SimpleModule module = new SimpleModule("trustline-admin");
        module.addSerializer(Path.class, new ToString<>());
        module.addSerializer(SpiffeId.class, new ToString<>());
        module.addSerializer(Duration.class, new JsonSerializer<>() {
            @Override
            public void serialize(Duration value, JsonGenerator gen, SerializerProvider serializers)
                    throws IOException {
                gen.writeString(Durations.format(value));
            }
        });
        return new ObjectMapper().registerModule(module).disable(SerializationFeature.FAIL_ON_EMPTY_BEANS);
    }

    private static final class ToString<T> extends JsonSerializer<T> {
        @Override
        public void serialize(T value, JsonGenerator gen, SerializerProvider serializers) throws IOException {
            gen.writeString(value.toString());
        }
    }

    public CompletableFuture<Void> start() {
        return server.start();
    }

    /** The port actually bound (the configured one, or the OS's choice for port 0). */
    public int port() {
        return server.activeLocalPort();
    }

    public CompletableFuture<Void> stop() {
        return server.stop();
    }

    @Override
    public void close() {
        server.close();
    }

    /** Configures an {@link AdminServer}. */
    public static final class Builder {
        private final SidecarConfig config;
        private final PrometheusMeterRegistry meters;
        private final MeshTls tls;
        private @Nullable PolicyStore policyStore;
        private @Nullable WorkloadIdentity identity;
        private Clock clock = Clock.systemUTC();
        private final EventLoopGroup eventLoops;
        private final List<ReadinessCheck> checks = new ArrayList<>();

        private Builder(SidecarConfig config, PrometheusMeterRegistry meters, MeshTls tls, EventLoopGroup eventLoops) {
            this.config = requireNonNull(config, "config");
            this.meters = requireNonNull(meters, "meters");
            this.tls = requireNonNull(tls, "tls");
            this.eventLoops = requireNonNull(eventLoops, "eventLoops");
        }

        /** The policy store shown by {@code /policy} and reloaded by {@code POST /policy/reload}. Default: none. */
        public Builder policyStore(@Nullable PolicyStore policyStore) {
            this.policyStore = policyStore;
            return this;
        }

        /** The identity {@code POST /certs/renew} renews. Default: none (the call answers 404). */
        public Builder identity(@Nullable WorkloadIdentity identity) {
            this.identity = identity;
            return this;
        }

        /** The clock certificate validity is judged by. Default: the system UTC clock. */
        public Builder clock(Clock clock) {
            this.clock = requireNonNull(clock, "clock");
            return this;
        }

        /** Adds a readiness condition besides the built-in certificate and policy checks. */
        public Builder readinessCheck(ReadinessCheck check) {
            checks.add(requireNonNull(check, "check"));
            return this;
        }

        public AdminServer build() {
            return new AdminServer(this);
        }
    }
}
