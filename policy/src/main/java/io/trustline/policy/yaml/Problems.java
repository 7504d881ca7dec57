package io.trustline.policy.yaml;

import io.trustline.policy.PolicyError;
import java.util.ArrayList;
import java.util.List;

/** Collects every located problem of one file so a reader can report them all, not only the first. */
public final class Problems {

    private final String file;
    private final List<PolicyError> errors = new ArrayList<>();

    public Problems(String file) {
        this.file = file;
    }

    public String file() {
        return file;
    }

    public void add(Location location, String message) {
        errors.add(new PolicyError(file, location.line(), location.column(), message));
    }

    public void add(YamlNode node, String message) {
        add(node.location(), message);
    }

    public int count() {
        return errors.size();
    }

    public List<PolicyError> errors() {
        return List.copyOf(errors);
    }
}
