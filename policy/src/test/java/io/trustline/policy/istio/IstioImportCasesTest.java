package io.trustline.policy.istio;

import static org.assertj.core.api.Assertions.assertThat;

import io.trustline.policy.PolicyLoader;
import io.trustline.policy.Resources;
import io.trustline.policy.cli.PolicyCli;
import io.trustline.policy.engine.AuthzRequest;
import io.trustline.policy.engine.PolicyEngine;
import io.trustline.policy.testing.CaseFiles;
import io.trustline.policy.testing.PolicyCase;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs the Istio examples under {@code src/test/resources/istio/}, each through the real CLI: {@code import-istio}
 * on {@code input.yaml} (with the options in {@code args}), then {@code check} and {@code test} on what it wrote,
 * with {@code import.cases.yaml}: requests and the decision Istio's documented semantics give them, each with a
 * note saying why; and each request once more through the engine's explanation, which {@code explain} prints.
 * {@code report.txt} holds the expected exit code and lines the report must contain ({@code {input}} stands for the
 * input file).
 */
class IstioImportCasesTest {

    @TempDir
    Path tmp;

    @TestFactory
    Stream<DynamicTest> everyIstioExampleConvertsAndDecidesAsIstioDoes() throws IOException {
        List<Path> dirs;
        try (Stream<Path> s = Files.list(Resources.path("/istio"))) {
            dirs = s.filter(Files::isDirectory).sorted().toList();
        }
        assertThat(dirs).hasSizeGreaterThanOrEqualTo(8);
        return dirs.stream().map(d -> DynamicTest.dynamicTest(d.getFileName().toString(), () -> example(d)));
    }

    private void example(Path dir) throws Exception {
        Path input = dir.resolve("input.yaml");
        Path out = tmp.resolve(dir.getFileName().toString());
        List<String> args = new ArrayList<>(List.of("import-istio", "--out", out.toString()));
        if (Files.exists(dir.resolve("args"))) {
            args.addAll(Files.readAllLines(dir.resolve("args"), StandardCharsets.UTF_8));
        }
        args.add(input.toString());
        List<String> expected = Files.readAllLines(dir.resolve("report.txt"), StandardCharsets.UTF_8).stream()
                .map(l -> l.replace("{input}", input.toString()))
                .toList();
        int exit = Integer.parseInt(expected.get(0).substring("exit: ".length()));

        Run imported = cli(args.toArray(String[]::new));
        assertThat(imported.code).as("exit code of import-istio%n%s", imported).isEqualTo(exit);
        for (String line : expected.subList(1, expected.size())) {
            assertThat(imported.err).as("report").contains(line);
        }
        // Every field that could not be converted is one the example expects: nothing else was lost.
        assertThat(imported.err.lines().filter(l -> l.contains(": cannot convert: ")))
                .as("report%n%s", imported.err)
                .hasSize((int) expected.stream()
                        .filter(l -> l.contains(": cannot convert: "))
                        .count());
        if (exit != 0) {
            assertThat(out).as("nothing written when the import fails").doesNotExist();
            return;
        }
        Run check = cli("check", out.toString());
        assertThat(check.code).as("check of the converted policies%n%s", check).isZero();

        Files.copy(dir.resolve("import.cases.yaml"), out.resolve("import.cases.yaml"));
        Run test = cli("test", "-v", out.toString());
        assertThat(test.code).as("Istio's decisions%n%s", test).isZero();
        assertThat(test.out).doesNotContain("FAIL").contains(" passed, 0 failed");

        // What `explain` prints comes from the engine's explanation: it must decide each case the same way.
        PolicyEngine engine = PolicyLoader.load(out);
        for (PolicyCase c : CaseFiles.read(out.resolve("import.cases.yaml"), "import.cases.yaml")) {
            AuthzRequest request = c.request().prepare().request();
            assertThat(request).as(c.note()).isNotNull();
            assertThat(engine.explain(request).decision().allowed())
                    .as("explain: %s", c.note())
                    .isEqualTo(c.expect().allow());
        }
    }

    private record Run(int code, String out, String err) {
        @Override
        public String toString() {
            return "stdout:\n" + out + "stderr:\n" + err;
        }
    }

    private static Run cli(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = PolicyCli.run(new PrintWriter(out), new PrintWriter(err), args);
        return new Run(code, out.toString(), err.toString());
    }
}
