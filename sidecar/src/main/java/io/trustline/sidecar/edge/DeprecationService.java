package io.trustline.sidecar.edge;

import static java.util.Objects.requireNonNull;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.linecorp.armeria.common.HttpHeaderNames;
import com.linecorp.armeria.common.HttpHeaders;
import com.linecorp.armeria.common.HttpHeadersBuilder;
import com.linecorp.armeria.common.HttpRequest;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.RequestHeaders;
import com.linecorp.armeria.common.ResponseHeaders;
import com.linecorp.armeria.common.ResponseHeadersBuilder;
import com.linecorp.armeria.server.HttpService;
import com.linecorp.armeria.server.ServiceRequestContext;
import com.linecorp.armeria.server.SimpleDecoratingHttpService;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.util.AsciiString;
import io.trustline.policy.engine.AuthzRequest;
import io.trustline.policy.engine.DeprecatedRoute;
import io.trustline.policy.engine.Deprecations;
import io.trustline.policy.engine.ServicePolicy;
import io.trustline.sidecar.identity.PeerIdentity;
import io.trustline.sidecar.metrics.MetricNames;
import io.trustline.sidecar.refusal.ReasonCode;
import io.trustline.sidecar.refusal.Refusal;
import io.trustline.sidecar.refusal.RefusalKind;
import io.trustline.sidecar.refusal.Refusals;
import io.trustline.sidecar.request.EdgeCheck;
import io.trustline.sidecar.request.InboundRequest;
import io.trustline.sidecar.request.RequestPolicy;
import io.trustline.sidecar.request.StageOutcomes;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The inbound stage of the policy's {@code deprecations}, after authorization (a caller policy refuses learns
 * nothing about the route) and before the user rate limits (a refused call costs the user nothing).
 *
 * <ul>
 *   <li>The response of a call on a deprecated route, a later refusal included, carries {@code Deprecation:
 *       @<unix seconds>} (RFC 9745), {@code Sunset: <HTTP-date>} (RFC 8594) when a sunset is set, and {@code Link:
 *       <url>; rel="deprecation"} (and {@code rel="sunset"}) when a link is; an app's own {@code Link} values are
 *       kept.
 *   <li>From the sunset on, with {@code afterSunset: refuse}, the call is refused with 410 Gone (gRPC:
 *       UNIMPLEMENTED), reason {@code deprecation.sunset}, the same headers on the refusal, and never reaches the
 *       app. In {@code mode: audit} the refusal is recorded and the call goes on.
 *   <li>Every call is counted ({@code trustline.deprecation.calls}, by route and phase; by peer only when the
 *       operator opted in to peer tags), and the first call of each caller on each route in an hour is logged with
 *       the caller, so owners can find who still uses a route without a series per caller.
 * </ul>
 *
 * <p>Time comes from the sidecar's {@link Clock}.
 */
public final class DeprecationService extends SimpleDecoratingHttpService {

    private static final Logger logger = LoggerFactory.getLogger(DeprecationService.class);

    private static final AsciiString DEPRECATION = AsciiString.cached("deprecation");
    private static final AsciiString SUNSET = AsciiString.cached("sunset");
    private static final String NONE = "none";
    /** Callers remembered for the once-an-hour log line; beyond this, the oldest are forgotten (and logged again). */
    static final int MAX_LOGGED_CALLERS = 10_000;

    static final Duration LOG_INTERVAL = Duration.ofHours(1);

    /**
     * Decorates with the deprecations of the service's policy in force ({@code policy}, a {@code
     * PolicyStore.forService} supplier), in the version the request is pinned to ({@link RequestPolicy}).
     *
     * @param peerTag whether the usage metric is tagged with the peer's SPIFFE ID ({@code
     *     telemetry.metrics.peerIdentityTag})
     */
    public static Function<? super HttpService, DeprecationService> newDecorator(
            Supplier<ServicePolicy> policy, Clock clock, MeterRegistry meters, boolean peerTag) {
        requireNonNull(policy, "policy");
        final Shared shared = new Shared(clock, meters, peerTag);
        return delegate -> new DeprecationService(delegate, policy, shared);
    }

    private final Supplier<ServicePolicy> policy;
    private final Shared shared;

