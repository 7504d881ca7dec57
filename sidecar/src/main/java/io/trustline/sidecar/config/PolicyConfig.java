package io.trustline.sidecar.config;

import static java.util.Objects.requireNonNull;

import java.nio.file.Path;

/** Where policy files live; reloaded when they change. */
public record PolicyConfig(Path dir) {
    public PolicyConfig {
        requireNonNull(dir, "dir");
    }
}
