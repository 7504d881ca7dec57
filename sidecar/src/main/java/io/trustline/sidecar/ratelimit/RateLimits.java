package io.trustline.sidecar.ratelimit;

import com.github.benmanes.caffeine.cache.Ticker;
import com.linecorp.armeria.common.HttpHeaderNames;
import com.linecorp.armeria.common.HttpHeaders;
import com.linecorp.armeria.common.HttpHeadersBuilder;
import com.linecorp.armeria.common.RequestHeaders;
import com.linecorp.armeria.common.ResponseHeaders;
import com.linecorp.armeria.common.logging.RequestLogProperty;
import com.linecorp.armeria.server.ServiceRequestContext;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.util.AttributeKey;
import io.trustline.policy.engine.AuthzRequest;
import io.trustline.policy.engine.ServicePolicy;
import io.trustline.policy.model.Origin;
import io.trustline.policy.model.Penalty;
import io.trustline.policy.model.RateLimit;
import io.trustline.policy.model.RateLimitKey;
import io.trustline.sidecar.identity.PeerIdentity;
import io.trustline.sidecar.ratelimit.RateLimitService.Phase;
import io.trustline.sidecar.refusal.Refusal;
import io.trustline.sidecar.refusal.RefusalKind;
import io.trustline.sidecar.refusal.Refusals;
import io.trustline.sidecar.request.InboundRequest;
import io.trustline.sidecar.request.RateLimitOutcome;
import io.trustline.sidecar.request.VerifiedToken;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The rate limits and penalty box of one sidecar's service, shared by its two rate-limit stages
 * ({@link RateLimitService}). The limits are the {@code rateLimits} of the service's policy in force at each request;
 * when a reload changes the policy, limits whose definition did not change keep their buckets, and
 * the others start full.
 *
 * <p>Every limit that matches a request and for which the request has a key value is checked; the request passes
 * only if every enforced limit has a token. When one or more refuse, the strictest (the longest wait for a token;
 * the first in policy order on a tie) is the one the response and {@link RateLimitOutcome#ATTR} name, and the
 * tokens taken from the other limits of the same stage are given back: a refused request costs no budget. Audit-mode
 * limits take tokens like the others, and a would-be refusal is counted and marked, never enforced.
 */
public final class RateLimits {

    private static final Logger logger = LoggerFactory.getLogger(RateLimits.class);

    /** Remaining tokens announced in this request's response headers so far (the smallest wins across stages). */
    private static final AttributeKey<Long> ANNOUNCED = AttributeKey.valueOf(RateLimits.class, "ANNOUNCED");

    private static final CompiledLimit[] NO_LIMITS = new CompiledLimit[0];
    private static final Compiled NONE = new Compiled(null, NO_LIMITS, NO_LIMITS, null);

    private final Supplier<ServicePolicy> policy;
    private final String service;
    private final Ticker ticker;
    private final MeterRegistry meters;
    private final long maxKeys;
    private final Executor executor;
    private volatile Compiled compiled = NONE;

    RateLimits(
            Supplier<ServicePolicy> policy,
            String service,
            Ticker ticker,
            MeterRegistry meters,
            long maxKeys,
            Executor executor) {
        this.policy = policy;
        this.service = service;
        this.ticker = ticker;
        this.meters = meters;
        this.maxKeys = maxKeys;
        this.executor = executor;
    }

    /**
     * Limits for the inbound sidecar of {@code service}, read at each request from the newest version of its policy
     * ({@code policy}, a {@code PolicyStore.forService} supplier). Not pinned per request: buckets and the penalty
     * box are state that follows the newest version.
     */
    public static RateLimitsBuilder builder(Supplier<ServicePolicy> policy, String service) {
        return new RateLimitsBuilder(policy, service);
    }

    /**
     * Checks the limits of {@code phase} (and the penalty box, if its key belongs to this phase) for a request.
     * Sets the {@code RateLimit-*} response headers of an allowed request and {@link RateLimitOutcome#ATTR}.
     *
     * @return the refusal, or null to let the request go on
     */
    public @Nullable Refusal check(Phase phase, ServiceRequestContext ctx, RequestHeaders headers) {
        final Compiled c = compiled();
        final CompiledLimit[] limits = phase == Phase.PEER ? c.peer : c.user;
        final PenaltyBox box = c.penalty;
        final boolean boxHere = box != null && (box.key().afterAuthentication() == (phase == Phase.USER));
        if (limits.length == 0 && !boxHere) {
            if (box != null && phase == Phase.PEER) {
                observeFailures(ctx, box);
            }
            return null;
        }
        final long now = ticker.read();
        if (boxHere && box != null) {
            final String caller = callerOf(box.key(), ctx);
            if (caller != null) {
                final Refusal r = box.check(caller, now);
                if (r == PenaltyBox.AUDITED) {
                    markAudit(ctx, box.outcome);
                } else if (r != null) {
                    return refuse(ctx, box.outcome, r);
                }
            }
        }
        final Refusal refusal = limits.length == 0 ? null : checkLimits(limits, ctx, headers, now);
        if (refusal == null && box != null && phase == Phase.PEER) {
            observeFailures(ctx, box);
        }
        return refusal;
    }

    private @Nullable Refusal checkLimits(
            CompiledLimit[] limits, ServiceRequestContext ctx, RequestHeaders headers, long now) {
        final String method = headers.method().name();
        final String path = InboundRequest.of(ctx).normalizedPath();
        final String grpcMethod = AuthzRequest.grpcMethodOf(method, path, headers.get(HttpHeaderNames.CONTENT_TYPE));
        final PeerIdentity peer = ctx.attr(PeerIdentity.ATTR);
        final String principal = peer != null ? peer.id().toString() : null;

        TokenBucket[] taken = null;
        int nTaken = 0;
        CompiledLimit refusing = null;
        TokenBucket refusingBucket = null;
        long refusingDebt = 0;
        long longestWait = 0;
        TokenBucket tightest = null;
        long tightestDebt = 0;
        long tightestRemaining = Long.MAX_VALUE;
        CompiledLimit audited = null;

        for (CompiledLimit limit : limits) {
            if (!limit.matches(method, path, grpcMethod, principal)) {
                continue;
            }
            final String key = RateLimitKeys.value(limit.key, ctx, method, path, grpcMethod);
            if (key == null) {
                continue; // no value for this key (e.g. no token): the limit does not count the request
            }
            final TokenBucket bucket = limit.buckets.bucket(key);
            final long r = bucket.tryAcquire(now);
            if (r > 0) {
                if (limits.length > 1) {
                    if (taken == null) {
                        taken = new TokenBucket[limits.length];
                    }
                    taken[nTaken++] = bucket;
                }
                if (limit.enforced) {
                    final long remaining = bucket.spec().remaining(r);
                    if (remaining < tightestRemaining) {
                        tightest = bucket;
                        tightestDebt = r;
                        tightestRemaining = remaining;
                    }
                }
                continue;
            }
            limit.countRefusal();
            if (!limit.enforced) {
                if (audited == null) {
                    audited = limit;
                }
                logger.debug("rate limit would refuse (audit) limit={} key={}", limit.name, limit.key);
                continue;
            }
            final long wait = bucket.spec().retryAfterNanos(-r);
            if (refusing == null || wait > longestWait) {
                refusing = limit;
                refusingBucket = bucket;
                refusingDebt = -r;
                longestWait = wait;
            }
        }

        if (refusing != null && refusingBucket != null) {
            for (int i = 0; taken != null && i < nTaken; i++) {
                taken[i].refund();
            }
            final HttpHeadersBuilder h = HttpHeaders.builder();
            RateLimitHeaders.addRefused(h, refusingBucket.spec(), refusingDebt);
            return refuse(
                    ctx, refusing.outcome, Refusal.of(RefusalKind.RATE_LIMITED, refusing.outcome.reason(), h.build()));
        }
        if (audited != null) {
            markAudit(ctx, audited.outcome);
        }
        if (tightest != null) {
            announce(ctx, tightest.spec(), tightestDebt, tightestRemaining);
        }
        return null;
    }

    /** Puts the headers of the bucket closest to refusing on the response, unless an earlier stage's is closer. */
    private static void announce(ServiceRequestContext ctx, BucketSpec spec, long debt, long remaining) {
        final Long announced = ctx.attr(ANNOUNCED);
        if (announced != null && announced <= remaining) {
            return;
        }
        ctx.setAttr(ANNOUNCED, remaining);
        ctx.mutateAdditionalResponseHeaders(h -> RateLimitHeaders.setAllowed(h, spec, debt));
    }

    private static Refusal refuse(ServiceRequestContext ctx, RateLimitOutcome outcome, Refusal refusal) {
        ctx.setAttr(RateLimitOutcome.ATTR, outcome);
        if (ctx.attr(ANNOUNCED) != null) {
            // An earlier stage announced its bucket; the refusal's own headers must not be overridden by it.
            ctx.mutateAdditionalResponseHeaders(RateLimitHeaders::remove);
        }
        return refusal;
    }

    private static void markAudit(ServiceRequestContext ctx, RateLimitOutcome outcome) {
        if (ctx.attr(RateLimitOutcome.ATTR) == null) {
            ctx.setAttr(RateLimitOutcome.ATTR, outcome);
        }
    }

    /** Counts the request's outcome toward the penalty box once its response headers are known. */
    private void observeFailures(ServiceRequestContext ctx, PenaltyBox box) {
        ctx.log().whenAvailable(RequestLogProperty.RESPONSE_HEADERS).thenAccept(log -> {
            final Penalty.Failure failure = failureOf(ctx.attr(Refusals.REFUSAL), log.responseHeaders());
            if (failure == null || !box.counts(failure)) {
                return;
            }
            final String caller = callerOf(box.key(), ctx);
            if (caller != null) {
                box.recordFailure(caller, failure, ticker.read());
            }
        });
    }

    /**
     * Whether a response is an authentication or authorization failure: a refusal by the sidecar (401, 403), or
     * the app's own 401/403, or its trailers-only gRPC UNAUTHENTICATED/PERMISSION_DENIED.
     */
    static Penalty.@Nullable Failure failureOf(@Nullable Refusal refusal, ResponseHeaders headers) {
        if (refusal != null) {
            return refusal.kind() == RefusalKind.UNAUTHENTICATED
                    ? Penalty.Failure.AUTHN
                    : refusal.kind() == RefusalKind.FORBIDDEN ? Penalty.Failure.AUTHZ : null;
        }
        final int status = headers.status().code();
        if (status == 401) {
            return Penalty.Failure.AUTHN;
        }
        if (status == 403) {
            return Penalty.Failure.AUTHZ;
        }
        final String grpcStatus = headers.get("grpc-status");
        if ("16".equals(grpcStatus)) {
            return Penalty.Failure.AUTHN;
        }
        if ("7".equals(grpcStatus)) {
            return Penalty.Failure.AUTHZ;
        }
        return null;
    }

    private static @Nullable String callerOf(RateLimitKey key, ServiceRequestContext ctx) {
        switch (key.kind()) {
            case PRINCIPAL:
                return RateLimitKeys.principalOrAddress(ctx);
            case SOURCE_IP:
                return RateLimitKeys.sourceIp(ctx);
            case REQUEST_PRINCIPAL: {
                final VerifiedToken token = ctx.attr(VerifiedToken.ATTR);
                return token != null ? RateLimitKeys.bounded(token.requestPrincipal()) : null;
            }
            default:
                return null; // the policy parser allows no other penalty key
        }
    }

    // ---- policy (re)loads ----

    private Compiled compiled() {
        final ServicePolicy p = policy.get();
        final Compiled c = compiled;
        return c.source == p ? c : recompile(p);
    }

    private synchronized Compiled recompile(ServicePolicy policy) {
        final Compiled old = compiled;
        if (old.source == policy) {
            return old;
        }
        final Map<RateLimit, CompiledLimit> previous = new HashMap<>();
        for (CompiledLimit l : old.peer) {
            previous.put(definition(l.limit), l);
        }
        for (CompiledLimit l : old.user) {
            previous.put(definition(l.limit), l);
        }
        final List<CompiledLimit> peer = new ArrayList<>();
        final List<CompiledLimit> user = new ArrayList<>();
        PenaltyBox box = null;
        for (RateLimit limit : policy.rateLimits()) {
            CompiledLimit l = previous.get(definition(limit));
            if (l == null) {
                l = new CompiledLimit(limit, maxKeys, ticker, executor, meters);
            }
            (limit.key().afterAuthentication() ? user : peer).add(l);
        }
        final Penalty penalty = policy.penalty().orElse(null);
        if (penalty != null) {
            box = old.penalty != null && definition(old.penalty.penalty()).equals(definition(penalty))
                    ? old.penalty
                    : new PenaltyBox(penalty, maxKeys, ticker, executor, meters);
        }
        final Compiled c = new Compiled(policy, peer.toArray(NO_LIMITS), user.toArray(NO_LIMITS), box);
        compiled = c;
        logger.info(
                "rate limits loaded service={} before_jwt={} after_jwt={} penalty_box={}",
                service,
                c.peer.length,
                c.user.length,
                box != null ? box.key() : "none");
        return c;
    }

    /** A limit without where it was written: moving it in its file keeps its buckets. */
    private static RateLimit definition(RateLimit l) {
        return new RateLimit(
                l.name(), l.match(), l.key(), l.rate(), l.burst(), l.overrides(), l.mode(), Origin.PROGRAMMATIC);
    }

    private static Penalty definition(Penalty p) {
        return new Penalty(
                p.key(),
                p.failures(),
                p.threshold(),
                p.window(),
                p.duration(),
                p.rate(),
                p.burst(),
                p.mode(),
                Origin.PROGRAMMATIC);
    }

    // ---- for tests and metrics ----

    /** How many buckets the limit {@code name} holds now; 0 if there is no such limit. */
    long bucketCount(String name) {
        final Compiled c = compiled();
        for (CompiledLimit[] ls : new CompiledLimit[][] {c.peer, c.user}) {
            for (CompiledLimit l : ls) {
                if (l.name.equals(name)) {
                    return l.buckets.size();
                }
            }
        }
        return 0;
    }

    /** The penalty box of the current policy, if it has one. */
    @Nullable
    PenaltyBox penaltyBox() {
        return compiled().penalty;
    }

    /** The compiled form of one version of the service's policy. */
    private record Compiled(
            @Nullable ServicePolicy source,
            CompiledLimit[] peer,
            CompiledLimit[] user,
            @Nullable PenaltyBox penalty) {}
}
