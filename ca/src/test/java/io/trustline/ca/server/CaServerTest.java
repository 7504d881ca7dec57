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
import io.trustline.ca.SvidValidator;
import io.trustline.ca.TrustBundle;
import io.trustline.ca.X509Svid;
import io.trustline.ca.store.JoinTokenStore;
import io.trustline.ca.store.JsonLinesIssuanceLog;
import io.trustline.ca.testing.MutableClock;
import io.trustline.ca.testing.TestCsrs;
import io.trustline.ca.v1.CertificateAuthorityGrpc;
import io.trustline.ca.v1.CertificateAuthorityGrpc.CertificateAuthorityBlockingStub;
import io.trustline.ca.v1.GetTrustBundleRequest;
import io.trustline.ca.v1.GetTrustBundleResponse;
import io.trustline.ca.v1.SignRequest;
import io.trustline.ca.v1.SignResponse;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CaServerTest {

    private static final SpiffeId ORDERS = SpiffeId.of("example.org", "shop", "orders");
    private static final SpiffeId FRONTEND = SpiffeId.of("example.org", "shop", "frontend");

    @TempDir
    Path dir;

    private final MutableClock clock = MutableClock.startingNow();
    private CertificateAuthority ca;
    private JoinTokenStore tokens;
    private CaServer server;
    private ManagedChannel channel;

    @BeforeEach
    void startServer() {
        ca = CertificateAuthority.createRoot("example.org", KeyType.EC_P256, clock);
        tokens = JoinTokenStore.inMemory(clock);
        server = CaServer.builder()
                .certificateAuthority(ca)
                .joinTokens(tokens)
                .issuanceLog(new JsonLinesIssuanceLog(dir.resolve("audit.log")))
                .listen("127.0.0.1:0")
                .build()
                .start();
    }

    @AfterEach
    void stopServer() {
        if (channel != null) {
            channel.shutdownNow();
        }
        server.close();
    }

    private CertificateAuthorityBlockingStub stub(X509Svid clientSvid) {
        if (channel != null) {
            channel.shutdownNow();
        }
        channel = CaChannels.channel(server, ca, clientSvid);
        return CertificateAuthorityGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS);
    }

    private static SignRequest request(byte[] csr, String token) {
        return SignRequest.newBuilder()
                .setCsr(ByteString.copyFrom(csr))
                .setJoinToken(token)
                .build();
    }

    private static List<X509Certificate> certificates(List<ByteString> ders) throws Exception {
        final CertificateFactory factory = CertificateFactory.getInstance("X.509");
        final List<X509Certificate> out = new java.util.ArrayList<>();
        for (ByteString der : ders) {
            out.add((X509Certificate) factory.generateCertificate(new ByteArrayInputStream(der.toByteArray())));
        }
        return out;
    }

    private static void assertRefused(Runnable call, Status.Code code, String messagePart) {
        assertThatThrownBy(call::run).isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
            assertThat(e.getStatus().getCode()).isEqualTo(code);
            assertThat(e.getStatus().getDescription()).contains(messagePart);
        });
    }

    private X509Svid svidFromToken(SpiffeId id) throws Exception {
        final String token = tokens.create(id, Duration.ofMinutes(10), false);
        final KeyPair keyPair = KeyType.EC_P256.generate();
        final SignResponse response = stub(null).sign(request(Csrs.create(keyPair, id), token));
        return new X509Svid(
                id,
                certificates(response.getCertificateChainList()),
                keyPair.getPrivate(),
                TrustBundle.of(certificates(response.getTrustBundleList())));
    }

    @Test
    void issuesSvidForTheJoinTokensIdWithChainAndBundle() throws Exception {
        final String token = tokens.create(ORDERS, Duration.ofMinutes(10), false);
        final KeyPair keyPair = KeyType.EC_P256.generate();

        final SignResponse response = stub(null).sign(request(Csrs.create(keyPair, ORDERS), token));

        final List<X509Certificate> chain = certificates(response.getCertificateChainList());
        assertThat(response.getSpiffeId()).isEqualTo(ORDERS.toString());
        assertThat(chain).hasSize(1);
        assertThat(chain.get(0).getPublicKey()).isEqualTo(keyPair.getPublic());
        assertThat(certificates(response.getTrustBundleList()))
                .containsExactlyElementsOf(ca.trustBundle().roots());
        assertThat(new SvidValidator(ca.trustBundle(), "example.org", clock)
                        .validate(chain.toArray(new X509Certificate[0])))
                .isEqualTo(ORDERS);
    }

    @Test
    void issuesForTheTokensIdWhenTheCsrNamesNoId() throws Exception {
        final String token = tokens.create(ORDERS, Duration.ofMinutes(10), false);

        final SignResponse response = stub(null).sign(request(TestCsrs.csr(KeyType.EC_P256.generate()), token));

        assertThat(response.getSpiffeId()).isEqualTo(ORDERS.toString());
    }

    @Test
    void renewsOverMtlsWithTheCurrentSvid() throws Exception {
        final X509Svid first = svidFromToken(ORDERS);
        final KeyPair keyPair = KeyType.EC_P256.generate();

        final SignResponse renewed = stub(first)
                .sign(SignRequest.newBuilder()
                        .setCsr(ByteString.copyFrom(Csrs.create(keyPair, ORDERS)))
                        .build());

        final X509Certificate leaf =
                certificates(renewed.getCertificateChainList()).get(0);
        assertThat(renewed.getSpiffeId()).isEqualTo(ORDERS.toString());
        assertThat(leaf.getPublicKey()).isEqualTo(keyPair.getPublic());
        assertThat(leaf.getSerialNumber()).isNotEqualTo(first.leaf().getSerialNumber());
    }

    @Test
    void refusesRenewalOfADifferentIdWithPermissionDenied() throws Exception {
        final X509Svid orders = svidFromToken(ORDERS);
        final CertificateAuthorityBlockingStub stub = stub(orders);

        assertRefused(
                () -> stub.sign(SignRequest.newBuilder()
                        .setCsr(ByteString.copyFrom(Csrs.create(KeyType.EC_P256.generate(), FRONTEND)))
                        .setSpiffeId(FRONTEND.toString())
                        .build()),
                Status.Code.PERMISSION_DENIED,
                "the client certificate authorises " + ORDERS + ", not " + FRONTEND);
        assertRefused(
                () -> stub.sign(SignRequest.newBuilder()
                        .setCsr(ByteString.copyFrom(Csrs.create(KeyType.EC_P256.generate(), FRONTEND)))
                        .build()),
                Status.Code.PERMISSION_DENIED,
                "requests " + FRONTEND);
    }

    @Test
    void refusesRenewalWithAnExpiredSvid() throws Exception {
        final X509Svid orders = svidFromToken(ORDERS);
        clock.advance(Duration.ofHours(2));

        assertRefused(
                () -> stub(orders).sign(request(Csrs.create(KeyType.EC_P256.generate(), ORDERS), "")),
                Status.Code.UNAUTHENTICATED,
                "client certificate is not a valid SVID: certificate of " + ORDERS + " expired");
    }

    @Test
    void refusesRenewalWithAnSvidOfAnotherCa() {
        final X509Svid foreign = CertificateAuthority.createRoot("example.org", KeyType.EC_P256, clock)
                .issueOffline(ORDERS, null);

        assertRefused(
                () -> stub(foreign).sign(request(Csrs.create(KeyType.EC_P256.generate(), ORDERS), "")),
                Status.Code.UNAUTHENTICATED,
                "does not chain to the trust bundle");
    }

    @Test
    void refusesACallWithNeitherTokenNorCertificate() {
        assertRefused(
                () -> stub(null).sign(request(Csrs.create(KeyType.EC_P256.generate(), ORDERS), "")),
                Status.Code.UNAUTHENTICATED,
                "no join token and no client certificate");
    }

    @Test
    void refusesATokenUsedTwice() {
        final String token = tokens.create(ORDERS, Duration.ofMinutes(10), false);
        stub(null).sign(request(Csrs.create(KeyType.EC_P256.generate(), ORDERS), token));

        assertRefused(
                () -> stub(null).sign(request(Csrs.create(KeyType.EC_P256.generate(), ORDERS), token)),
                Status.Code.UNAUTHENTICATED,
                "was already used");
    }

    @Test
    void acceptsAReusableTokenTwice() {
        final String token = tokens.create(ORDERS, Duration.ofMinutes(10), true);

        stub(null).sign(request(Csrs.create(KeyType.EC_P256.generate(), ORDERS), token));
        final SignResponse second = stub(null).sign(request(Csrs.create(KeyType.EC_P256.generate(), ORDERS), token));

        assertThat(second.getSpiffeId()).isEqualTo(ORDERS.toString());
    }

    @Test
    void refusesAnExpiredToken() {
        final String token = tokens.create(ORDERS, Duration.ofMinutes(10), false);
        clock.advance(Duration.ofMinutes(11));

        assertRefused(
                () -> stub(null).sign(request(Csrs.create(KeyType.EC_P256.generate(), ORDERS), token)),
                Status.Code.UNAUTHENTICATED,
                "expired at");
    }

    @Test
    void refusesARevokedToken() {
        final String token = tokens.create(ORDERS, Duration.ofMinutes(10), false);
        assertThat(tokens.revoke(JoinTokenStore.idOf(token))).isTrue();

        assertRefused(
                () -> stub(null).sign(request(Csrs.create(KeyType.EC_P256.generate(), ORDERS), token)),
                Status.Code.UNAUTHENTICATED,
                "was revoked");
    }

    @Test
    void refusesAnUnknownOrForgedTokenWithoutSayingWhich() {
        final String token = tokens.create(ORDERS, Duration.ofMinutes(10), false);
        final String forged = JoinTokenStore.idOf(token) + ".forged-secret";

        assertThatThrownBy(() -> stub(null).sign(request(Csrs.create(KeyType.EC_P256.generate(), ORDERS), forged)))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
                    assertThat(e.getStatus().getDescription())
                            .isEqualTo("join token is not valid")
                            .doesNotContain("forged-secret");
                });
        assertRefused(
                () -> stub(null).sign(request(Csrs.create(KeyType.EC_P256.generate(), ORDERS), "garbage")),
                Status.Code.UNAUTHENTICATED,
                "join token is not valid");
    }

    @Test
    void refusesATokenForOneIdAskingForAnother() {
        final String token = tokens.create(ORDERS, Duration.ofMinutes(10), false);

        assertRefused(
                () -> stub(null)
                        .sign(SignRequest.newBuilder()
                                .setCsr(ByteString.copyFrom(Csrs.create(KeyType.EC_P256.generate(), FRONTEND)))
                                .setJoinToken(token)
                                .setSpiffeId(FRONTEND.toString())
                                .build()),
                Status.Code.PERMISSION_DENIED,
                "the join token authorises " + ORDERS + ", not " + FRONTEND);
        assertRefused(
                () -> stub(null).sign(request(Csrs.create(KeyType.EC_P256.generate(), FRONTEND), token)),
                Status.Code.PERMISSION_DENIED,
                "csr: requests " + FRONTEND + " but the caller is authorised for " + ORDERS);
    }

    @Test
    void refusesACsrWithTwoSansAndKeepsTheTokenUsable() throws Exception {
        final String token = tokens.create(ORDERS, Duration.ofMinutes(10), false);
        final byte[] twoSans = TestCsrs.csr(KeyType.EC_P256.generate(), ORDERS.toString(), FRONTEND.toString());

        assertRefused(
                () -> stub(null).sign(request(twoSans, token)),
                Status.Code.INVALID_ARGUMENT,
                "csr: requests 2 subject alternative names");
        assertThat(stub(null)
                        .sign(request(Csrs.create(KeyType.EC_P256.generate(), ORDERS), token))
                        .getSpiffeId())
                .isEqualTo(ORDERS.toString());
    }

    @Test
    void refusesACsrWithABadSignature() throws Exception {
        final String token = tokens.create(ORDERS, Duration.ofMinutes(10), false);
        // The CSR carries one key but is signed with another: no proof of possession.
        final byte[] csr = TestCsrs.csr(KeyType.EC_P256.generate(), KeyType.EC_P256.generate(), ORDERS.toString());

        assertRefused(
                () -> stub(null).sign(request(csr, token)),
                Status.Code.INVALID_ARGUMENT,
                "csr: signature does not verify with its public key");
    }

    @Test
    void refusesAnRsa1024Key() throws Exception {
        final String token = tokens.create(ORDERS, Duration.ofMinutes(10), false);
        final byte[] csr = TestCsrs.csr(TestCsrs.rsa(1024), ORDERS.toString());

        assertRefused(
                () -> stub(null).sign(request(csr, token)),
                Status.Code.INVALID_ARGUMENT,
                "csr: RSA key of 1024 bits (expected: 2048..8192)");
    }

    @Test
    void refusesAMalformedCsr() {
        final String token = tokens.create(ORDERS, Duration.ofMinutes(10), false);

        assertRefused(
                () -> stub(null).sign(request(new byte[] {1, 2, 3}, token)),
                Status.Code.INVALID_ARGUMENT,
                "csr: not a DER-encoded PKCS#10 request");
    }

    @Test
    void writesOneAuditLinePerIssuance() throws Exception {
        final X509Svid first = svidFromToken(ORDERS);
        stub(first).sign(request(Csrs.create(KeyType.EC_P256.generate(), ORDERS), ""));
        assertRefused(
                () -> stub(null).sign(request(Csrs.create(KeyType.EC_P256.generate(), ORDERS), "x.y")),
                Status.Code.UNAUTHENTICATED,
                "not valid");

        final ObjectMapper json = new ObjectMapper();
        final List<JsonNode> workloadLines = Files.readAllLines(dir.resolve("audit.log")).stream()
                .map(line -> {
                    try {
                        return json.readTree(line);
                    } catch (Exception e) {
                        throw new AssertionError(line, e);
                    }
                })
                .filter(node -> !node.path("authorisation").asText().equals("ca_server"))
                .toList();
        assertThat(workloadLines).hasSize(2);
        assertThat(workloadLines.get(0).path("authorisation").asText()).isEqualTo("join_token");
        assertThat(workloadLines.get(0).path("serial").asText())
                .isEqualTo(first.leaf().getSerialNumber().toString(16));
        assertThat(workloadLines.get(0).path("spiffe_id").asText()).isEqualTo(ORDERS.toString());
        assertThat(workloadLines.get(0).path("not_after").asText())
                .isEqualTo(first.notAfter().toString());
        assertThat(workloadLines.get(0).path("peer").asText()).contains("127.0.0.1");
        assertThat(workloadLines.get(1).path("authorisation").asText()).isEqualTo("svid");
        assertThat(workloadLines.get(1).path("credential").asText())
                .isEqualTo(first.leaf().getSerialNumber().toString(16));
    }

    @Test
    void servesTheTrustBundleWithoutAClientCertificate() throws Exception {
        final GetTrustBundleResponse bundle = stub(null).getTrustBundle(GetTrustBundleRequest.getDefaultInstance());

        assertThat(bundle.getTrustDomain()).isEqualTo("example.org");
        assertThat(certificates(bundle.getX509AuthoritiesList()))
                .containsExactlyElementsOf(ca.trustBundle().roots());
    }
}
