package io.trustline.sidecar.jwt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jose.util.Base64URL;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.trustline.ca.testing.MutableClock;
import io.trustline.policy.PolicyParser;
import io.trustline.policy.engine.PolicyEngine;
import io.trustline.policy.model.TokenSource;
import io.trustline.sidecar.metrics.MetricNames;
import io.trustline.sidecar.request.JwtReason;
import io.trustline.sidecar.request.VerifiedToken;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Date;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The verifier on its own, with a fake clock: every rejection and its reason, the verified-token cache, JWKS
 * refetches on an unknown kid, an issuer outage, and policy reloads.
 */
class JwtAuthenticatorTest {

    static final String ISSUER = "https://issuer.test";

    static MutableClock clock = MutableClock.startingNow();
    static TestTokens tokens;

    @TempDir
    Path dir;

    JwksServer jwksServer;
    JwtAuthenticator authenticator;
    SimpleMeterRegistry meters = new SimpleMeterRegistry();
    final AtomicReference<PolicyEngine> engine = new AtomicReference<>();

    @BeforeAll
    static void keys() {
        tokens = new TestTokens(ISSUER, "1", clock);
    }

    @AfterEach
    void close() {
        if (authenticator != null) {
            authenticator.close();
        }
        if (jwksServer != null) {
            jwksServer.close();
        }
    }

    /** An authenticator for service {@code backend} with one issuer, its keys served over HTTP. */
    private JwtAuthenticator start(String issuerExtra) throws Exception {
        jwksServer = new JwksServer(tokens.jwks());
        engine.set(engine(policy(jwksServer.url(), issuerExtra)));
        authenticator = JwtAuthenticator.builder(() -> engine.get().forService("backend"), "backend")
                .clock(clock)
                .meterRegistry(meters)
                .build();
        await().atMost(Duration.ofSeconds(10)).until(authenticator::ready);
        return authenticator;
    }

    static String policy(String jwksUri, String issuerExtra) {
        return "apiVersion: trustline.io/v1\n"
                + "kind: Policy\n"
                + "metadata: {name: p}\n"
                + "spec:\n"
                + "  service: backend\n"
                + "  jwt:\n"
                + "    - issuer: " + ISSUER + "\n"
                + "      audiences: [backend]\n"
                + "      jwksUri: " + jwksUri + "\n"
                + issuerExtra;
    }

    private PolicyEngine engine(String yaml) throws Exception {
        return PolicyEngine.compile(PolicyParser.parse("p.yaml", yaml, dir), "v" + yaml.hashCode());
    }

    private Verification verify(String token) {
        return authenticator.verify(authenticator.current(), FoundToken.bearer(token), false);
    }

    private static JwtReason reasonOf(Verification v) {
        assertThat(v).isInstanceOf(Verification.Failed.class);
        return ((Verification.Failed) v).failure().reason();
    }

    private static VerifiedToken verified(Verification v) {
        assertThat(v).as("%s", v).isInstanceOf(Verification.Verified.class);
        return ((Verification.Verified) v).token();
    }

    @Test
    void acceptsRs256Es256AndEdDsaTokensWithAnAudArray() throws Exception {
        start("");
        for (String token : List.of(tokens.rs256(), tokens.es256(), tokens.eddsa())) {
            final VerifiedToken t = verified(verify(token));
            assertThat(t.issuer()).isEqualTo(ISSUER);
            assertThat(t.subject()).isEqualTo("alice");
            assertThat(t.requestPrincipal()).isEqualTo(ISSUER + "/alice");
            assertThat(t.claims()).containsEntry("scope", "orders.read orders.write");
            assertThat(t.expiresAt()).isAfter(clock.instant());
        }
    }

