package io.trustline.sidecar.config;

import java.util.List;

/** A config file that cannot be used; every message is {@code file:line:column: what is wrong}. */
public final class ConfigException extends Exception {

    private final List<String> errors;

    public ConfigException(List<String> errors) {
        super(String.join("\n", errors));
        this.errors = List.copyOf(errors);
    }

    public ConfigException(String error) {
        this(List.of(error));
    }

    public List<String> errors() {
        return errors;
    }
}
