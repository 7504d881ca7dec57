package io.trustline.policy;

import io.trustline.policy.error.PolicyError;
import io.trustline.policy.error.PolicyParseException;
import io.trustline.policy.model.Deprecation;
import io.trustline.policy.model.JwtProvider;
import io.trustline.policy.model.Policy;
import io.trustline.policy.model.RateLimit;
import io.trustline.policy.yaml.Problems;
import io.trustline.policy.yaml.YamlDocuments;
import io.trustline.policy.yaml.YamlNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads policy documents ({@code apiVersion: trustline.io/v1}, {@code kind: Policy}) from YAML and
 * validates them. Unknown fields, wrong types and bad values are all errors; every error of a file
 * is reported with its {@code file:line:column}. {@link #validateTogether} adds the checks that
 * span files (names and issuers declared twice).
 *
 * <p>Each document is read by a {@code DocumentReader}, which hands every section of {@code spec}
 * to that section's reader ({@code RuleReader}, {@code JwtReader}, {@code RateLimitReader}, ...).
 */
public final class PolicyParser {

    public static final String API_VERSION = DocumentReader.API_VERSION;
    public static final String KIND = DocumentReader.KIND;

    private PolicyParser() {}

    /**
     * Parses every document of one file.
     *
     * @param file the name used in error messages
     * @param baseDir the directory that relative {@code jwksFile} paths are resolved against
     */
    public static List<Policy> parse(String file, String content, Path baseDir) throws PolicyParseException {
        Problems problems = new Problems(file);
        List<Policy> policies = parse(content, baseDir, problems);
        if (problems.count() > 0) {
            throw new PolicyParseException(problems.errors());
        }
        return policies;
    }

    /** Parses one file, adding problems to {@code problems}; returns what could be read. */
    static List<Policy> parse(String content, Path baseDir, Problems problems) {
        int before = problems.count();
        List<YamlNode> docs = YamlDocuments.read(content, problems);
        boolean yamlOk = problems.count() == before;
        List<Policy> out = new ArrayList<>();
        for (YamlNode doc : docs) {
            int errors = problems.count();
            Policy p = new DocumentReader(problems, baseDir).policy(doc);
            if (p != null && problems.count() == errors && yamlOk) {
                out.add(p);
            }
        }
        return out;
    }

    /**
     * Checks that span documents and files: policy names unique; per service, issuers, rate-limit
     * and deprecation names unique, and the penalty box, CORS and request limits declared once.
     * Errors come policy by policy, in the order of the sections.
     */
    public static List<PolicyError> validateTogether(List<Policy> policies) {
        DuplicateCheck check = new DuplicateCheck();
        for (Policy p : policies) {
            String service = p.service();
            check.uniqueName(
                    "metadata", "", p.name(), p.origin(), "metadata.name: duplicate policy name '" + p.name() + "'");
            for (JwtProvider j : p.jwt()) {
                check.uniqueName(
                        "jwt",
                        service,
                        j.issuer(),
                        j.origin(),
                        "jwt.issuer: '" + j.issuer() + "' is listed twice for service '" + service + "'");
            }
            for (RateLimit l : p.rateLimits()) {
                check.uniqueName(
                        "rateLimits",
                        service,
                        l.name(),
                        l.origin(),
                        "rateLimits.name: duplicate limit name '" + l.name() + "' for service '" + service + "'");
            }
            p.penalty()
                    .ifPresent(x -> check.oncePerService(
                            "penalty",
                            service,
                            x.origin(),
                            "penalty: a second penalty box for service '" + service + "'"));
            p.cors()
                    .ifPresent(x -> check.oncePerService(
                            "cors", service, x.origin(), "cors: a second CORS section for service '" + service + "'"));
            p.requestLimits()
                    .ifPresent(x -> check.oncePerService(
                            "requestLimits",
                            service,
                            x.origin(),
                            "requestLimits: a second requestLimits section for service '" + service + "'"));
            for (Deprecation d : p.deprecations()) {
                check.uniqueName(
                        "deprecations",
                        service,
                        d.name(),
                        d.origin(),
                        "deprecations.name: duplicate deprecation name '" + d.name() + "' for service '" + service
                                + "'");
            }
        }
        return check.errors();
    }
}
