package io.trustline.policy.yaml;

import io.trustline.policy.error.PolicyError;
import java.util.ArrayList;
import java.util.List;

/**
 * Collects every located problem of one file so a reader can report them all, not only the first, and the
 * warnings (valid, but probably not meant).
 */
public final class Problems {

    private final String file;
    private final List<PolicyError> errors = new ArrayList<>();
    private final List<PolicyError> warnings = new ArrayList<>();

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

    /** Something valid but probably not meant: reported, never a reason to reject the file. */
    public void warn(YamlNode node, String message) {
        warn(node.location(), message);
    }

    /** Something valid but probably not meant, at {@code location}. */
    public void warn(Location location, String message) {
        warnings.add(new PolicyError(file, location.line(), location.column(), message));
    }

    /** The warnings added since the first {@code from} warnings, for the policy being read. */
    public List<PolicyError> warningsFrom(int from) {
        return List.copyOf(warnings.subList(from, warnings.size()));
    }

    public int warningCount() {
        return warnings.size();
    }

    public int count() {
        return errors.size();
    }

    public List<PolicyError> errors() {
        return List.copyOf(errors);
    }
}
