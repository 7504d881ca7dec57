package io.trustline.policy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Every key a policy reader accepts appears in the field reference of docs/policy.md. The accepted keys are read from
 * the readers' own allowed-key lists (their {@code allowOnly(...)} calls), so a key added to a reader without a line
 * in the reference fails here.
 */
class FieldReferenceDocsTest {

    private static final Path DOC = Path.of("..", "docs", "policy.md");
    private static final Path READERS = Path.of("src", "main", "java", "io", "trustline", "policy");
    private static final Pattern ALLOW_ONLY = Pattern.compile("allowOnly\\(([^;]*?)\\);", Pattern.DOTALL);
    private static final Pattern LITERAL = Pattern.compile("\"([^\"]+)\"");
    private static final Pattern CODE_SPAN = Pattern.compile("`([^`\n]+)`");
    private static final Pattern YAML_KEY = Pattern.compile("(?m)(?:^|[\\s{,])([A-Za-z][A-Za-z0-9]*):");

    @Test
    void everyAcceptedKeyIsInTheFieldReference() throws IOException {
        final String reference = fieldReference(Files.readString(DOC));
        final Set<String> shown = shownNames(reference);
        final List<String> missing = new ArrayList<>();
        for (String key : acceptedKeys()) {
            if (!shown.contains(key)) {
                missing.add(key);
            }
        }
        assertThat(missing)
                .as("keys the policy readers accept but docs/policy.md's field reference does not show")
                .isEmpty();
    }

    @Test
    void theReadersAllowedKeysAreFound() throws IOException {
        // Guards the test itself: a scan that found nothing would pass trivially.
        assertThat(acceptedKeys()).contains("apiVersion", "principals", "notPaths", "rateLimits", "maxStaleness");
    }

    /** The keys in the allowed-key lists of the policy readers (the cases-file reader is not a policy reader). */
    static Set<String> acceptedKeys() throws IOException {
        final Set<String> keys = new TreeSet<>();
        try (Stream<Path> files = Files.list(READERS)) {
            for (Path file :
                    files.filter(f -> f.toString().endsWith("Reader.java")).toList()) {
                final Matcher call = ALLOW_ONLY.matcher(Files.readString(file));
                while (call.find()) {
                    final Matcher literal = LITERAL.matcher(call.group(1));
                    while (literal.find()) {
                        keys.add(literal.group(1));
                    }
                }
            }
        }
        return keys;
    }

    /**
     * The names the reference shows: each part of a code span ({@code `spec.rules`}, {@code `jwksCache.maxStaleness`},
     * {@code `{value, rate, burst}`}), and each key of its YAML examples ({@code key:}).
     */
    private static Set<String> shownNames(String reference) {
        final Set<String> names = new TreeSet<>();
        final Matcher span = CODE_SPAN.matcher(reference);
        while (span.find()) {
            names.addAll(List.of(span.group(1).split("[^A-Za-z0-9_]+")));
        }
        final Matcher yamlKey = YAML_KEY.matcher(reference);
        while (yamlKey.find()) {
            names.add(yamlKey.group(1));
        }
        return names;
    }

    private static String fieldReference(String doc) {
        final int start = doc.indexOf("## Field reference");
        assertThat(start).as("a '## Field reference' section in %s", DOC).isNotNegative();
        final Matcher next = Pattern.compile("(?m)^## ").matcher(doc);
        final int end = next.find(start + 3) ? next.start() : doc.length();
        return doc.substring(start, end);
    }
}
