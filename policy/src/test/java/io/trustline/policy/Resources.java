package io.trustline.policy;

import java.net.URISyntaxException;
import java.nio.file.Path;

/** Test resources as paths. */
public final class Resources {

    private Resources() {}

    public static Path path(String name) {
        try {
            return Path.of(Resources.class.getResource(name).toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }
}