    @Test
    void rejectsEachBrokenTokenWithItsReason() throws Exception {
        start("");
        final String valid = tokens.rs256();
        final String[] parts = valid.split("\\.");
        final String payloadNotJson = parts[0] + '.' + Base64URL.encode("not json") + '.' + parts[2];
        final String expAsText = TestTokens.sign(
                tokens.rsa,
                JWSAlgorithm.RS256,
                tokens.claims().claim("exp", "tomorrow").build());
        final RSAKey stranger = new RSAKeyGenerator(2048).keyID("stranger").generate();

        assertThat(reasonOf(verify(""))).isEqualTo(JwtReason.MALFORMED);
        assertThat(reasonOf(verify("abc"))).isEqualTo(JwtReason.MALFORMED);
        assertThat(reasonOf(verify(parts[0] + '.' + parts[1]))).isEqualTo(JwtReason.MALFORMED);
        assertThat(reasonOf(verify(valid + ".x"))).isEqualTo(JwtReason.MALFORMED);
        assertThat(reasonOf(verify("e30=." + parts[1] + '.' + parts[2]))).isEqualTo(JwtReason.MALFORMED);
        assertThat(reasonOf(verify("bm90IGpzb24." + parts[1] + '.' + parts[2]))).isEqualTo(JwtReason.MALFORMED);
        assertThat(reasonOf(verify(payloadNotJson))).isEqualTo(JwtReason.MALFORMED);
        assertThat(reasonOf(verify(expAsText))).isEqualTo(JwtReason.MALFORMED);
        assertThat(reasonOf(verify(tokens.encrypted()))).isEqualTo(JwtReason.ENCRYPTED);
        assertThat(reasonOf(verify(tokens.unsigned()))).isEqualTo(JwtReason.ALG_NOT_ALLOWED);
        assertThat(reasonOf(verify(tokens.hs256WithThePublicKey()))).isEqualTo(JwtReason.ALG_NOT_ALLOWED);
        assertThat(reasonOf(verify(TestTokens.sign(
                        tokens.rsa, JWSAlgorithm.PS256, tokens.claims().build()))))
                .as("PS256 is not in the default allow-list")
                .isEqualTo(JwtReason.ALG_NOT_ALLOWED);
        assertThat(reasonOf(verify(tokens.withUnknownCrit()))).isEqualTo(JwtReason.UNKNOWN_CRIT);
        assertThat(reasonOf(verify(TestTokens.sign(
                        tokens.rsa,
                        new JWSHeader.Builder(JWSAlgorithm.RS256)
                                .keyID(tokens.rsa.getKeyID())
                                .type(new com.nimbusds.jose.JOSEObjectType("JOSE+JSON"))
                                .build(),
                        tokens.claims().build()))))
                .isEqualTo(JwtReason.MALFORMED);
        assertThat(reasonOf(verify(tokens.tampered()))).isEqualTo(JwtReason.BAD_SIGNATURE);
        assertThat(reasonOf(verify(TestTokens.sign(
                        stranger.toRSAKey(),
                        new JWSHeader.Builder(JWSAlgorithm.RS256)
                                .keyID(tokens.rsa.getKeyID())
                                .build(),
                        tokens.claims().build()))))
                .as("signed by another key under a known kid")
                .isEqualTo(JwtReason.BAD_SIGNATURE);
        assertThat(reasonOf(verify(TestTokens.sign(
                        stranger, JWSAlgorithm.RS256, tokens.claims().build()))))
                .isEqualTo(JwtReason.UNKNOWN_KID);
        assertThat(reasonOf(verify(tokens.rs256(b -> b.expirationTime(null))))).isEqualTo(JwtReason.MISSING_EXP);
        assertThat(reasonOf(verify(tokens.rs256(b -> b.subject(null))))).isEqualTo(JwtReason.MISSING_SUB);
        assertThat(reasonOf(verify(tokens.rs256(b -> b.issuer(null))))).isEqualTo(JwtReason.WRONG_ISSUER);
        assertThat(reasonOf(verify(tokens.rs256(b -> b.issuer("https://evil.test")))))
                .isEqualTo(JwtReason.WRONG_ISSUER);
        assertThat(reasonOf(verify(tokens.rs256(b -> b.audience("payments"))))).isEqualTo(JwtReason.WRONG_AUDIENCE);
        assertThat(reasonOf(verify(tokens.rs256(b -> b.audience((String) null)))))
                .isEqualTo(JwtReason.WRONG_AUDIENCE);
        assertThat(reasonOf(verify("a".repeat(8193)))).isEqualTo(JwtReason.TOO_LARGE);
    }

