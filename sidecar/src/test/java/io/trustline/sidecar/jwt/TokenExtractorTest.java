package io.trustline.sidecar.jwt;

import static org.assertj.core.api.Assertions.assertThat;

import com.linecorp.armeria.common.HttpMethod;
import com.linecorp.armeria.common.RequestHeaders;
import io.trustline.policy.model.TokenSource;
import java.util.List;
import org.junit.jupiter.api.Test;

class TokenExtractorTest {

    static final TokenSource X_TOKEN = new TokenSource("x-token", "");
    static final List<TokenExtractor.HeaderSource> SOURCES =
            TokenExtractor.HeaderSource.of(List.of(TokenSource.AUTHORIZATION_BEARER, X_TOKEN));

    private static RequestHeaders headers(String... nameValues) {
        final var b = RequestHeaders.builder(HttpMethod.GET, "/x");
        for (int i = 0; i < nameValues.length; i += 2) {
            b.add(nameValues[i], nameValues[i + 1]);
        }
        return b.build();
    }

    private static FoundToken find(RequestHeaders headers, String query) {
        return TokenExtractor.find(headers, query, SOURCES, List.of("access_token"));
    }

    @Test
    void readsABearerTokenWhateverTheCaseOfTheScheme() {
        assertThat(find(headers("authorization", "Bearer abc.def.ghi"), null).value())
                .isEqualTo("abc.def.ghi");
        assertThat(find(headers("authorization", "bearer   abc.def.ghi "), null).value())
                .isEqualTo("abc.def.ghi");
        assertThat(find(headers("authorization", "BEARER t"), null).source())
                .isEqualTo(TokenSource.AUTHORIZATION_BEARER);
    }

    @Test
    void theTokenIsWhatLiesBetweenThePrefixAndTrailingWhiteSpaceAndHashesAsThatText() {
        for (String header : new String[] {"Bearer abc.def", "Bearer \tabc.def \t", "bearer  abc.def   "}) {
            final FoundToken t = find(headers("authorization", header), null);
            assertThat(t.value()).as(header).isEqualTo("abc.def");
            assertThat(t.length()).as(header).isEqualTo(7);
            assertThat(t.hash()).as(header).isEqualTo(TokenHash.of("abc.def"));
        }
        final FoundToken blank = find(headers("authorization", "Bearer    "), null);
        assertThat(blank.value()).isEmpty();
        assertThat(blank.hash()).isEqualTo(TokenHash.of(""));
        assertThat(find(headers("authorization", "Bearer abc.def"), null).hash())
                .as("the prefix is not part of what is hashed")
                .isNotEqualTo(TokenHash.of("Bearer abc.def"));
    }

    @Test
    void otherSchemesAreNotTokens() {
        assertThat(find(headers("authorization", "Basic dXNlcjpwdw=="), null)).isNull();
        assertThat(find(headers("authorization", "Bearerabc"), null)).isNull();
        assertThat(find(headers(), null)).isNull();
    }

    @Test
    void readsOtherHeadersAndTheQueryOnlyWhenConfigured() {
        final FoundToken h = find(headers("x-token", "t1"), null);
        assertThat(h.value()).isEqualTo("t1");
        assertThat(h.source()).isEqualTo(X_TOKEN);
        final FoundToken q = find(headers(), "a=1&access_token=t2");
        assertThat(q.value()).isEqualTo("t2");
        assertThat(q.queryParam()).isEqualTo("access_token");
        assertThat(TokenExtractor.find(headers(), "access_token=t2", SOURCES, List.of()))
                .as("no issuer reads the query")
                .isNull();
    }

    @Test
    void moreThanOneTokenAnywhereIsMultiple() {
        assertThat(find(headers("authorization", "Bearer a", "authorization", "Bearer a"), null))
                .isSameAs(TokenExtractor.MULTIPLE);
        assertThat(find(headers("authorization", "Bearer a", "x-token", "b"), null))
                .isSameAs(TokenExtractor.MULTIPLE);
        assertThat(find(headers("authorization", "Bearer a"), "access_token=b")).isSameAs(TokenExtractor.MULTIPLE);
        assertThat(find(headers(), "access_token=a&access_token=b")).isSameAs(TokenExtractor.MULTIPLE);
        assertThat(find(headers("authorization", "Basic x", "authorization", "Bearer a"), null)
                        .value())
                .as("a Basic credential next to the token is not a second token")
                .isEqualTo("a");
    }

    @Test
    void removesTheTokenParameterFromTheQuery() {
        final List<String> names = List.of("access_token");
        assertThat(TokenExtractor.withoutParams("a=1&access_token=x&b=%2F", names))
                .isEqualTo("a=1&b=%2F");
        assertThat(TokenExtractor.withoutParams("access_token=x", names)).isNull();
        assertThat(TokenExtractor.withoutParams("access%5Ftoken=x&access_token&c", names))
                .as("however the name is spelled")
                .isEqualTo("c");
    }

    @Test
    void neverPrintsTheToken() {
        assertThat(FoundToken.bearer("secret.secret.secret")).asString().doesNotContain("secret");
    }
}