    DeprecationService(HttpService delegate, Supplier<ServicePolicy> policy, Shared shared) {
        super(delegate);
        this.policy = policy;
        this.shared = shared;
    }

    @Override
    public HttpResponse serve(ServiceRequestContext ctx, HttpRequest req) throws Exception {
        final Deprecations deprecations = RequestPolicy.of(ctx, policy).deprecations();
        if (deprecations.isEmpty()) {
            return unwrap().serve(ctx, req);
        }
        final RequestHeaders headers = req.headers();
        final String path = InboundRequest.of(ctx).normalizedPath();
        final DeprecatedRoute route = deprecations.match(
                headers.method().name(),
                path,
                AuthzRequest.grpcMethodOf(headers.method().name(), path, headers.get(HttpHeaderNames.CONTENT_TYPE)));
        if (route == null) {
            return unwrap().serve(ctx, req);
        }
        ctx.setAttr(StageOutcomes.DEPRECATED_ROUTE, route);
        final Instant now = shared.clock.instant();
        final PeerIdentity peer = ctx.attr(PeerIdentity.ATTR);
        final String caller = peer != null ? peer.id().toString() : NONE;
        shared.record(route, caller, now);
        if (route.refuses(now)) {
            final EdgeCheck check = new EdgeCheck(ReasonCode.DEPRECATION_SUNSET, route.policy(), route.mode());
            EdgeCheck.record(ctx, check);
            shared.refusals.count(check);
            if (!check.audited()) {
                final HttpHeadersBuilder extra = HttpHeaders.builder();
                addHeaders(extra, route);
                return Refusals.respond(
                        ctx, headers, Refusal.of(RefusalKind.GONE, ReasonCode.DEPRECATION_SUNSET, extra.build()));
            }
        }
        return unwrap().serve(ctx, req).mapHeaders(h -> {
            final ResponseHeadersBuilder b = h.toBuilder();
            b.remove(DEPRECATION);
            b.remove(SUNSET);
            addHeaders(b, route);
            return (ResponseHeaders) b.build();
        });
    }

    private static void addHeaders(HttpHeadersBuilder b, DeprecatedRoute route) {
        b.set(DEPRECATION, route.deprecationHeader());
        if (route.sunsetHeader() != null) {
            b.set(SUNSET, route.sunsetHeader());
        }
        final List<String> links = route.linkHeaders();
        for (int i = 0; i < links.size(); i++) {
            b.add(HttpHeaderNames.LINK, links.get(i));
        }
    }

    /** The state every instance of the stage shares: clock, metrics, the callers already logged this hour. */
    static final class Shared {
        final Clock clock;
        final MeterRegistry meters;
        final boolean peerTag;
        final EdgeRefusals refusals;
        final Cache<String, Boolean> logged;

        Shared(Clock clock, MeterRegistry meters, boolean peerTag) {
            this.clock = clock;
            this.meters = meters;
            this.peerTag = peerTag;
            refusals = new EdgeRefusals(meters);
            logged = Caffeine.newBuilder()
                    .maximumSize(MAX_LOGGED_CALLERS)
                    .expireAfterWrite(LOG_INTERVAL)
                    .ticker(() -> TimeUnit.MILLISECONDS.toNanos(clock.millis()))
                    .build();
        }

        void record(DeprecatedRoute route, String caller, Instant now) {
            final String phase = now.isBefore(route.model().deprecated())
                    ? "announced"
                    : route.model().sunsetPassed(now) ? "past_sunset" : "deprecated";
            Counter.builder(MetricNames.DEPRECATION_CALLS)
                    .description("Calls on deprecated routes")
                    .tag(MetricNames.DEPRECATION, route.name())
                    .tag(MetricNames.PHASE, phase)
                    .tag(MetricNames.PEER, peerTag ? caller : NONE)
                    .register(meters)
                    .increment();
            if (logged.asMap().putIfAbsent(route.policy() + '/' + route.name() + '\n' + caller, Boolean.TRUE) == null) {
                logger.atInfo()
                        .setMessage("deprecated route called")
                        .addKeyValue("deprecation", route.name())
                        .addKeyValue("policy", route.policy())
                        .addKeyValue("phase", phase)
                        .addKeyValue("caller", caller)
                        .log();
            }
        }
    }
}
