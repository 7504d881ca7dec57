package io.trustline.policy.engine;

import static java.util.Objects.requireNonNull;

import io.trustline.policy.model.Cors;
import io.trustline.policy.model.Deprecation;
import io.trustline.policy.model.JwtProvider;
import io.trustline.policy.model.Mode;
import io.trustline.policy.model.Penalty;
import io.trustline.policy.model.Policy;
import io.trustline.policy.model.RateLimit;
import io.trustline.policy.model.RequestLimits;
import java.util.List;
import java.util.Optional;

/**
 * Everything the policies of one service say, merged: the sidecar reads its JWT issuers, rate
 * limits, penalty box, CORS, request limits and deprecations from here. Policies are in name order; within a policy, entries keep
 * file order.
 */
public record ServicePolicy(
        String service,
        List<Policy> policies,
        List<JwtProvider> jwt,
        List<RateLimit> rateLimits,
        Optional<Penalty> penalty,
        Optional<Cors> cors,
        Optional<RequestLimits> requestLimits,
        List<Deprecation> deprecations) {

    public ServicePolicy {
        requireNonNull(service, "service");
        policies = List.copyOf(policies);
        jwt = List.copyOf(jwt);
        rateLimits = List.copyOf(rateLimits);
        requireNonNull(penalty, "penalty");
        requireNonNull(cors, "cors");
        requireNonNull(requestLimits, "requestLimits");
        deprecations = List.copyOf(deprecations);
    }

    static ServicePolicy merge(String service, List<Policy> sorted) {
        return new ServicePolicy(
                service,
                sorted,
                sorted.stream().flatMap(p -> p.jwt().stream()).toList(),
                sorted.stream().flatMap(p -> p.rateLimits().stream()).toList(),
                sorted.stream().flatMap(p -> p.penalty().stream()).findFirst(),
                sorted.stream().flatMap(p -> p.cors().stream()).findFirst(),
                sorted.stream().flatMap(p -> p.requestLimits().stream()).findFirst(),
                sorted.stream().flatMap(p -> p.deprecations().stream()).toList());
    }

    /** Whether at least one policy of the service is enforced (not in audit mode). */
    public boolean hasEnforcedPolicy() {
        return policies.stream().anyMatch(p -> p.mode() == Mode.ENFORCE);
    }
}
