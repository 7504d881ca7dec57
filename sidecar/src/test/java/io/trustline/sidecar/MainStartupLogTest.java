package io.trustline.sidecar;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Starts the real command line ({@link Main}) in its own JVM, as a container would, and reads what it prints until it
 * is ready: the start-up log must be the sidecar's own lines, with no SLF4J warning banner in front of them.
 */
class MainStartupLogTest {

    @TempDir
    Path dir;

    @Test
    void startsWithoutAnSlf4jReplayWarning() throws Exception {
        SidecarProcess.writeFileIdentity(dir);
        final Path config = SidecarProcess.writeConfig(dir, "");
        final Path output = dir.resolve("stderr.txt");
        final Process process =
                SidecarProcess.startUntilReady(config, output, List.of(), System.getProperty("java.class.path"));
        process.destroy();
        process.waitFor(10, TimeUnit.SECONDS);
        assertThat(Files.readString(output)).doesNotContain("SLF4J");
    }
}
