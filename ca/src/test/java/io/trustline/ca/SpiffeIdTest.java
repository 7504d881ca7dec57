package io.trustline.ca;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class SpiffeIdTest {

    @Test
    void parsesTrustDomainAndPath() {
        final SpiffeId id = SpiffeId.parse("spiffe://example.org/ns/shop/sa/orders");

        assertThat(id.trustDomain()).isEqualTo("example.org");
        assertThat(id.path()).isEqualTo("/ns/shop/sa/orders");
        assertThat(id.toUri().getScheme()).isEqualTo("spiffe");
        assertThat(id).hasToString("spiffe://example.org/ns/shop/sa/orders");
    }

    @Test
    void buildsTheNamespaceServiceAccountShape() {
        assertThat(SpiffeId.of("example.org", "shop", "orders"))
                .isEqualTo(SpiffeId.parse("spiffe://example.org/ns/shop/sa/orders"))
                .hasSameHashCodeAs(SpiffeId.parse("spiffe://example.org/ns/shop/sa/orders"));
    }

    @Test
    void acceptsATrustDomainIdWithoutPath() {
        final SpiffeId id = SpiffeId.parse("spiffe://example.org");

        assertThat(id.hasPath()).isFalse();
        assertThat(id.path()).isEmpty();
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "''|empty",
                "http://example.org/a|scheme must be 'spiffe://'",
                "SPIFFE://example.org/a|scheme must be 'spiffe://'",
                "spiffe:///a|empty trust domain",
                "spiffe://Example.org/a|trust domain character 'E'",
                "spiffe://example.org:8080/a|trust domain character ':'",
                "spiffe://user@example.org/a|trust domain character '@'",
                "spiffe://example.org/|trailing '/'",
                "spiffe://example.org/a/|trailing '/'",
                "spiffe://example.org//a|empty path segment",
                "spiffe://example.org/a/./b|path segment '.'",
                "spiffe://example.org/a/../b|path segment '..'",
                "spiffe://example.org/a%20b|path character '%'",
                "spiffe://example.org/a?b=c|path character '?'",
                "spiffe://example.org/a#b|path character '#'",
            })
    void refusesIdsThatBreakTheSpec(String uri, String problem) {
        assertThatThrownBy(() -> SpiffeId.parse(uri))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("spiffe id: ")
                .hasMessageContaining(problem);
    }

    @Test
    void refusesOverlongTrustDomainsAndIds() {
        assertThatThrownBy(() -> SpiffeId.parse("spiffe://" + "a".repeat(256) + "/x"))
                .hasMessageContaining("trust domain longer than 255");
        assertThatThrownBy(() -> SpiffeId.parse("spiffe://example.org/" + "a".repeat(2048)))
                .hasMessageContaining("longer than 2048 bytes");
    }

    @ParameterizedTest
    @ValueSource(strings = {"ex_ample.org", "a-b.c", "127.0.0.1"})
    void acceptsTrustDomainCharactersOfTheSpec(String trustDomain) {
        assertThat(SpiffeId.of(trustDomain, "ns1", "Svc.A-b_c").trustDomain()).isEqualTo(trustDomain);
    }
}
