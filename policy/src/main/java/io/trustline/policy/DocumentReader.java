package io.trustline.policy;

import io.trustline.policy.model.Cors;
import io.trustline.policy.model.Deprecation;
import io.trustline.policy.model.JwtProvider;
import io.trustline.policy.model.Mode;
import io.trustline.policy.model.Penalty;
import io.trustline.policy.model.Policy;
import io.trustline.policy.model.RateLimit;
import io.trustline.policy.model.RequestLimits;
import io.trustline.policy.model.Rule;
import io.trustline.policy.yaml.Fields;
import io.trustline.policy.yaml.Problems;
import io.trustline.policy.yaml.YamlList;
import io.trustline.policy.yaml.YamlNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * Reads one policy document: {@code apiVersion}, {@code kind}, {@code metadata} and the {@code
 * spec} fields of its own, and hands each section of {@code spec} to that section's reader.
 */
final class DocumentReader {

    static final String API_VERSION = "trustline.io/v1";
    static final String KIND = "Policy";

    private static final Pattern NAME = Pattern.compile("[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?");
    private static final Pattern SERVICE = Pattern.compile("[A-Za-z0-9]([-A-Za-z0-9._]{0,251}[A-Za-z0-9])?");

    private final Problems problems;
    private final Path baseDir;

    DocumentReader(Problems problems, Path baseDir) {
        this.problems = problems;
        this.baseDir = baseDir;
    }

    /** The policy of {@code doc}, or null when it is too broken to name one; problems are reported either way. */
    @Nullable
    Policy policy(YamlNode doc) {
        Fields root = Fields.of(doc, "", problems);
        if (root == null) {
            return null;
        }
        root.allowOnly("apiVersion", "kind", "metadata", "spec");
        String apiVersion = root.requiredString("apiVersion");
        if (apiVersion != null && !apiVersion.equals(API_VERSION)) {
            problems.add(
                    root.locationOf("apiVersion"), "apiVersion: '" + apiVersion + "' (expected: " + API_VERSION + ")");
        }
        String kind = root.requiredString("kind");
        if (kind != null && !kind.equals(KIND)) {
            problems.add(root.locationOf("kind"), "kind: '" + kind + "' (expected: " + KIND + ")");
        }
        String name = metadataName(root);
        YamlNode specNode = root.required("spec");
        if (specNode == null) {
            return null;
        }
        Fields spec = Fields.of(specNode, "spec", problems);
        if (spec == null) {
            return null;
        }
        spec.allowOnly(
                "service", "mode", "jwt", "rules", "rateLimits", "penalty", "cors", "requestLimits", "deprecations");
        int warningsBefore = problems.warningCount();
        String service = spec.requiredString("service");
        if (service != null && !SERVICE.matcher(service).matches()) {
            problems.add(
                    spec.locationOf("service"),
                    "spec.service: '" + service
                            + "' (expected: letters, digits, '-', '_' and '.', starting and ending with a letter or digit)");
        }
        // Read before the sections: every entry inherits the policy's mode.
        Mode policyMode = ReadContext.mode(spec, "mode", Mode.ENFORCE);
        ReadContext ctx = new ReadContext(problems, policyMode, baseDir);
        List<JwtProvider> jwt = sectionList(spec, "jwt", new JwtReader(ctx)::jwt);
        List<Rule> rules = sectionList(spec, "rules", new RuleReader(ctx)::rule);
        RuleReader.checkUniqueNames(spec, problems);
        List<RateLimit> limits = sectionList(spec, "rateLimits", new RateLimitReader(ctx)::rateLimit);
        YamlNode penaltyNode = spec.node("penalty");
        Penalty penalty = penaltyNode != null ? new PenaltyReader(ctx).penalty(penaltyNode) : null;
        YamlNode corsNode = spec.node("cors");
        Cors cors = corsNode != null ? new CorsReader(ctx).cors(corsNode) : null;
        YamlNode requestLimitsNode = spec.node("requestLimits");
        RequestLimits requestLimits =
                requestLimitsNode != null ? new RequestLimitsReader(ctx).requestLimits(requestLimitsNode) : null;
        List<Deprecation> deprecations = sectionList(spec, "deprecations", new DeprecationReader(ctx)::deprecation);
        if (name == null || service == null) {
            return null;
        }
        return new Policy(
                name,
                service,
                policyMode,
                jwt,
                rules,
                limits,
                Optional.ofNullable(penalty),
                Optional.ofNullable(cors),
                Optional.ofNullable(requestLimits),
                deprecations,
                problems.warningsFrom(warningsBefore),
                ctx.origin(doc.location()));
    }

    @Nullable
    private String metadataName(Fields root) {
        YamlNode metaNode = root.required("metadata");
        if (metaNode == null) {
            return null;
        }
        Fields meta = Fields.of(metaNode, "metadata", problems);
        if (meta == null) {
            return null;
        }
        meta.allowOnly("name");
        String name = meta.requiredString("name");
        if (name != null && !NAME.matcher(name).matches()) {
            problems.add(
                    meta.locationOf("name"),
                    "metadata.name: '" + name
                            + "' (expected: lower-case letters, digits, '-' and '.', starting and ending with a letter or digit)");
        }
        return name;
    }

    /**
     * A top-level section list. Unlike match lists, an empty section is allowed and means "none":
     * {@code rules: []} contributes no rule, which cannot be mistaken for "no constraint".
     */
    private <T> List<T> sectionList(Fields spec, String key, Function<YamlNode, @Nullable T> item) {
        YamlNode n = spec.node(key);
        if (n == null) {
            return List.of();
        }
        if (!(n instanceof YamlList l)) {
            problems.add(n, spec.name(key) + ": " + Fields.got(n) + " (expected: a list)");
            return List.of();
        }
        List<T> out = new ArrayList<>();
        for (YamlNode i : l.items()) {
            T v = item.apply(i);
            if (v != null) {
                out.add(v);
            }
        }
        return out;
    }
}
