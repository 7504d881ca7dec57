package io.trustline.ca.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.trustline.ca.CertificateAuthority;
import io.trustline.ca.Csrs;
import io.trustline.ca.KeyType;
import io.trustline.ca.SpiffeId;
import io.trustline.ca.X509Svid;
import io.trustline.ca.store.JoinTokenStore;
import io.trustline.ca.store.JsonLinesIssuanceLog;
import io.trustline.ca.testing.MutableClock;
import io.trustline.ca.v1.CertificateAuthorityGrpc;
import io.trustline.ca.v1.SignRequest;
import io.trustline.ca.v1.SignResponse;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Renewal over mTLS against a real CA gRPC server: a renewal cannot stretch the lifetime the identity was first
 * given, and an identity that only ever renews must be attested again (a join token) after the maximum renewal age.
 */
class CaRenewalTest {

    private static final SpiffeId ORDERS = SpiffeId.of("example.org", "shop", "orders");
    private static final Duration MAX_RENEWAL_AGE = Duration.ofDays(2);

    @TempDir
    Path dir;

    private final MutableClock clock = MutableClock.startingNow();
    private CertificateAuthority ca;
    private JoinTokenStore tokens;
    private CaServer server;
    private final List<ManagedChannel> channels = new ArrayList<>();

    @BeforeEach
    void startServer() {
        ca = CertificateAuthority.createRoot("example.org", KeyType.EC_P256, clock);
        tokens = JoinTokenStore.inMemory(clock);
        server = CaServer.builder()
                .certificateAuthority(ca)
                .joinTokens(tokens)
                .issuanceLog(new JsonLinesIssuanceLog(dir.resolve("audit.log")))
                .maxRenewalAge(MAX_RENEWAL_AGE)
                .listen("127.0.0.1:0")
                .build()
                .start();
    }

    @AfterEach
    void stopServer() {
        channels.forEach(ManagedChannel::shutdownNow);
        server.close();
    }

    private X509Svid sign(X509Svid current, String token, Duration ttl) throws Exception {
        final ManagedChannel channel = CaChannels.channel(server, ca, current);
        channels.add(channel);
        final KeyPair keyPair = KeyType.EC_P256.generate();
        final SignResponse response = CertificateAuthorityGrpc.newBlockingStub(channel)
                .withDeadlineAfter(10, TimeUnit.SECONDS)
                .sign(SignRequest.newBuilder()
                        .setCsr(ByteString.copyFrom(Csrs.create(keyPair, ORDERS)))
                        .setJoinToken(token)
                        .setTtlSeconds(ttl.toSeconds())
                        .build());
        return new X509Svid(
                ORDERS, certificates(response.getCertificateChainList()), keyPair.getPrivate(), ca.trustBundle());
    }

    private X509Svid join(Duration ttl) throws Exception {
        return sign(null, tokens.create(ORDERS, Duration.ofMinutes(10), false), ttl);
    }

    private static List<X509Certificate> certificates(List<ByteString> ders) throws Exception {
        final CertificateFactory factory = CertificateFactory.getInstance("X.509");
        final List<X509Certificate> out = new ArrayList<>();
        for (ByteString der : ders) {
            out.add((X509Certificate) factory.generateCertificate(new ByteArrayInputStream(der.toByteArray())));
        }
        return out;
    }

    private static Duration lifetime(X509Svid svid) {
        return Duration.between(svid.leaf().getNotBefore().toInstant(), svid.notAfter());
    }

    @Test
    void aRenewalAskingForTheMaximumTtlGetsNoMoreThanTheCertificateItRenews() throws Exception {
        final X509Svid first = join(Duration.ofHours(1));
        clock.advance(Duration.ofMinutes(30));

        final X509Svid renewed = sign(first, "", ca.maxTtl());

        assertThat(ca.maxTtl()).isGreaterThan(Duration.ofHours(1));
        assertThat(lifetime(renewed)).isLessThanOrEqualTo(lifetime(first));
        assertThat(renewed.notAfter()).isBeforeOrEqualTo(clock.instant().plus(Duration.ofHours(1)));
    }

    @Test
    void anIdentityThatOnlyRenewsIsRefusedPastTheMaximumRenewalAgeUntilItJoinsAgain() throws Exception {
        X509Svid current = join(Duration.ofHours(20));
        final Duration step = Duration.ofHours(15);
        Duration age = Duration.ZERO;
        while (age.plus(step).compareTo(MAX_RENEWAL_AGE) < 0) {
            clock.advance(step);
            age = age.plus(step);
            current = sign(current, "", Duration.ofHours(20));
        }
        clock.advance(step);
        final X509Svid last = current;

        assertThatThrownBy(() -> sign(last, "", Duration.ofHours(20)))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
                    assertThat(e.getStatus().getDescription()).contains("join token");
                });

        // A fresh join token attests the workload again, and renewals work from there.
        final X509Svid rejoined = join(Duration.ofHours(20));
        clock.advance(step);
        assertThat(sign(rejoined, "", Duration.ofHours(20)).leaf().getSerialNumber())
                .isNotEqualTo(rejoined.leaf().getSerialNumber());

        final ObjectMapper json = new ObjectMapper();
        final List<String> kinds = new ArrayList<>();
        for (String line : Files.readAllLines(dir.resolve("audit.log"))) {
            final JsonNode node = json.readTree(line);
            if (!node.path("authorisation").asText().equals("ca_server")) {
                kinds.add(node.path("authorisation").asText());
            }
        }
        assertThat(kinds).startsWith("join_token", "svid").endsWith("join_token", "svid");
    }
}
