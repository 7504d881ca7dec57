package io.trustline.policy.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class ValueTypesTest {

    @Test
    void parsesRates() {
        assertThat(Rate.parse("100/s")).isEqualTo(new Rate(100, Duration.ofSeconds(1)));
        assertThat(Rate.parse("10/m").perSecond()).isEqualTo(10.0 / 60);
        assertThat(Rate.parse("3600/h").nanosPerToken()).isEqualTo(1_000_000_000L);
        assertThat(Rate.parse("7/h")).hasToString("7/h");
    }

    @Test
    void rejectsBadRatesNamingTheValueAndTheExpectation() {
        for (String bad :
                new String[] {"10/x", "10", "/s", "0/s", "-1/s", "1.5/s", "10/sec", "10 /s", "99999999999999/s"}) {
            assertThatThrownBy(() -> Rate.parse(bad))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("rate: '" + bad + "' (expected: N/s, N/m or N/h with N > 0)");
        }
    }

    @Test
    void stringMatchesHaveFourForms() {
        assertThat(StringMatch.parse("/api")).isEqualTo(new StringMatch(StringMatch.Kind.EXACT, "/api"));
        assertThat(StringMatch.parse("/api/*").kind()).isEqualTo(StringMatch.Kind.PREFIX);
        assertThat(StringMatch.parse("*.css").kind()).isEqualTo(StringMatch.Kind.SUFFIX);
        assertThat(StringMatch.parse("*").kind()).isEqualTo(StringMatch.Kind.PRESENT);
        assertThat(StringMatch.parse("/api/*").matches("/api/x")).isTrue();
        assertThat(StringMatch.parse("/api/*").matches("/api")).isFalse();
        assertThat(StringMatch.parse("*").matches("")).isTrue();
        assertThat(StringMatch.parse("*").matches(null)).isFalse();
        assertThat(StringMatch.parse("*.css")).hasToString("*.css");
        for (String bad : new String[] {"", "**", "/a/*/b", "*a*", "a**"}) {
            assertThatThrownBy(() -> StringMatch.parse(bad))
                    .hasMessageContaining("expected: exact, 'prefix*', '*suffix' or '*'");
        }
    }

    @Test
    void ipBlocksContainTheirAddresses() throws Exception {
        IpBlock v4 = IpBlock.parse("10.0.0.0/8");
        assertThat(v4.contains(InetAddress.getByName("10.255.0.1"))).isTrue();
        assertThat(v4.contains(InetAddress.getByName("11.0.0.1"))).isFalse();
        assertThat(v4.contains(InetAddress.getByName("::ffff:10.1.1.1"))).isTrue();
        assertThat(v4.contains(null)).isFalse();
        assertThat(IpBlock.parse("0.0.0.0/0").contains(InetAddress.getByName("8.8.8.8")))
                .isTrue();
        assertThat(IpBlock.parse("0.0.0.0/0").contains(InetAddress.getByName("::1")))
                .isFalse();
        IpBlock v6 = IpBlock.parse("2001:db8::/32");
        assertThat(v6.isIpv6()).isTrue();
        assertThat(v6.contains(InetAddress.getByName("2001:db8:ffff::1"))).isTrue();
        assertThat(IpBlock.parse("::1").contains(InetAddress.getByName("::1"))).isTrue();
        assertThat(IpBlock.parse("192.168.1.7")).hasToString("192.168.1.7/32");
        assertThat(IpBlock.parse("10.0.0.0/8")).isEqualTo(IpBlock.parse("10.0.0.0/8"));
        assertThatThrownBy(() -> IpBlock.parse("10.0.0.1/8"))
                .hasMessage("'10.0.0.1/8' has host bits set (expected: 10.0.0.0/8)");
        assertThatThrownBy(() -> IpBlock.parse("localhost")).hasMessageContaining("expected: an IPv4 or IPv6 CIDR");
        assertThatThrownBy(() -> IpBlock.parse("010.0.0.0/8")).hasMessageContaining("expected: an IPv4 or IPv6 CIDR");
        assertThatThrownBy(() -> IpBlock.parse("10.0.0.0/")).hasMessageContaining("prefix length");
    }

    @Test
    void rateLimitKeysKnowWhetherTheyNeedAToken() {
        assertThat(RateLimitKey.parse("claim:tenant")).isEqualTo(new RateLimitKey(RateLimitKey.Kind.CLAIM, "tenant"));
        assertThat(RateLimitKey.parse("claim:tenant").afterAuthentication()).isTrue();
        assertThat(RateLimitKey.parse("requestPrincipal").afterAuthentication()).isTrue();
        assertThat(RateLimitKey.parse("principal").afterAuthentication()).isFalse();
        assertThat(RateLimitKey.parse("sourceIp").afterAuthentication()).isFalse();
        assertThat(RateLimitKey.parse("claim:tenant")).hasToString("claim:tenant");
        assertThatThrownBy(() -> RateLimitKey.parse("claim:")).hasMessageContaining("expected: principal");
    }

    @Test
    void claimConditionsMatchScopesArraysAndNestedClaims() {
        var scope = ClaimCondition.contains("scope", "orders.read");
        assertThat(scope.matches(java.util.Map.of("scope", "orders.read"))).isTrue();
        assertThat(scope.matches(java.util.Map.of("scope", "a orders.read b"))).isTrue();
        assertThat(scope.matches(java.util.Map.of("scope", "orders.reader xorders.read")))
                .isFalse();
        assertThat(scope.matches(java.util.Map.of("scope", java.util.List.of("orders.read"))))
                .isTrue();
        assertThat(scope.matches(java.util.Map.of())).isFalse();
        var nested = ClaimCondition.equalTo("a.b.c", "x");
        assertThat(nested.matches(java.util.Map.of("a", java.util.Map.of("b", java.util.Map.of("c", "x")))))
                .isTrue();
        assertThat(nested.matches(java.util.Map.of("a", java.util.Map.of("b", "x"))))
                .isFalse();
        assertThat(ClaimCondition.in("n", "1", "2").matches(java.util.Map.of("n", 2L)))
                .isTrue();
        assertThat(ClaimCondition.equalTo("b", "true").matches(java.util.Map.of("b", true)))
                .isTrue();
    }

    @Test
    void rateLimitMatchesBeforeAuthentication() {
        var m = new RateLimitMatch(
                java.util.List.of("POST"),
                java.util.List.of(StringMatch.parse("/api/*")),
                java.util.List.of(),
                java.util.List.of());
        assertThat(m.matches("POST", "/api/x", null, null)).isTrue();
        assertThat(m.matches("GET", "/api/x", null, null)).isFalse();
        assertThat(RateLimitMatch.ALL.matches("GET", "/", null, null)).isTrue();
    }
}
