package io.trustline.ca.cli;

import io.trustline.ca.store.CaDirectory;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

@Command(name = "bundle", description = "Print the trust bundle as PEM or as a SPIFFE bundle (JWK Set).")
final class BundleCommand implements Callable<Integer> {

    /** How often a federating peer should poll for changes ({@code spiffe_refresh_hint}). */
    static final Duration REFRESH_HINT = Duration.ofMinutes(5);

    enum Format {
        pem,
        spiffe
    }

    @ParentCommand
    TrustlineCa parent;

    @Spec
    CommandSpec spec;

    @Mixin
    DirOption dir;

    @Option(names = "--format", paramLabel = "FORMAT", defaultValue = "pem", description = "pem (default) or spiffe.")
    Format format;

    @Override
    public Integer call() throws Exception {
        final CaDirectory ca = dir.open(parent.clock);
        final String text = format == Format.pem
                ? ca.certificateAuthority().trustBundle().toPem()
                : ca.certificateAuthority().trustBundle().toSpiffeJson(ca.bundleSequence(), REFRESH_HINT) + "\n";
        spec.commandLine().getOut().print(text);
        return 0;
    }
}
