package io.trustline.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.trustline.policy.error.PolicyParseException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * The table in {@code src/test/resources/malformed/expected.yaml}: every malformed file gives
 * exactly the listed {@code line:column: message} errors, all of them, in order.
 */
class MalformedPolicyTest {

    @TempDir
    Path tmp;

    @TestFactory
    Stream<DynamicTest> everyMalformedFileReportsEveryErrorWithItsPosition() throws Exception {
        Path dir = Resources.path("/malformed");
        JsonNode table = new ObjectMapper(new YAMLFactory())
                .readTree(dir.resolve("expected.yaml").toFile());
        List<DynamicTest> tests = new ArrayList<>();
        for (JsonNode entry : table) {
            String file = entry.get("file").asText();
            List<String> expected = new ArrayList<>();
            entry.get("errors").forEach(e -> expected.add(e.asText()));
            tests.add(DynamicTest.dynamicTest(file + ": " + entry.get("note").asText(), () -> {
                // Loaded alone from its own directory, as the sidecar would load it.
                Path one = Files.createDirectories(tmp.resolve(file + ".d"));
                Files.copy(dir.resolve(file), one.resolve(file));
                PolicyParseException e = catchThrowableOfType(PolicyParseException.class, () -> PolicyLoader.load(one));
                assertThat(e).as("%s must be rejected", file).isNotNull();
                List<String> actual = e.errors().stream()
                        .map(x -> x.line() + ":" + x.column() + ": " + x.message())
                        .toList();
                assertThat(actual).as("errors of %s", file).hasSameSizeAs(expected);
                for (int i = 0; i < expected.size(); i++) {
                    assertThat(actual.get(i)).startsWith(expected.get(i));
                }
                assertThat(e.errors()).allSatisfy(x -> assertThat(x.file()).endsWith(file));
                assertThat(e.getMessage())
                        .contains(file + ":"
                                + expected.get(0).substring(0, expected.get(0).indexOf(' ')));
            }));
        }
        return tests.stream();
    }
}
