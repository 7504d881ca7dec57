package io.trustline.sidecar.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The words an operator gets for a file the config names and the sidecar cannot read. A mode-000 file cannot be
 * produced for the tests, which run as root (root reads any file), so permission denied is checked with the exception
 * {@code Files.readString} throws for it.
 */
class FileReadErrorsTest {

    @TempDir
    Path dir;

    @Test
    void saysTheFileDoesNotExist() {
        final Path missing = dir.resolve("cert.pem");
        assertThatThrownBy(() -> FileReadErrors.readString("identity.certFile", missing))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("identity.certFile: " + missing + ": does not exist");
    }

    @Test
    void saysADirectoryIsNotAFile() throws Exception {
        final Path directory = Files.createDirectory(dir.resolve("cert.pem"));
        assertThatThrownBy(() -> FileReadErrors.readString("identity.certFile", directory))
                .hasMessage("identity.certFile: " + directory + ": is a directory, not a file");
    }

    @Test
    void saysPermissionDenied() {
        final Path file = dir.resolve("key.pem");
        assertThat(FileReadErrors.describe(file, new AccessDeniedException(file.toString())))
                .isEqualTo("cannot be read: permission denied");
    }
}
