package io.trustline.ca.cli;

import io.trustline.ca.store.CaDirectory;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import picocli.CommandLine.Option;

/** The {@code --dir} option that every command but {@code init} shares. */
final class DirOption {

    @Option(names = "--dir", required = true, paramLabel = "DIR", description = "The CA directory.")
    Path dir;

    CaDirectory open(Clock clock) throws IOException {
        return CaDirectory.open(dir, clock);
    }
}
