package io.trustline.policy.testing;

import io.trustline.policy.engine.Explanation;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The result of one case.
 *
 * @param mismatches empty when the case passed
 * @param explanation why the engine decided as it did; null when the path was rejected first
 */
public record CaseResult(
        PolicyCase testCase,
        Outcome actual,
        List<String> mismatches,
        @Nullable Explanation explanation) {

    public CaseResult {
        mismatches = List.copyOf(mismatches);
    }

    public boolean passed() {
        return mismatches.isEmpty();
    }
}
