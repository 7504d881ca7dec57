package io.trustline.sidecar.refusal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The reason table of docs/policy.md ("Decisions and reason codes") and {@link ReasonCode} hold the same codes: an
 * operator who reads a code in a log finds it in the table, and the table promises no code the sidecar never sends.
 */
class ReasonCodeDocumentedTest {

    private static final Path POLICY_DOC = Path.of("..", "docs", "policy.md");
    private static final String SECTION = "## Decisions and reason codes";
    private static final Pattern CODE = Pattern.compile("`([a-z]+\\.[a-z_]+)`");

    @Test
    void everyReasonCodeIsInTheDocsTable() throws IOException {
        final Set<String> missing = codes();
        missing.removeAll(tableCodes(Files.readAllLines(POLICY_DOC)));

        assertThat(missing)
                .as("reason codes missing from the table of %s", POLICY_DOC)
                .isEmpty();
    }

    @Test
    void theDocsTableListsNoCodeTheSidecarDoesNotHave() throws IOException {
        final Set<String> unknown = tableCodes(Files.readAllLines(POLICY_DOC));
        unknown.removeAll(codes());

        assertThat(unknown)
                .as("codes in the table of %s that ReasonCode lacks", POLICY_DOC)
                .isEmpty();
    }

    @Test
    void everyReasonCodeIsSpelledOnce() {
        assertThat(Arrays.stream(ReasonCode.values()).map(ReasonCode::code)).doesNotHaveDuplicates();
    }

    @Test
    void readsEveryCodeOfARowIncludingGroupedOnesAndStopsAtTheNextSection() {
        final List<String> doc = List.of(
                "## Before",
                "| `outside.before` | not in the section |",
                SECTION,
                "",
                "| code | meaning |",
                "| --- | --- |",
                "| `authz.allowed` | an ALLOW rule matched, unlike `not.a_code` in this cell |",
                "| `request.query_too_long`, `request.too_many_headers` (431) | grouped |",
                "",
                "Callers see only the code, e.g. `prose.code`.",
                "## After",
                "| `outside.after` | not in the section |");

        assertThat(tableCodes(doc))
                .containsExactlyInAnyOrder("authz.allowed", "request.query_too_long", "request.too_many_headers");
    }

    @Test
    void aDocWithoutTheSectionIsAnErrorNotAnEmptyTable() {
        assertThatThrownBy(() -> tableCodes(List.of("## Other", "| `authz.allowed` | x |")))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining(SECTION);
    }

    private static Set<String> codes() {
        return Arrays.stream(ReasonCode.values()).map(ReasonCode::code).collect(Collectors.toCollection(TreeSet::new));
    }

    /** The codes in the first column of the section's table rows; a row may name several codes. */
    private static Set<String> tableCodes(List<String> lines) {
        final int start = lines.indexOf(SECTION);
        if (start < 0) {
            throw new AssertionError("no section '" + SECTION + "' in " + POLICY_DOC);
        }
        final Set<String> codes = new TreeSet<>();
        for (String line : lines.subList(start + 1, lines.size())) {
            if (line.startsWith("## ")) {
                break;
            }
            if (!line.startsWith("|")) {
                continue;
            }
            final String firstCell = line.substring(1, line.indexOf('|', 1));
            final Matcher m = CODE.matcher(firstCell);
            while (m.find()) {
                codes.add(m.group(1));
            }
        }
        return codes;
    }
}
