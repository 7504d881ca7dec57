package io.trustline.policy.error;

import java.util.List;
import java.util.stream.Collectors;

/**
 * Policy or cases files failed validation. Carries every problem found (not only the first), each
 * with its {@code file:line:column}; the message is those lines joined.
 */
public final class PolicyParseException extends Exception {

    private final List<PolicyError> errors;

    public PolicyParseException(List<PolicyError> errors) {
        super(errors.stream().sorted().map(PolicyError::toString).collect(Collectors.joining("\n")));
        if (errors.isEmpty()) {
            throw new IllegalArgumentException("errors: empty (expected: at least one error)");
        }
        this.errors = errors.stream().sorted().toList();
    }

    /** The problems, sorted by file, line and column. */
    public List<PolicyError> errors() {
        return errors;
    }
}
