package io.trustline.sidecar;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The real command line in its own JVM, stopped with SIGTERM as a container runtime stops it. */
class MainShutdownTest {

    @TempDir
    Path dir;

    @Test
    void anIdleSidecarExitsPromptlyOnSigterm() throws Exception {
        SidecarProcess.writeFileIdentity(dir);
        final Path config = SidecarProcess.writeConfig(dir, "shutdown: {drainTimeout: 30s}\n");
        final Process process = SidecarProcess.startUntilReady(
                config, dir.resolve("output.txt"), List.of(), System.getProperty("java.class.path"));
        try {
            process.destroy(); // SIGTERM
            // Nothing in flight: the listeners have nothing to drain, so the long drain timeout is never waited for.
            assertThat(process.waitFor(15, TimeUnit.SECONDS))
                    .as("exited well within the 30 s drain timeout")
                    .isTrue();
        } finally {
            process.destroyForcibly();
        }
    }
}