    @Test
    void ecdsaSignaturesOutOfRangeAreRejectedOnEveryJdk() throws Exception {
        // CVE-2022-21449: JDK 15-18 before April 2022 accepted r = s = 0 for any message and key.
        start("");
        assertThat(reasonOf(verify(tokens.es256WithZeroSignature()))).isEqualTo(JwtReason.BAD_SIGNATURE);
        assertThat(reasonOf(verify(tokens.es256WithSignatureOfTheCurveOrder()))).isEqualTo(JwtReason.BAD_SIGNATURE);
        final String[] parts = tokens.es256().split("\\.");
        assertThat(reasonOf(verify(parts[0] + '.' + parts[1] + '.' + Base64URL.encode(new byte[63]))))
                .as("a signature of the wrong length")
                .isEqualTo(JwtReason.BAD_SIGNATURE);
        assertThat(verify(tokens.es256())).isInstanceOf(Verification.Verified.class);
    }

    @Test
    void timesAreCheckedWithTheClockSkew() throws Exception {
        start("      clockSkew: 30s\n");
        final Date now = Date.from(clock.instant());
        final Date in20s = new Date(now.getTime() + 20_000);
        final Date in40s = new Date(now.getTime() + 40_000);
        final Date ago20s = new Date(now.getTime() - 20_000);
        final Date ago40s = new Date(now.getTime() - 40_000);
        verified(verify(tokens.rs256(b -> b.expirationTime(ago20s))));
        assertThat(reasonOf(verify(tokens.rs256(b -> b.expirationTime(ago40s)))))
                .isEqualTo(JwtReason.EXPIRED);
        verified(verify(tokens.rs256(b -> b.notBeforeTime(in20s))));
        assertThat(reasonOf(verify(tokens.rs256(b -> b.notBeforeTime(in40s))))).isEqualTo(JwtReason.NOT_YET_VALID);
        verified(verify(tokens.rs256(b -> b.issueTime(in20s))));
        assertThat(reasonOf(verify(tokens.rs256(b -> b.issueTime(in40s))))).isEqualTo(JwtReason.NOT_YET_VALID);
    }

    @Test
    void maxTokenLifetimeNeedsIatAndBoundsExpMinusIat() throws Exception {
        start("      maxTokenLifetime: 15m\n");
        verified(verify(tokens.rs256()));
        assertThat(reasonOf(verify(tokens.rs256(b -> b.issueTime(null))))).isEqualTo(JwtReason.MISSING_IAT);
        assertThat(reasonOf(verify(tokens.rs256(
                        b -> b.expirationTime(Date.from(clock.instant().plus(Duration.ofMinutes(16))))))))
                .isEqualTo(JwtReason.LIFETIME_TOO_LONG);
    }

    @Test
    void algorithmsOutsideTheAllowListAreRefusedEvenWithAValidSignature() throws Exception {
        start("      algorithms: [ES256]\n");
        verified(verify(tokens.es256()));
        assertThat(reasonOf(verify(tokens.rs256()))).isEqualTo(JwtReason.ALG_NOT_ALLOWED);
        assertThat(reasonOf(verify(tokens.eddsa()))).isEqualTo(JwtReason.ALG_NOT_ALLOWED);
    }

    @Test
    void tokensComeOnlyFromTheirIssuersSources() throws Exception {
        start("      fromHeaders: [{name: x-token}]\n");
        final Issuers issuers = authenticator.current();
        final String token = tokens.rs256();
        assertThat(authenticator.verify(issuers, new FoundToken(token, new TokenSource("x-token", ""), null), false))
                .isInstanceOf(Verification.Verified.class);
        assertThat(reasonOf(authenticator.verify(issuers, FoundToken.bearer(token), false)))
                .isEqualTo(JwtReason.WRONG_ISSUER);
    }

