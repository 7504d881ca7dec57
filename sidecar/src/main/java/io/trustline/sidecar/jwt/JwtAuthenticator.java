package io.trustline.sidecar.jwt;

import static java.util.Objects.requireNonNull;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import com.nimbusds.jwt.EncryptedJWT;
import com.nimbusds.jwt.JWT;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.JWTParser;
import com.nimbusds.jwt.PlainJWT;
import com.nimbusds.jwt.SignedJWT;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.trustline.policy.engine.ServicePolicy;
import io.trustline.policy.model.JwtProvider;
import io.trustline.policy.model.Mode;
import io.trustline.policy.model.Origin;
import io.trustline.sidecar.metrics.MetricNames;
import io.trustline.sidecar.request.JwtFailure;
import io.trustline.sidecar.request.JwtReason;
import io.trustline.sidecar.request.VerifiedToken;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checks the JWTs of one service's inbound requests against the issuers of the policy in force. Owns, for the
 * sidecar's lifetime: one {@link IssuerVerifier} per issuer entry (kept across policy reloads that leave the entry
 * as it was), one {@link JwksKeys} per JWKS (kept across reloads while some issuer uses it), the JWKS executor, and
 * the verified-token cache.
 *
 * <p>The cache (Caffeine, bounded) is keyed by the token's SHA-256; an entry never outlives the token's {@code exp},
 * and a hit is still checked on every call: expiry (with the issuer's skew), the issuer's entry unchanged, its keys
 * usable (so an outage beyond {@code maxStaleness} fails cached tokens closed too) and no key withdrawn since.
 */
public final class JwtAuthenticator implements AutoCloseable {

    private static final Logger logger = LoggerFactory.getLogger(JwtAuthenticator.class);

    /** Verified tokens kept by default: about 1-2 KB each with their claims. */
    public static final int DEFAULT_TOKEN_CACHE_SIZE = 4096;

    private final Supplier<ServicePolicy> policy;
    private final String service;
    private final Clock clock;
    private final MeterRegistry meters;
    private final ScheduledExecutorService executor;
    private final boolean ownExecutor;
    private final @Nullable Cache<TokenHash, CachedToken> cache;
    private final TokenReplayGuard replayGuard;
    private final Counters counters;

    private volatile Issuers current = Issuers.NONE;
    /** Guarded by this. */
    private Map<JwtProvider, IssuerVerifier> verifiers = Map.of();
    /** Guarded by this. */
    private Map<JwksKeys.Location, JwksKeys> jwks = Map.of();

    private boolean closed;

    private JwtAuthenticator(Builder b) {
        policy = b.policy;
        service = b.service;
        clock = b.clock;
        meters = b.meters;
        if (b.executor != null) {
            executor = b.executor;
            ownExecutor = false;
        } else {
            executor = newExecutor();
            ownExecutor = true;
        }
        cache = b.tokenCacheSize > 0
                ? Caffeine.newBuilder()
                        .maximumSize(b.tokenCacheSize)
                        // Upkeep on the calling thread, not a wake-up of the common pool every few requests.
                        .executor(Runnable::run)
                        .ticker(() -> TimeUnit.MILLISECONDS.toNanos(clock.millis()))
                        .expireAfter(Expiry.<TokenHash, CachedToken>creating(
                                (k, v) -> Duration.ofMillis(Math.max(0, v.expiresAtMillis - clock.millis()))))
                        .build()
                : null;
        counters = new Counters(meters);
        replayGuard = new TokenReplayGuard(b.replayStoreSize, clock, meters);
    }

    /**
     * An authenticator for the inbound sidecar of {@code service}, reading issuers from the newest version of its
     * policy ({@code policy}, a {@code PolicyStore.forService} supplier). Not pinned per request: verifiers and key
     * sets follow the newest version, and a reload that drops an issuer closes its key set.
     */
    public static Builder builder(Supplier<ServicePolicy> policy, String service) {
        return new Builder(policy, service);
    }

    private static ScheduledExecutorService newExecutor() {
        final AtomicInteger n = new AtomicInteger();
        final ScheduledThreadPoolExecutor e = new ScheduledThreadPoolExecutor(2, r -> {
            final Thread t = new Thread(r, "trustline-jwks-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        e.setRemoveOnCancelPolicy(true);
        return e;
    }

    /**
     * The issuers of the policy in force, compiled. Cheap when nothing changed (an identity check); after a reload
     * that changed the {@code jwt} section, compiles the new one, starting the first fetch of any new JWKS.
     */
    public Issuers current() {
        final List<JwtProvider> providers = policy.get().jwt();
        final Issuers c = current;
        return c.providers() == providers ? c : recompile(providers);
    }

    /** Picks up a reloaded policy now rather than at the next request (a policy store listener calls it). */
    public void refresh() {
        current();
    }

    /**
     * Whether every issuer's keys are usable now (the admin's {@code /readyz}): fetched at least once and not older
     * than their {@code maxStaleness}. A sidecar that is not ready refuses every token of the issuers named by
     * {@link #readinessProblem()} with {@code jwt.jwks_unavailable}.
     */
    public boolean ready() {
        return readinessProblem() == null;
    }

    /**
     * Why the sidecar is not ready as far as JWTs go (for {@code /readyz}), or null when it is: the issuers whose keys
     * were never fetched, and those whose last good fetch is past {@code maxStaleness}. Read on every probe with the
     * sidecar's clock, so it turns back to ready as soon as a fetch succeeds, without a restart.
     */
    public @Nullable String readinessProblem() {
        final long now = clock.millis();
        final List<String> waiting = new ArrayList<>();
        final List<String> stale = new ArrayList<>();
        for (IssuerVerifier v : current().verifiers()) {
            if (!v.keys().fetchedOnce()) {
                waiting.add(v.issuer());
            } else if (!v.keys().usable(now)) {
                stale.add(v.issuer());
            }
        }
        final List<String> problems = new ArrayList<>();
        if (!waiting.isEmpty()) {
            problems.add("no keys fetched yet for issuers " + waiting);
        }
        if (!stale.isEmpty()) {
            problems.add("keys older than maxStaleness for issuers " + stale + ": their tokens are refused");
        }
        return problems.isEmpty() ? null : String.join("; ", problems);
    }

    private synchronized Issuers recompile(List<JwtProvider> providers) {
        if (current.providers() == providers || closed) {
            return current;
        }
        final Map<JwtProvider, IssuerVerifier> nextVerifiers = new HashMap<>();
        final Map<JwksKeys.Location, JwksKeys> nextJwks = new HashMap<>();
        final Map<String, IssuerVerifier> byIssuer = new LinkedHashMap<>();
        for (JwtProvider p : providers) {
            final JwtProvider key = withoutOrigin(p);
            IssuerVerifier v = nextVerifiers.get(key);
            if (v == null) {
                v = verifiers.get(key);
            }
            if (v == null) {
                final JwksKeys.Location location = JwksKeys.Location.of(p);
                JwksKeys keys = nextJwks.get(location);
                if (keys == null) {
                    keys = jwks.get(location);
                }
                if (keys == null) {
                    keys = JwksKeys.open(location, clock, executor, meters).start();
                }
                v = new IssuerVerifier(p, keys, clock);
            }
            nextVerifiers.put(key, v);
            nextJwks.put(v.keys().location(), v.keys());
            byIssuer.put(p.issuer(), v);
        }
        final Set<IssuerVerifier> dropped = new HashSet<>(verifiers.values());
        dropped.removeAll(nextVerifiers.values());
        for (Map.Entry<JwksKeys.Location, JwksKeys> e : jwks.entrySet()) {
            if (nextJwks.get(e.getKey()) != e.getValue()) {
                e.getValue().close();
            }
        }
        if (!dropped.isEmpty() && cache != null) {
            // Tokens verified under an entry that changed would miss anyway; free the memory now.
            cache.invalidateAll();
        }
        final boolean changed = !dropped.isEmpty() || nextVerifiers.size() != verifiers.size();
        verifiers = nextVerifiers;
        jwks = nextJwks;
        current = new Issuers(providers, byIssuer);
        if (changed) {
            logger.info("jwt issuers in force service={} issuers={}", service, byIssuer.keySet());
        }
        return current;
    }

    private static JwtProvider withoutOrigin(JwtProvider p) {
        return p.withOrigin(Origin.PROGRAMMATIC);
    }

    /**
     * Checks {@code token}, found on a request of a service whose issuers are {@code issuers}.
     *
     * @param mayRefetch whether an unknown {@code kid} may start a refetch of the issuer's keys (then the result
     *     is {@link Verification.Pending}); false when checking again after one
     */
    public Verification verify(Issuers issuers, FoundToken token, boolean mayRefetch) {
        final int length = token.length();
        if (length > issuers.maxTokenBytes()) {
            return failed(
                    issuers,
                    null,
                    JwtReason.TOO_LARGE,
                    length + " chars (maxTokenBytes " + issuers.maxTokenBytes() + ")");
        }
        final long now = clock.millis();
        TokenHash hash = null;
        if (cache != null) {
            hash = token.hash();
            final CachedToken hit = cache.getIfPresent(hash);
            if (hit != null) {
                final Verification v = hit.check(issuers, token, now);
                if (v != null) {
                    return v;
                }
            }
        }
        // A token to parse and verify: only now is its text cut out of the header value.
        final String value = token.value();
        IssuerVerifier verifier = null;
        try {
            final SignedJWT jwt = parse(value);
            final JWTClaimsSet claims;
            try {
                claims = jwt.getJWTClaimsSet();
            } catch (ParseException e) {
                throw new JwtRejection(JwtReason.MALFORMED, "claims: " + Sanitize.forLog(e.getMessage()));
            }
            final String iss = claims.getIssuer();
            if (iss == null) {
                throw new JwtRejection(JwtReason.WRONG_ISSUER, "no iss");
            }
            verifier = issuers.verifier(iss);
            if (verifier == null) {
                throw new JwtRejection(
                        JwtReason.WRONG_ISSUER, "iss " + Sanitize.forLog(iss) + " is not an issuer of " + service);
            }
            if (!verifier.accepts(token)) {
                throw new JwtRejection(
                        JwtReason.WRONG_ISSUER,
                        "token in " + where(token) + ", where issuer " + iss + " does not send tokens");
            }
            final IssuerVerifier.Accepted accepted = verifier.verify(jwt, claims, value.length());
            if (hash != null && cache != null && accepted.expiresAtMillis() > now) {
                cache.put(hash, new CachedToken(verifier, accepted));
            }
            return new Verification.Verified(accepted.token(), accepted.headers(), verifier.provider(), false);
        } catch (IssuerVerifier.UnknownKey e) {
            if (mayRefetch && verifier != null) {
                final CompletableFuture<Void> refetch = verifier.keys().refetch(e.seen());
                if (refetch != null) {
                    return new Verification.Pending(refetch);
                }
            }
            return failed(issuers, verifier, e.reason(), e.detail());
        } catch (JwtRejection e) {
            return failed(issuers, verifier, e.reason(), e.detail());
        }
    }

    private static SignedJWT parse(String value) throws JwtRejection {
        int dots = 0;
        for (int i = 0; i < value.length(); i++) {
            final char c = value.charAt(i);
            if (c == '.') {
                dots++;
            } else if (!isBase64Url(c)) {
                throw new JwtRejection(JwtReason.MALFORMED, "character at " + i + " is not base64url");
            }
        }
        if (dots != 2 && dots != 4) {
            throw new JwtRejection(JwtReason.MALFORMED, (dots + 1) + " parts (expected: 3, a compact JWS)");
        }
        final JWT jwt;
        try {
            jwt = JWTParser.parse(value);
        } catch (ParseException e) {
            throw new JwtRejection(JwtReason.MALFORMED, Sanitize.forLog(String.valueOf(e.getMessage())));
        }
        if (jwt instanceof EncryptedJWT) {
            throw new JwtRejection(JwtReason.ENCRYPTED, "a JWE (encrypted); a signed JWT is expected");
        }
        if (jwt instanceof PlainJWT) {
            throw new JwtRejection(JwtReason.ALG_NOT_ALLOWED, "alg none (an unsigned token)");
        }
        return (SignedJWT) jwt;
    }

    private static boolean isBase64Url(char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
    }

    private static String where(FoundToken token) {
        return token.source() != null ? "header " + token.source().header() : "query parameter " + token.queryParam();
    }

    private static Verification.Failed failed(
            Issuers issuers, @Nullable IssuerVerifier verifier, JwtReason reason, String detail) {
        return new Verification.Failed(
                new JwtFailure(
                        reason,
                        verifier != null ? verifier.issuer() : null,
                        detail,
                        verifier != null ? verifier.mode() : issuers.unattributedMode()),
                verifier != null ? verifier.provider() : null);
    }

    /** Counts one outcome of the JWT stage ({@code trustline.jwt.verifications}). */
    void count(Verification v) {
        if (v instanceof Verification.Verified ok) {
            counters.ok(ok.cached()).increment();
        } else if (v instanceof Verification.Failed f) {
            counters.failed(f.failure().reason(), f.failure().mode()).increment();
        }
    }

    /**
     * Counts a use of a verified token whose issuer has a replay guard, and says whether it is one use too many
     * ({@code jwt.replayed}), has no {@code jti} to count by ({@code jwt.missing_jti}) or cannot be remembered because
     * the store is full ({@code jwt.replay_store_full}); null when accepted. Runs on
     * every verified token, from the cache or not, so a cached token cannot skip it.
     */
    @Nullable
    JwtFailure checkReplay(JwtProvider provider, VerifiedToken token) {
        return replayGuard.check(provider, token);
    }

    void countNoToken() {
        counters.none.increment();
    }

    void countFailure(JwtFailure f) {
        counters.failed(f.reason(), f.mode()).increment();
    }

    @Override
    public void close() {
        final Map<JwksKeys.Location, JwksKeys> open;
        synchronized (this) {
            closed = true;
            open = jwks;
            jwks = Map.of();
            verifiers = Map.of();
            current = Issuers.NONE;
        }
        open.values().forEach(JwksKeys::close);
        if (ownExecutor) {
            executor.shutdownNow();
        }
        if (cache != null) {
            cache.invalidateAll();
        }
    }

    /** A verified token in the cache, with the verification result handed out on every hit. */
    private static final class CachedToken {

        final IssuerVerifier verifier;
        final Verification.Verified verified;
        final long expiresAtMillis;
        final long generation;

        CachedToken(IssuerVerifier verifier, IssuerVerifier.Accepted accepted) {
            this.verifier = verifier;
            verified = new Verification.Verified(accepted.token(), accepted.headers(), verifier.provider(), true);
            expiresAtMillis = accepted.expiresAtMillis();
            generation = accepted.keysGeneration();
        }

        /** The result for this hit, or null when the token must be verified again. */
        @Nullable
        Verification check(Issuers issuers, FoundToken token, long now) {
            if (issuers.verifier(verifier.issuer()) != verifier || !verifier.accepts(token)) {
                return null;
            }
            final JwksKeys keys = verifier.keys();
            final KeySnapshot snapshot;
            try {
                snapshot = keys.current(now);
            } catch (JwtRejection e) {
                return failed(issuers, verifier, e.reason(), e.detail());
            }
            if (snapshot.generation() != generation) {
                return null;
            }
            if (now >= expiresAtMillis + verifier.skewMillis()) {
                return failed(issuers, verifier, JwtReason.EXPIRED, "exp passed (cached token)");
            }
            return verified;
        }
    }

    /** The {@code trustline.jwt.verifications} counters, all registered up front (tags from closed sets). */
    private static final class Counters {

        final Counter verified;
        final Counter cached;
        final Counter none;
        final Map<JwtReason, Counter> enforced = new EnumMap<>(JwtReason.class);
        final Map<JwtReason, Counter> audited = new EnumMap<>(JwtReason.class);

        Counters(MeterRegistry meters) {
            verified = counter(meters, "verified", Mode.ENFORCE);
            cached = counter(meters, "cached", Mode.ENFORCE);
            none = counter(meters, "none", Mode.ENFORCE);
            for (JwtReason r : JwtReason.values()) {
                enforced.put(r, counter(meters, r.code().code(), Mode.ENFORCE));
                audited.put(r, counter(meters, r.code().code(), Mode.AUDIT));
            }
        }

        private static Counter counter(MeterRegistry meters, String result, Mode mode) {
            return Counter.builder(MetricNames.JWT_VERIFICATIONS)
                    .tag(MetricNames.RESULT, result)
                    .tag(MetricNames.MODE, mode.yamlName())
                    .description("JWT checks of inbound requests by result")
                    .register(meters);
        }

        Counter ok(boolean fromCache) {
            return fromCache ? cached : verified;
        }

        Counter failed(JwtReason reason, Mode mode) {
            // Both maps hold a counter for every reason.
            return requireNonNull((mode == Mode.AUDIT ? audited : enforced).get(reason), "counter");
        }
    }

    /** Builds a {@link JwtAuthenticator}; defaults are the field initialisers. */
    public static final class Builder {

        private final Supplier<ServicePolicy> policy;
        private final String service;
        private Clock clock = Clock.systemUTC();
        private MeterRegistry meters = new SimpleMeterRegistry();
        private int tokenCacheSize = DEFAULT_TOKEN_CACHE_SIZE;
        private int replayStoreSize = TokenReplayGuard.DEFAULT_MAX_ENTRIES;
        private @Nullable ScheduledExecutorService executor;

        private Builder(Supplier<ServicePolicy> policy, String service) {
            this.policy = requireNonNull(policy, "policy");
            this.service = requireNonNull(service, "service");
        }

        /** The clock of token times and key staleness (default: the system clock). */
        public Builder clock(Clock clock) {
            this.clock = requireNonNull(clock, "clock");
            return this;
        }

        /** Where the JWT and JWKS metrics go (default: a registry of their own, not exported). */
        public Builder meterRegistry(MeterRegistry meters) {
            this.meters = requireNonNull(meters, "meters");
            return this;
        }

        /** Verified tokens kept (default {@value #DEFAULT_TOKEN_CACHE_SIZE}); 0 verifies every call in full. */
        public Builder tokenCacheSize(int size) {
            if (size < 0) {
                throw new IllegalArgumentException("tokenCacheSize: " + size + " (expected: >= 0)");
            }
            tokenCacheSize = size;
            return this;
        }

        /**
         * How many tokens (issuer + {@code jti}) the replay guard remembers, for issuers that have one. Default
         * {@value TokenReplayGuard#DEFAULT_MAX_ENTRIES} (about 200 bytes each). When full, a token it does not
         * remember yet is refused with {@code jwt.replay_store_full} until remembered ones expire.
         */
        public Builder replayStoreSize(int size) {
            if (size < 1) {
                throw new IllegalArgumentException("replayStoreSize: " + size + " (expected: >= 1)");
            }
            replayStoreSize = size;
            return this;
        }

        /**
         * Where JWKS fetches run (default: two daemon threads of its own, shut down by {@link #close()}). Never an
         * event loop: fetches block.
         */
        public Builder jwksExecutor(ScheduledExecutorService executor) {
            this.executor = requireNonNull(executor, "executor");
            return this;
        }

        /** The authenticator, with the first fetch of every issuer's keys started (not awaited). */
        public JwtAuthenticator build() {
            final JwtAuthenticator a = new JwtAuthenticator(this);
            a.current();
            return a;
        }
    }

    @Override
    public String toString() {
        return "JwtAuthenticator{" + service + ", " + current + '}';
    }
}
