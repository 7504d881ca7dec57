package io.trustline.policy.model;

import static java.util.Objects.requireNonNull;

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
 */
public record Policy(
        String name,
        String service,
        Mode mode,
        List<JwtProvider> jwt,
        List<Rule> rules,
        List<RateLimit> rateLimits,
        Optional<Penalty> penalty,
        Origin origin) {

    public Policy {
        requireNonNull(name, "name");
        requireNonNull(service, "service");
        requireNonNull(mode, "mode");
        jwt = List.copyOf(jwt);
        rules = List.copyOf(rules);
        rateLimits = List.copyOf(rateLimits);
        requireNonNull(penalty, "penalty");
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
