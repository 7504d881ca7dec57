package io.trustline.policy.model;

import static java.util.Objects.requireNonNull;

import io.trustline.policy.error.PolicyError;
import java.util.List;
import java.util.Optional;

/**
 * One policy document ({@code kind: Policy}). Several policies may target the same service; their
 * rules, issuers and limits are merged (see {@code ServicePolicy}).
 *
 * @param name {@code metadata.name}, unique across the loaded directory
 * @param service {@code spec.service}: the service whose inbound sidecar enforces it
 * @param mode {@code spec.mode}; the effective modes of its rules, issuers and limits already
 *     account for it
 * @param cors {@code spec.cors}; empty: the sidecar takes no part in CORS
 * @param requestLimits {@code spec.requestLimits}; empty: no query or header-count limits from policy
 * @param deprecations {@code spec.deprecations}
 * @param warnings what is valid but probably not meant (a {@code *} CORS origin), with its position;
 *     reported by {@code check} and logged at load, never a reason to reject the file
 */
public record Policy(
        String name,
        String service,
        Mode mode,
        List<JwtProvider> jwt,
        List<Rule> rules,
        List<RateLimit> rateLimits,
        Optional<Penalty> penalty,
        Optional<Cors> cors,
        Optional<RequestLimits> requestLimits,
        List<Deprecation> deprecations,
        List<PolicyError> warnings,
        Origin origin) {

    /** A policy without the edge sections ({@code cors}, {@code requestLimits}, {@code deprecations}). */
    public Policy(
            String name,
            String service,
            Mode mode,
            List<JwtProvider> jwt,
            List<Rule> rules,
            List<RateLimit> rateLimits,
            Optional<Penalty> penalty,
            Origin origin) {
        this(
                name,
                service,
                mode,
                jwt,
                rules,
                rateLimits,
                penalty,
                Optional.empty(),
                Optional.empty(),
                List.of(),
                List.of(),
                origin);
    }

    public Policy {
        requireNonNull(name, "name");
        requireNonNull(service, "service");
        requireNonNull(mode, "mode");
        jwt = List.copyOf(jwt);
        rules = List.copyOf(rules);
        rateLimits = List.copyOf(rateLimits);
        requireNonNull(penalty, "penalty");
        requireNonNull(cors, "cors");
        requireNonNull(requestLimits, "requestLimits");
        deprecations = List.copyOf(deprecations);
        warnings = List.copyOf(warnings);
        requireNonNull(origin, "origin");
    }

    /** A policy with only rules, enforced. */
    public static Policy of(String name, String service, Rule... rules) {
        return new Policy(
                name,
                service,
                Mode.ENFORCE,
                List.of(),
                List.of(rules),
                List.of(),
                Optional.empty(),
                Origin.PROGRAMMATIC);
    }
}
