package io.trustline.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.trustline.ca.cli.TrustlineVersion;
import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The examples jar's command line (the demo and the shop's services): help, version, completion. */
class ShopCommandLineTest {

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int run(String... args) {
        final CommandLine commandLine = new CommandLine(new Shop());
        commandLine.setOut(new PrintWriter(out, true));
        commandLine.setErr(new PrintWriter(err, true));
        return commandLine.execute(args);
    }

    @Test
    void everySubcommandPrintsItsHelp() {
        for (String command : new String[] {"demo", "auth", "frontend", "orders", "inventory", "compose-init"}) {
            out.getBuffer().setLength(0);

            assertThat(run(command, "--help")).as(command).isZero();
            assertThat(out.toString()).startsWith("Usage: trustline-shop " + command + " ");
            assertThat(out.toString()).doesNotContain("\u001b[");
        }
        assertThat(err.toString()).isEmpty();
    }

    @Test
    void versionIsTheProjectVersionSharedWithTheOtherTools() {
        final String expected = "trustline-shop " + TrustlineVersion.projectVersion() + System.lineSeparator();

        assertThat(run("-V")).isZero();
        assertThat(run("demo", "-V")).isZero();
        assertThat(out.toString()).isEqualTo(expected + expected);
    }

    @Test
    void generatesACompletionScriptNamingEverySubcommand() {
        assertThat(run("generate-completion")).isZero();
        assertThat(out.toString())
                .startsWith("#!/usr/bin/env bash")
                .contains("complete -F _complete_trustline-shop")
                .contains(" demo", " auth", " frontend", " orders", " inventory", " compose-init", "--once");
    }
}
