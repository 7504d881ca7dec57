package io.trustline.sidecar.jwt;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.proc.BadJOSEException;
import com.nimbusds.jose.proc.BadJWSException;
import com.nimbusds.jose.proc.JWSKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;
import io.netty.util.AsciiString;
import io.trustline.policy.model.JwtAlgorithm;
import io.trustline.policy.model.JwtProvider;
import io.trustline.policy.model.Mode;
import io.trustline.policy.model.TokenSource;
import io.trustline.sidecar.request.JwtReason;
import io.trustline.sidecar.request.VerifiedToken;
import java.security.Key;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Date;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * Verifies the tokens of one issuer with Nimbus's {@link DefaultJWTProcessor}: keys from the issuer's
 * {@link JwksKeys} (never fetched on the caller's thread), verifiers from {@link StrictJwsVerifiers}, claims by
 * {@link IssuerClaimsVerifier}. Before Nimbus sees a token, the checks whose failure Nimbus would not name are made
 * here: the algorithm allow-list, {@code crit}, {@code typ}. Immutable and shared by all requests; a policy reload
 * that leaves the issuer's entry as it was keeps the same instance (and its cached tokens).
 */
final class IssuerVerifier {

    /** JWT types accepted in {@code typ} (compared case-insensitively, as RFC 7515 says); absent is fine too. */
    static final Set<String> TYPES = Set.of("jwt", "application/jwt", "at+jwt", "application/at+jwt");

    /** A request header set from a claim. */
    record ClaimHeader(String claim, AsciiString header) {}

    /** What a successful verification yields. */
    record Accepted(VerifiedToken token, List<ClaimHeaderValue> headers, long expiresAtMillis, long keysGeneration) {}

    private final JwtProvider provider;
    private final JwksKeys keys;
    private final Clock clock;
    private final Set<JWSAlgorithm> algorithms;
    private final IssuerClaimsVerifier claimsVerifier;
    private final DefaultJWTProcessor<Context> processor;
    private final List<ClaimHeader> claimHeaders;
    private final Set<TokenSource> sources;
    private final @Nullable String queryParam;

    IssuerVerifier(JwtProvider provider, JwksKeys keys, Clock clock) {
        this.provider = provider;
        this.keys = keys;
        this.clock = clock;
        final Set<JWSAlgorithm> algs = new HashSet<>();
        for (JwtAlgorithm a : provider.algorithms()) {
            algs.add(JWSAlgorithm.parse(a.joseName()));
        }
        algorithms = Set.copyOf(algs);
        claimsVerifier = new IssuerClaimsVerifier(provider, clock);
        processor = new DefaultJWTProcessor<>();
        // typ was checked before (case-insensitively, which Nimbus's verifier does not do).
        processor.setJWSTypeVerifier((type, context) -> {});
        processor.setJWSKeySelector(new Selector());
        processor.setJWSVerifierFactory(StrictJwsVerifiers.INSTANCE);
        processor.setJWTClaimsSetVerifier(claimsVerifier);
        final List<ClaimHeader> headers =
                new ArrayList<>(provider.claimsToHeaders().size());
        provider.claimsToHeaders()
                .forEach((claim, header) -> headers.add(new ClaimHeader(claim, AsciiString.cached(header))));
        claimHeaders = List.copyOf(headers);
        sources = Set.copyOf(provider.fromHeaders());
        queryParam = provider.fromQuery().orElse(null);
    }

    JwtProvider provider() {
        return provider;
    }

    String issuer() {
        return provider.issuer();
    }

    Mode mode() {
        return provider.mode();
    }

    JwksKeys keys() {
        return keys;
    }

    long skewMillis() {
        return claimsVerifier.skewMillis();
    }

    List<ClaimHeader> claimHeaders() {
        return claimHeaders;
    }

    /** Whether this issuer reads tokens from where {@code token} was found. */
    boolean accepts(FoundToken token) {
        return token.queryParam() != null ? token.queryParam().equals(queryParam) : sources.contains(token.source());
    }

    /**
     * Verifies {@code jwt}, whose unverified {@code iss} named this issuer.
     *
     * @throws JwtRejection why it is not accepted; for {@link JwtReason#UNKNOWN_KID} an {@link UnknownKey}
     */
    Accepted verify(SignedJWT jwt, JWTClaimsSet claims, int tokenLength) throws JwtRejection {
        if (tokenLength > provider.maxTokenBytes()) {
            throw new JwtRejection(
                    JwtReason.TOO_LARGE, tokenLength + " bytes (maxTokenBytes " + provider.maxTokenBytes() + ")");
        }
        final JWSHeader header = jwt.getHeader();
        final JWSAlgorithm alg = header.getAlgorithm();
        if (!algorithms.contains(alg)) {
            throw new JwtRejection(
                    JwtReason.ALG_NOT_ALLOWED,
                    "alg " + Sanitize.forLog(alg.getName()) + " (allowed: " + provider.algorithms() + ")");
        }
        if (header.getCriticalParams() != null) {
            throw new JwtRejection(
                    JwtReason.UNKNOWN_CRIT,
                    "crit " + Sanitize.forLog(header.getCriticalParams().toString()) + " (no extension is understood)");
        }
        final JOSEObjectType typ = header.getType();
        if (typ != null && !TYPES.contains(typ.getType().toLowerCase(Locale.ROOT))) {
            throw new JwtRejection(JwtReason.MALFORMED, "typ " + Sanitize.forLog(typ.getType()) + " is not a JWT");
        }
        final Context context = new Context();
        try {
            processor.process(jwt, context);
        } catch (JwtRejection.InKeys e) {
            if (e.rejection().reason() == JwtReason.UNKNOWN_KID && e.seen() != null) {
                throw new UnknownKey(e.rejection().detail(), e.seen());
            }
            throw e.rejection();
        } catch (JwtRejection.InClaims e) {
            throw e.rejection();
        } catch (BadJWSException e) {
            throw new JwtRejection(JwtReason.BAD_SIGNATURE, "signature does not verify" + kidOf(header));
        } catch (BadJOSEException e) {
            throw new JwtRejection(JwtReason.MALFORMED, Sanitize.forLog(e.getMessage()));
        } catch (JOSEException e) {
            throw new JwtRejection(
                    JwtReason.BAD_SIGNATURE,
                    "verification failed" + kidOf(header) + ": " + Sanitize.forLog(String.valueOf(e.getMessage())));
        }
        final String sub = claims.getSubject();
        final Date exp = claims.getExpirationTime();
        final VerifiedToken token = new VerifiedToken(
                provider.issuer(), sub, provider.issuer() + '/' + sub, claims.getClaims(), exp.toInstant());
        final KeySnapshot used = context.used;
        return new Accepted(token, headerValues(claims), exp.getTime(), used != null ? used.generation() : -1);
    }

    private List<ClaimHeaderValue> headerValues(JWTClaimsSet claims) {
        if (claimHeaders.isEmpty()) {
            return List.of();
        }
        final List<ClaimHeaderValue> out = new ArrayList<>(claimHeaders.size());
        for (ClaimHeader h : claimHeaders) {
            final String value = ClaimHeaderValue.render(claims.getClaim(h.claim()));
            if (value != null) {
                out.add(new ClaimHeaderValue(h.header(), value));
            }
        }
        return List.copyOf(out);
    }

    private static String kidOf(JWSHeader header) {
        return header.getKeyID() != null ? " with kid " + Sanitize.forLog(header.getKeyID()) : "";
    }

    /** An unknown {@code kid}: a refetch of {@link #seen} may help. */
    static final class UnknownKey extends JwtRejection {

        private final transient KeySnapshot seen;

        UnknownKey(String detail, KeySnapshot seen) {
            super(JwtReason.UNKNOWN_KID, detail);
            this.seen = seen;
        }

        KeySnapshot seen() {
            return seen;
        }
    }

    /** Carries the key snapshot a verification used back out of Nimbus. */
    static final class Context implements SecurityContext {
        @Nullable
        KeySnapshot used;
    }

    private final class Selector implements JWSKeySelector<Context> {

        @Override
        public List<? extends Key> selectJWSKeys(JWSHeader header, Context context) throws JwtRejection.InKeys {
            final KeySnapshot snapshot;
            try {
                snapshot = keys.current(clock.millis());
            } catch (JwtRejection e) {
                throw new JwtRejection.InKeys(e.reason(), e.detail(), null);
            }
            context.used = snapshot;
            final List<Key> found = snapshot.select(header);
            if (found.isEmpty()) {
                throw new JwtRejection.InKeys(
                        JwtReason.UNKNOWN_KID,
                        "no key for kid " + Sanitize.forLog(String.valueOf(header.getKeyID())) + " and alg "
                                + header.getAlgorithm() + " (kids: " + snapshot.keyIds() + ")",
                        snapshot);
            }
            return found;
        }
    }

    @Override
    public String toString() {
        return "IssuerVerifier{" + provider.issuer() + '}';
    }
}
