package io.trustline.sidecar;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.util.ResourceLeakDetector;
import io.trustline.ca.cli.TrustlineVersion;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The sidecar's command line as an operator meets it before any config exists: help, version, completion. */
class MainCommandLineTest {

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int run(String... args) {
        final CommandLine commandLine = new CommandLine(new Main());
        commandLine.setOut(new PrintWriter(out, true));
        commandLine.setErr(new PrintWriter(err, true));
        return commandLine.execute(args);
    }

    @Test
    void versionIsTheProjectVersionSharedWithTheOtherTools() {
        assertThat(run("-V")).isZero();
        assertThat(out.toString())
                .isEqualTo("trustline-sidecar " + TrustlineVersion.projectVersion() + System.lineSeparator());
    }

    @Test
    void helpNeedsNoConfigAndHasNoColourOffATerminal() {
        assertThat(run("--help")).isZero();
        assertThat(out.toString())
                .startsWith("Usage: trustline-sidecar ")
                .contains("--config=<config>", "--check", "generate-completion")
                .doesNotContain("\u001b[");
        assertThat(err.toString()).isEmpty();
    }

    @Test
    void generatesACompletionScriptWithoutAConfig() {
        assertThat(run("generate-completion")).isZero();
        assertThat(out.toString())
                .startsWith("#!/usr/bin/env bash")
                .contains("complete -F _complete_trustline-sidecar", "--config", "--check");
    }

    @Test
    void switchesNettyLeakDetectionOffUnlessTheOperatorChoseALevel() {
        assertThat(Main.leakDetectionDefault(name -> null)).isEqualTo(ResourceLeakDetector.Level.DISABLED);
        assertThat(Main.leakDetectionDefault(Map.of("io.netty.leakDetection.level", "paranoid")::get))
                .isNull();
        assertThat(Main.leakDetectionDefault(Map.of("io.netty.leakDetectionLevel", "simple")::get))
                .isNull();
    }
}
