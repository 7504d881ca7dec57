package io.trustline.policy.lint;

import static org.assertj.core.api.Assertions.assertThat;

import io.trustline.policy.PolicyParser;
import io.trustline.policy.Resources;
import io.trustline.policy.model.Policy;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Table-driven: every file of {@code lint/} is one case, and its {@code # expect: line:column: warning: message
 * [code]} comments are every warning the lint must give for it, in order. Files named {@code clean-*} have none:
 * they show that valid, meant policies raise no warning.
 */
class LintTest {

    private static final String EXPECT = "# expect: ";

    private static final Lint LINT = Lint.builder()
            .trustDomain("example.org")
            .knownServices(Set.of("orders", "frontend", "inventory"))
            .build();

    static List<Path> cases() throws IOException {
        try (Stream<Path> files = Files.list(Resources.path("/lint"))) {
            return files.sorted().toList();
        }
    }

    @ParameterizedTest
    @MethodSource("cases")
    void warnsExactlyAsTheFileExpects(Path file) throws Exception {
        String name = file.getFileName().toString();
        String text = Files.readString(file, StandardCharsets.UTF_8);
        List<String> expected = text.lines()
                .filter(l -> l.startsWith(EXPECT))
                .map(l -> name + ":" + l.substring(EXPECT.length()))
                .toList();
        List<Policy> policies = PolicyParser.parse(name, text, file.getParent());

        List<String> actual =
                LINT.check(policies).stream().map(LintWarning::toString).toList();

        assertThat(actual).as(name).containsExactlyElementsOf(expected);
        if (name.startsWith("clean-")) {
            assertThat(expected).as(name).isEmpty();
        } else {
            assertThat(expected).as(name).isNotEmpty();
        }
    }

    @Test
    void everyLintCodeHasACase() throws Exception {
        StringBuilder all = new StringBuilder();
        for (Path f : cases()) {
            all.append(Files.readString(f, StandardCharsets.UTF_8));
        }
        for (LintCode code : LintCode.values()) {
            assertThat(all.toString()).contains("[" + code.code() + "]");
        }
    }

    @Test
    void withoutContextOnlyRulesAreLinted() throws Exception {
        Path file = Resources.path("/lint/foreign-trust-domain.yaml");
        List<Policy> policies =
                PolicyParser.parse("f.yaml", Files.readString(file, StandardCharsets.UTF_8), file.getParent());
        Path other = Resources.path("/lint/unknown-service.yaml");
        List<Policy> payments =
                PolicyParser.parse("p.yaml", Files.readString(other, StandardCharsets.UTF_8), other.getParent());

        assertThat(Lint.of().check(policies)).isEmpty();
        assertThat(Lint.of().check(payments)).isEmpty();
    }

    @Test
    void rejectsATrustDomainWrittenAsASpiffeId() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Lint.builder().trustDomain("spiffe://example.org"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("trustDomain: 'spiffe://example.org' (expected: a trust domain such as example.org,"
                        + " without spiffe://)");
    }
}
