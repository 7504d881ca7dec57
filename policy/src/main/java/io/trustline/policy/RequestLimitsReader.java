package io.trustline.policy;

import io.trustline.policy.model.Mode;
import io.trustline.policy.model.RequestLimits;
import io.trustline.policy.yaml.Fields;
import io.trustline.policy.yaml.Problems;
import io.trustline.policy.yaml.YamlNode;
import org.jspecify.annotations.Nullable;

/** Reads {@code spec.requestLimits}: caps on query parameters, query bytes and header count. */
final class RequestLimitsReader {

    private final ReadContext ctx;
    private final Problems problems;

    RequestLimitsReader(ReadContext ctx) {
        this.ctx = ctx;
        this.problems = ctx.problems();
    }

    @Nullable
    RequestLimits requestLimits(YamlNode n) {
        Fields f = ctx.nonEmptyMap(n, "requestLimits");
        if (f == null) {
            return null;
        }
        int before = problems.count();
        f.allowOnly("maxQueryParams", "maxQueryBytes", "maxHeaderCount", "mode");
        Long params = f.optionalLong("maxQueryParams", 1, 10_000);
        Long bytes = f.optionalLong("maxQueryBytes", 1, 1_048_576);
        Long headers = f.optionalLong("maxHeaderCount", 1, 10_000);
        if (!f.has("maxQueryParams") && !f.has("maxQueryBytes") && !f.has("maxHeaderCount")) {
            problems.add(
                    n,
                    "requestLimits: no limit (expected: at least one of maxQueryParams, maxQueryBytes, maxHeaderCount)");
        }
        Mode mode = ctx.entryMode(f);
        if (problems.count() != before) {
            return null;
        }
        return new RequestLimits(
                params == null ? 0 : params.intValue(),
                bytes == null ? 0 : bytes.intValue(),
                headers == null ? 0 : headers.intValue(),
                mode,
                ctx.origin(n.location()));
    }
}