    @Test
    void theCacheServesRepeatsButStillChecksExpiryOnEveryCall() throws Exception {
        start("      clockSkew: 10s\n");
        final String token =
                tokens.rs256(b -> b.expirationTime(Date.from(clock.instant().plusSeconds(60))));
        assertThat(((Verification.Verified) verify(token)).cached()).isFalse();
        assertThat(((Verification.Verified) verify(token)).cached()).isTrue();
        clock.advance(Duration.ofSeconds(55));
        assertThat(((Verification.Verified) verify(token)).cached()).isTrue();
        clock.advance(Duration.ofSeconds(10));
        assertThat(((Verification.Verified) verify(token)).cached())
                .as("past exp but within the skew: verified again, no longer from the cache")
                .isFalse();
        clock.advance(Duration.ofSeconds(10));
        assertThat(reasonOf(verify(token))).isEqualTo(JwtReason.EXPIRED);
        // A token whose signature differs in one character never hits the other's entry.
        final String other = tokens.rs256();
        verified(verify(other));
        final String flipped = other.substring(0, other.length() - 2)
                + (other.charAt(other.length() - 2) == 'A' ? 'B' : 'A')
                + other.charAt(other.length() - 1);
        assertThat(reasonOf(verify(flipped))).isEqualTo(JwtReason.BAD_SIGNATURE);
    }

    @Test
    void anUnchangedIssuerKeepsItsCachedTokensAcrossAReload() throws Exception {
        start("");
        final String token = tokens.rs256();
        verified(verify(token));
        // The same entry, moved down two lines in the file: same issuer, same verifier.
        engine.set(engine(policy(jwksServer.url(), "").replace("spec:\n", "spec:\n  # moved\n  # down\n")));
        assertThat(((Verification.Verified) verify(token)).cached()).isTrue();
        // Another audience: a new verifier, the token is checked again (and refused).
        engine.set(engine(policy(jwksServer.url(), "").replace("[backend]", "[payments]")));
        assertThat(reasonOf(verify(token))).isEqualTo(JwtReason.WRONG_AUDIENCE);
        assertThat(jwksServer.fetches()).as("the keys survive both reloads").isEqualTo(1);
    }

    @Test
    void anUnknownKidRefetchesTheKeysAtABoundedRate() throws Exception {
        start("      jwksCache: {minRefetchInterval: 30s}\n");
        final Issuers issuers = authenticator.current();
        final RSAKey rotated = new RSAKeyGenerator(2048).keyID("rsa-2").generate();
        final String token =
                TestTokens.sign(rotated, JWSAlgorithm.RS256, tokens.claims().build());

        // The issuer has not published the key yet: one refetch, then unknown_kid.
        final Verification first = authenticator.verify(issuers, FoundToken.bearer(token), true);
        assertThat(first).isInstanceOf(Verification.Pending.class);
        ((Verification.Pending) first).keysRefetched().join();
        assertThat(jwksServer.fetches()).isEqualTo(2);
        assertThat(reasonOf(authenticator.verify(issuers, FoundToken.bearer(token), false)))
                .isEqualTo(JwtReason.UNKNOWN_KID);

        // Now it is published, but the last refetch was just now: refused at once, no fetch.
        jwksServer.publish(TestTokens.jwks(tokens.rsa, rotated));
        assertThat(reasonOf(authenticator.verify(issuers, FoundToken.bearer(token), true)))
                .isEqualTo(JwtReason.UNKNOWN_KID);
        assertThat(jwksServer.fetches()).isEqualTo(2);

        clock.advance(Duration.ofSeconds(31));
        final Verification later = authenticator.verify(issuers, FoundToken.bearer(token), true);
        assertThat(later).isInstanceOf(Verification.Pending.class);
        ((Verification.Pending) later).keysRefetched().join();
        verified(authenticator.verify(issuers, FoundToken.bearer(token), false));
    }

    @Test
    void aWithdrawnKeyStopsServingItsCachedTokens() throws Exception {
        start("      jwksCache: {refreshInterval: 1s, maxStaleness: 1m}\n");
        final String token = tokens.rs256();
        verified(verify(token));
        jwksServer.publish(TestTokens.jwks(tokens.ec, tokens.ed));
        clock.advance(Duration.ofSeconds(2));
        await().atMost(Duration.ofSeconds(10)).until(() -> jwksServer.fetches() >= 2);
        await().atMost(Duration.ofSeconds(10)).until(() -> verify(token) instanceof Verification.Failed);
        assertThat(reasonOf(verify(token))).isEqualTo(JwtReason.UNKNOWN_KID);
    }

