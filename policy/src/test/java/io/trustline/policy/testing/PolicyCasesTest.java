package io.trustline.policy.testing;

import static org.assertj.core.api.Assertions.assertThat;

import io.trustline.policy.PolicyLoader;
import io.trustline.policy.Resources;
import io.trustline.policy.engine.PolicyEngine;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Runs the YAML tables under {@code src/test/resources/cases/}: each directory holds policies and
 * {@code *.cases.yaml} files in the format users write, one dynamic test per case, named by its
 * note. They run through {@link CaseRunner}, the same code as {@code trustline-policy test}.
 */
class PolicyCasesTest {

    @TestFactory
    Stream<DynamicNode> everyCaseOfEveryTable() throws Exception {
        List<Path> dirs;
        try (Stream<Path> s = Files.list(Resources.path("/cases"))) {
            dirs = s.filter(Files::isDirectory).sorted().toList();
        }
        assertThat(dirs).isNotEmpty();
        return dirs.stream().map(PolicyCasesTest::table);
    }

    private static DynamicNode table(Path dir) {
        try {
            PolicyEngine engine = PolicyLoader.load(dir);
            List<Path> files = CaseFiles.list(dir);
            assertThat(files).as("cases files in %s", dir).isNotEmpty();
            Stream<DynamicNode> tests = files.stream()
                    .flatMap(f -> cases(f).stream().map(c -> (DynamicNode) DynamicTest.dynamicTest(c.note(), () -> {
                        CaseResult r = CaseRunner.run(engine, c);
                        assertThat(r.mismatches())
                                .as(
                                        "%s: %s%ngot: %s%n%s",
                                        c.origin(),
                                        c.note(),
                                        r.actual(),
                                        r.explanation() == null
                                                ? ""
                                                : r.explanation().render())
                                .isEmpty();
                    })));
            return DynamicContainer.dynamicContainer(dir.getFileName().toString(), tests);
        } catch (Exception e) {
            throw new AssertionError("cannot load " + dir, e);
        }
    }

    private static List<PolicyCase> cases(Path f) {
        try {
            return CaseFiles.read(f, f.getFileName().toString());
        } catch (IOException | io.trustline.policy.error.PolicyParseException e) {
            throw new AssertionError(e);
        }
    }
}
