package io.trustline.policy;

import io.trustline.policy.error.PolicyError;
import io.trustline.policy.model.Origin;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Remembers where each name or section was declared first, across documents and files, and reports
 * every later declaration at its own position, pointing at the first.
 */
final class DuplicateCheck {

    private static final String ONE_PER_SERVICE = "; expected: at most one per service";

    private final Map<List<String>, Origin> firsts = new HashMap<>();
    private final List<PolicyError> errors = new ArrayList<>();

    /**
     * A name that must be unique within {@code scope} (a service, or {@code ""} for the whole set).
     *
     * @param section keeps the names of different sections apart, e.g. {@code "rateLimits"}
     * @param problem the message for a second declaration, without the first's position
     */
    void uniqueName(String section, String scope, String name, Origin at, String problem) {
        check(List.of(section, scope, name), at, problem, "");
    }

    /** A section that a service may declare at most once, in whichever policy. */
    void oncePerService(String section, String service, Origin at, String problem) {
        check(List.of(section, service), at, problem, ONE_PER_SERVICE);
    }

    /** Every second declaration, in the order they were met. */
    List<PolicyError> errors() {
        return errors;
    }

    private void check(List<String> key, Origin at, String problem, String expectation) {
        Origin first = firsts.putIfAbsent(key, at);
        if (first != null) {
            errors.add(new PolicyError(
                    at.file(), at.line(), at.column(), problem + " (first at " + first + expectation + ")"));
        }
    }
}
