package io.trustline.ca.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.trustline.ca.SpiffeId;
import io.trustline.ca.store.JoinTokenException.Reason;
import io.trustline.ca.testing.MutableClock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JoinTokenStoreTest {

    private static final SpiffeId ORDERS = SpiffeId.of("example.org", "shop", "orders");

    @TempDir
    Path dir;

    private final MutableClock clock = MutableClock.startingNow();

    @Test
    void storesOnlyTheHashOfTheSecretWithOwnerOnlyPermissions() throws Exception {
        final Path file = dir.resolve("tokens.json");
        final String token = JoinTokenStore.inFile(file, clock).create(ORDERS, Duration.ofHours(1), false);
        final String secret = token.substring(token.indexOf('.') + 1);

        final String stored = Files.readString(file);

        assertThat(stored).contains(JoinTokenStore.idOf(token)).doesNotContain(secret);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file)))
                .isEqualTo("rw-------");
    }

    @Test
    void aSecondStoreOnTheSameFileSeesTokensAndUses() throws Exception {
        // The CLI and a running server are two processes sharing tokens.json.
        final Path file = dir.resolve("tokens.json");
        final String token = JoinTokenStore.inFile(file, clock).create(ORDERS, Duration.ofHours(1), false);
        final JoinTokenStore server = JoinTokenStore.inFile(file, clock);

        assertThat(server.redeem(token).spiffeId()).isEqualTo(ORDERS);
        assertThatThrownBy(() -> JoinTokenStore.inFile(file, clock).redeem(token))
                .isInstanceOfSatisfying(
                        JoinTokenException.class, e -> assertThat(e.reason()).isEqualTo(Reason.USED));
    }

    @Test
    void checkDoesNotUseTheTokenButRedeemDoes() throws Exception {
        final JoinTokenStore store = JoinTokenStore.inMemory(clock);
        final String token = store.create(ORDERS, Duration.ofHours(1), false);

        store.check(token);
        store.check(token);
        store.redeem(token);

        assertThatThrownBy(() -> store.check(token)).hasMessageContaining("was already used");
    }

    @Test
    void expiresRevokesAndRefusesForgeries() throws Exception {
        final JoinTokenStore store = JoinTokenStore.inFile(dir.resolve("tokens.json"), clock);
        final String expiring = store.create(ORDERS, Duration.ofMinutes(5), true);
        final String revoked = store.create(ORDERS, Duration.ofHours(1), true);
        assertThat(store.revoke(revoked)).isTrue();
        assertThat(store.revoke("0000000000000000")).isFalse();
        clock.advance(Duration.ofMinutes(6));

        assertThatThrownBy(() -> store.redeem(expiring))
                .isInstanceOfSatisfying(
                        JoinTokenException.class, e -> assertThat(e.reason()).isEqualTo(Reason.EXPIRED));
        assertThatThrownBy(() -> store.redeem(revoked))
                .isInstanceOfSatisfying(
                        JoinTokenException.class, e -> assertThat(e.reason()).isEqualTo(Reason.REVOKED));
        assertThatThrownBy(() -> store.redeem(JoinTokenStore.idOf(revoked) + ".AAAA"))
                .isInstanceOfSatisfying(
                        JoinTokenException.class, e -> assertThat(e.reason()).isEqualTo(Reason.INVALID))
                .hasMessage("join token is not valid");
    }

    @Test
    void dropsTokensLongAfterTheyExpired() {
        final JoinTokenStore store = JoinTokenStore.inFile(dir.resolve("tokens.json"), clock);
        store.create(ORDERS, Duration.ofMinutes(5), false);
        clock.advance(JoinTokenStore.RETENTION.plusHours(1));
        store.create(ORDERS, Duration.ofMinutes(5), false);

        assertThat(store.list()).hasSize(1);
    }

    @Test
    void refusesANonPositiveTtl() {
        assertThatThrownBy(() -> JoinTokenStore.inMemory(clock).create(ORDERS, Duration.ZERO, false))
                .hasMessage("ttl: PT0S (expected: > 0)");
    }
}
