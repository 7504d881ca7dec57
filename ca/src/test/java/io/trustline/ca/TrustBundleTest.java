package io.trustline.ca;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;

class TrustBundleTest {

    private final CertificateAuthority first =
            CertificateAuthority.createRoot("example.org", KeyType.EC_P256, Clock.systemUTC());
    private final CertificateAuthority second =
            CertificateAuthority.createRoot("example.org", KeyType.RSA_3072, Clock.systemUTC());
    private final TrustBundle bundle = first.trustBundle().withRoot(second.signingCertificate());

    @Test
    void holdsSeveralRootsAndRoundTripsThroughPem() {
        assertThat(bundle.roots()).containsExactly(first.signingCertificate(), second.signingCertificate());
        assertThat(TrustBundle.parsePem(bundle.toPem())).isEqualTo(bundle);
    }

    @Test
    void writesTheSpiffeBundleFormat() throws Exception {
        final JsonNode json = new ObjectMapper().readTree(bundle.toSpiffeJson(7, Duration.ofMinutes(5)));

        assertThat(json.path("spiffe_sequence").asLong()).isEqualTo(7);
        assertThat(json.path("spiffe_refresh_hint").asLong()).isEqualTo(300);
        assertThat(json.path("keys")).hasSize(2);
        for (int i = 0; i < 2; i++) {
            final JsonNode key = json.path("keys").get(i);
            assertThat(key.path("use").asText()).isEqualTo("x509-svid");
            assertThat(key.has("kid")).isFalse();
            assertThat(key.path("x5c")).hasSize(1);
            assertThat(Base64.getDecoder().decode(key.path("x5c").get(0).asText()))
                    .isEqualTo(bundle.roots().get(i).getEncoded());
        }
        assertThat(json.path("keys").get(0).path("kty").asText()).isEqualTo("EC");
        assertThat(json.path("keys").get(1).path("kty").asText()).isEqualTo("RSA");
        assertThat(TrustBundle.parseSpiffeJson(bundle.toSpiffeJson(7, Duration.ofMinutes(5))))
                .isEqualTo(bundle);
    }

    @Test
    void refusesAnEmptyBundleOrALeafAsRoot() {
        assertThatThrownBy(() -> TrustBundle.of(List.of())).hasMessageContaining("roots: empty");
        assertThatThrownBy(() -> TrustBundle.of(List.of(first.issueOffline(SpiffeId.of("example.org", "a", "b"), null)
                        .leaf())))
                .hasMessageContaining("is not a CA certificate");
        assertThatThrownBy(() -> TrustBundle.parsePem("not pem")).hasMessageContaining("pem: no CERTIFICATE block");
    }
}