    @Test
    void throughAnOutageTheLastGoodKeysServeUntilMaxStalenessThenFailClosedUntilTheIssuerReturns() throws Exception {
        start("      jwksCache: {refreshInterval: 1s, maxStaleness: 30s, minRefetchInterval: 1s}\n");
        final String cachedToken = tokens.rs256();
        verified(verify(cachedToken));

        jwksServer.failing(true);
        clock.advance(Duration.ofSeconds(10));
        await().atMost(Duration.ofSeconds(10)).until(() -> fetchCount("failure") >= 1);
        assertThat(((Verification.Verified) verify(cachedToken)).cached()).isTrue();
        verified(verify(tokens.es256()));
        assertThat(gauge(MetricNames.JWKS_STALENESS)).isGreaterThanOrEqualTo(10);
        assertThat(gauge(MetricNames.JWKS_AVAILABLE)).isEqualTo(1);

        clock.advance(Duration.ofSeconds(21));
        final Verification stale = verify(cachedToken);
        assertThat(reasonOf(stale)).isEqualTo(JwtReason.JWKS_UNAVAILABLE);
        assertThat(((Verification.Failed) stale).failure().detail()).contains("maxStaleness");
        assertThat(reasonOf(verify(tokens.eddsa()))).isEqualTo(JwtReason.JWKS_UNAVAILABLE);
        assertThat(gauge(MetricNames.JWKS_AVAILABLE)).isZero();
        assertThat(authenticator.ready())
                .as("every token of the issuer is refused: not ready")
                .isFalse();
        assertThat(authenticator.readinessProblem()).contains("older than maxStaleness");

        jwksServer.failing(false);
        await().atMost(Duration.ofSeconds(10)).until(() -> verify(cachedToken) instanceof Verification.Verified);
        assertThat(gauge(MetricNames.JWKS_AVAILABLE)).isEqualTo(1);
        assertThat(authenticator.ready()).isTrue();
    }

    @Test
    void withoutKeysYetEveryTokenFailsAtOnceAndReadinessWaits() throws Exception {
        jwksServer = new JwksServer(tokens.jwks());
        jwksServer.failing(true);
        engine.set(engine(policy(jwksServer.url(), "")));
        authenticator = JwtAuthenticator.builder(() -> engine.get().forService("backend"), "backend")
                .clock(clock)
                .meterRegistry(meters)
                .build();
        await().atMost(Duration.ofSeconds(10)).until(() -> fetchCount("failure") >= 1);
        assertThat(authenticator.ready()).isFalse();
        assertThat(reasonOf(verify(tokens.rs256()))).isEqualTo(JwtReason.JWKS_UNAVAILABLE);
        assertThat(gauge(MetricNames.JWKS_STALENESS)).isEqualTo(-1);
        jwksServer.failing(false);
        clock.advance(Duration.ofMinutes(1));
        await().atMost(Duration.ofSeconds(10)).until(authenticator::ready);
        verified(verify(tokens.rs256()));
    }

    @Test
    void keysMayComeFromAFile() throws Exception {
        final Path jwks = Files.writeString(dir.resolve("jwks.json"), tokens.jwks());
        engine.set(engine(policy("x", "").replace("jwksUri: x", "jwksFile: " + jwks)));
        authenticator = JwtAuthenticator.builder(() -> engine.get().forService("backend"), "backend")
                .clock(clock)
                .meterRegistry(meters)
                .build();
        await().atMost(Duration.ofSeconds(10)).until(authenticator::ready);
        verified(verify(tokens.eddsa()));
    }

    private double fetchCount(String result) {
        return meters.get(MetricNames.JWKS_FETCHES)
                .tag(MetricNames.RESULT, result)
                .counter()
                .count();
    }

    private double gauge(String name) {
        return meters.get(name).gauge().value();
    }
}
