package io.trustline.ca.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.trustline.ca.CertificateAuthority;
import io.trustline.ca.KeyType;
import io.trustline.ca.SpiffeId;
import io.trustline.ca.X509Svid;
import io.trustline.ca.server.CaServer;
import io.trustline.ca.store.IssuanceRecord;
import io.trustline.ca.store.IssuanceRecord.Authorisation;
import io.trustline.ca.store.JoinTokenStore;
import io.trustline.ca.testing.MutableClock;
import java.net.ServerSocket;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class SvidClientTest {

    private static final SpiffeId ORDERS = SpiffeId.of("example.org", "shop", "orders");

    private final MutableClock clock = MutableClock.startingNow();
    private final FakeScheduler scheduler = new FakeScheduler(clock);
    private final CertificateAuthority ca = CertificateAuthority.createRoot("example.org", KeyType.EC_P256, clock);
    private final JoinTokenStore tokens = JoinTokenStore.inMemory(clock);
    private final List<IssuanceRecord> issued = new CopyOnWriteArrayList<>();
    private CaServer server;
    private SvidClient client;

    @BeforeEach
    void startCa() {
        server = startServer("127.0.0.1:0");
    }

    @AfterEach
    void stop() {
        if (client != null) {
            client.close();
        }
        server.close();
    }

    private CaServer startServer(String listen) {
        return CaServer.builder()
                .certificateAuthority(ca)
                .joinTokens(tokens)
                .issuanceLog(issued::add)
                .listen(listen)
                .build()
                .start();
    }

    private SvidClientBuilder client(String token) {
        return SvidClient.builder()
                .caAddress("127.0.0.1:" + server.port())
                .caBundle(ca.trustBundle())
                .spiffeId(ORDERS)
                .joinToken(token)
                .clock(clock)
                .scheduler(scheduler);
    }

    private List<Authorisation> workloadIssuances() {
        return issued.stream()
                .map(IssuanceRecord::authorisation)
                .filter(a -> a != Authorisation.CA_SERVER)
                .toList();
    }

    @Test
    void obtainsTheFirstSvidWithAJoinTokenAndKeepsTheKeyLocal() {
        client = client(tokens.create(ORDERS, Duration.ofMinutes(10), false)).build();
        final List<X509Svid> heard = new CopyOnWriteArrayList<>();
        client.addListener(heard::add);

        final X509Svid svid = client.start();

        assertThat(svid.id()).isEqualTo(ORDERS);
        assertThat(svid.leaf().getPublicKey().getAlgorithm()).isEqualTo("EC");
        assertThat(svid.bundle()).isEqualTo(ca.trustBundle());
        assertThat(client.current()).isSameAs(svid);
        assertThat(heard).containsExactly(svid);
        assertThat(workloadIssuances()).containsExactly(Authorisation.JOIN_TOKEN);
    }

    @Test
    void renewsOverMtlsAtAboutHalfTheLifetimeBeforeExpiry() {
        client = client(tokens.create(ORDERS, Duration.ofMinutes(10), false)).build();
        final List<X509Svid> heard = new CopyOnWriteArrayList<>();
        client.addListener(heard::add);
        final X509Svid first = client.start();
        final Duration lifetime = Duration.between(first.notBefore(), first.notAfter());

        final Instant renewAt = scheduler.nextDue().orElseThrow();
        assertThat(renewAt)
                .isBetween(
                        first.notBefore().plus(lifetime.multipliedBy(4).dividedBy(10)),
                        first.notBefore().plus(lifetime.multipliedBy(6).dividedBy(10)))
                .isBefore(first.notAfter());
        assertThat(scheduler.runNext()).isTrue();

        final X509Svid second = client.current();
        assertThat(second.leaf().getSerialNumber()).isNotEqualTo(first.leaf().getSerialNumber());
        assertThat(second.leaf().getPublicKey()).isNotEqualTo(first.leaf().getPublicKey());
        assertThat(second.notAfter()).isAfter(first.notAfter());
        assertThat(heard).containsExactly(first, second);
        // The token was single-use: only the current SVID over mTLS can have authorised this.
        assertThat(workloadIssuances()).containsExactly(Authorisation.JOIN_TOKEN, Authorisation.SVID);
        assertThat(scheduler.nextDue().orElseThrow()).isAfter(renewAt);
    }

    @Test
    void survivesACaOutageWithBackoffAndKeepsTheCurrentSvid() {
        client = client(tokens.create(ORDERS, Duration.ofMinutes(10), false))
                .initialBackoff(Duration.ofSeconds(1))
                .maxBackoff(Duration.ofSeconds(8))
                .build();
        final X509Svid first = client.start();
        final int port = server.port();
        server.close();

        final Instant renewAt = scheduler.nextDue().orElseThrow();
        scheduler.runNext(); // the renewal fails: the CA is down
        Instant previous = renewAt;
        Duration previousDelay = Duration.ZERO;
        for (int attempt = 0; attempt < 6; attempt++) {
            assertThat(client.current()).isSameAs(first);
            final Instant next = scheduler.nextDue().orElseThrow();
            final Duration delay = Duration.between(previous, next);
            assertThat(delay).isLessThanOrEqualTo(Duration.ofSeconds(8));
            if (attempt < 3) {
                // Doubling, give or take the 20% jitter.
                assertThat(delay).isGreaterThan(previousDelay);
            }
            previousDelay = delay;
            previous = next;
            scheduler.runNext();
        }
        assertThat(scheduler.pending()).isEqualTo(1);
        assertThat(clock.instant()).isBefore(first.notAfter());

        server = startServer("127.0.0.1:" + port);
        scheduler.runNext();

        assertThat(client.current()).isNotSameAs(first);
        assertThat(client.current().notAfter()).isAfter(first.notAfter());
    }

    @Test
    void renewNowReplacesTheScheduledRenewalAndAnswersWithTheNewSvid() {
        client = client(tokens.create(ORDERS, Duration.ofMinutes(10), false)).build();
        final List<X509Svid> heard = new CopyOnWriteArrayList<>();
        client.addListener(heard::add);
        final X509Svid first = client.start();
        final Instant start = clock.instant();

        final CompletableFuture<X509Svid> forced = client.renewNow();

        assertThat(scheduler.pending()).isEqualTo(1);
        assertThat(scheduler.nextDue()).contains(start);
        assertThat(forced).isNotDone();
        scheduler.runNext();
        final X509Svid second = forced.join();
        assertThat(second).isSameAs(client.current()).isNotSameAs(first);
        assertThat(second.leaf().getSerialNumber()).isNotEqualTo(first.leaf().getSerialNumber());
        assertThat(heard).containsExactly(first, second);
        assertThat(workloadIssuances()).containsExactly(Authorisation.JOIN_TOKEN, Authorisation.SVID);
        // One renewal chain: the next renewal is the new SVID's, not the first one's as well.
        assertThat(scheduler.pending()).isEqualTo(1);
        assertThat(scheduler.nextDue().orElseThrow()).isAfter(second.notBefore());
        assertThat(client.failedRenewals()).isZero();
    }

    @Test
    void renewNowFailsWithTheReasonWhileTheCaIsDownAndKeepsTheCurrentSvid() {
        client = client(tokens.create(ORDERS, Duration.ofMinutes(10), false))
                .initialBackoff(Duration.ofSeconds(1))
                .build();
        final X509Svid first = client.start();
        server.close();

        final CompletableFuture<X509Svid> forced = client.renewNow();
        scheduler.runNext();

        assertThat(forced).isCompletedExceptionally();
        assertThatThrownBy(forced::join)
                .hasCauseInstanceOf(SvidClientException.class)
                .hasMessageContaining("svid renewal failed, keeping the current one");
        assertThat(client.current()).isSameAs(first);
        assertThat(client.failedRenewals()).isEqualTo(1);
        // The usual retry follows, about a second later.
        assertThat(scheduler.pending()).isEqualTo(1);
        assertThat(scheduler.nextDue().orElseThrow()).isBefore(clock.instant().plusSeconds(2));
        scheduler.runNext();
        assertThat(client.failedRenewals()).isEqualTo(2);
    }

    @Test
    void renewNowBeforeStartIsRefused() {
        client = client(tokens.create(ORDERS, Duration.ofMinutes(10), false)).build();

        assertThat(client.renewNow()).isCompletedExceptionally();
        assertThat(scheduler.pending()).isZero();
    }

    @Test
    void recoversWithAReusableTokenWhenTheOutageOutlastedTheSvid() {
        client = client(tokens.create(ORDERS, Duration.ofDays(1), true))
                .maxBackoff(Duration.ofMinutes(30))
                .build();
        final X509Svid first = client.start();
        final int port = server.port();
        server.close();
        while (!clock.instant().isAfter(first.notAfter())) {
            scheduler.runNext();
        }
        assertThat(client.current()).isSameAs(first);

        server = startServer("127.0.0.1:" + port);
        scheduler.runNext();

        assertThat(client.current()).isNotSameAs(first);
        assertThat(workloadIssuances()).containsExactly(Authorisation.JOIN_TOKEN, Authorisation.JOIN_TOKEN);
    }

    @Test
    void reEnrolsWithTheJoinTokenAtOnceWhenTheCaRefusesRenewalPastTheMaximumRenewalAge() {
        server.close();
        server = CaServer.builder()
                .certificateAuthority(ca)
                .joinTokens(tokens)
                .issuanceLog(issued::add)
                .maxRenewalAge(Duration.ofMinutes(20))
                .listen("127.0.0.1:0")
                .build()
                .start();
        client = client(tokens.create(ORDERS, Duration.ofDays(1), true)).build();
        final X509Svid first = client.start();

        // At about half the hour-long lifetime the attestation is older than 20 minutes: the CA refuses the renewal
        // over mTLS, and the client attests again with its token in the same attempt instead of retrying a renewal
        // that can only be refused until the certificate expires.
        assertThat(scheduler.runNext()).isTrue();

        assertThat(client.current()).isNotSameAs(first);
        assertThat(client.current().notAfter()).isAfter(first.notAfter());
        assertThat(client.failedRenewals()).isZero();
        assertThat(workloadIssuances()).containsExactly(Authorisation.JOIN_TOKEN, Authorisation.JOIN_TOKEN);
    }

    @Test
    void startFailsWithTheCasReasonWhenTheTokenIsRefused() {
        final String forOtherId =
                tokens.create(SpiffeId.of("example.org", "shop", "frontend"), Duration.ofMinutes(10), false);
        client = client(forOtherId).build();

        assertThatThrownBy(() -> client.start())
                .isInstanceOf(SvidClientException.class)
                .hasMessageContaining("the CA refused the first SVID for " + ORDERS)
                .hasMessageContaining("PERMISSION_DENIED")
                .hasMessageNotContaining(forOtherId);
    }

    @Test
    void startFailsAfterTheStartupTimeoutWhenTheCaIsUnreachable() throws Exception {
        final int closedPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        client = SvidClient.builder()
                .caAddress("127.0.0.1:" + closedPort)
                .caBundle(ca.trustBundle())
                .spiffeId(ORDERS)
                .joinToken("any.token")
                .initialBackoff(Duration.ofMillis(50))
                .maxBackoff(Duration.ofMillis(200))
                .startupTimeout(Duration.ofSeconds(1))
                .build();

        assertThatThrownBy(() -> client.start())
                .isInstanceOf(SvidClientException.class)
                .hasMessageContaining("no SVID from the CA at 127.0.0.1:" + closedPort + " within PT1S");
    }

    @Test
    void refusesToTrustACaServerOutsideTheBundle() {
        client = client(tokens.create(ORDERS, Duration.ofMinutes(10), false))
                .caBundle(CertificateAuthority.createRoot("example.org", KeyType.EC_P256, clock)
                        .trustBundle())
                .startupTimeout(Duration.ofSeconds(1))
                .scheduler((task, delay) -> () -> {})
                .build();

        assertThatThrownBy(() -> client.start()).isInstanceOf(SvidClientException.class);
        assertThat(workloadIssuances()).isEmpty();
    }

    @Test
    void builderNamesWhatIsMissing() {
        assertThatThrownBy(() -> SvidClient.builder()
                        .caBundle(ca.trustBundle())
                        .spiffeId(ORDERS)
                        .build())
                .hasMessage("caAddress: not set");
        assertThatThrownBy(() -> SvidClient.builder().ttl(Duration.ofSeconds(-1)))
                .hasMessage("ttl: PT-1S (expected: > 0)");
    }
}
