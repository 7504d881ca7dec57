package io.trustline.policy.engine;

import static java.util.Objects.requireNonNull;

import io.trustline.policy.model.JwtProvider;
import io.trustline.policy.model.Mode;
import io.trustline.policy.model.Penalty;
import io.trustline.policy.model.Policy;
import io.trustline.policy.model.RateLimit;
import java.util.List;
import java.util.Optional;

/**
 * One version of the policies of one service, compiled and immutable: what the inbound sidecar of that service
 * enforces and what {@code trustline-policy explain} and {@code test} evaluate, through the same {@link #decide}.
 * Built once per policy version by {@link PolicyEngine#forService}; a reload replaces it as a whole, so whoever holds
 * one sees one version of every section.
 *
 * <p>Absence has one form: a section a service may lack ({@link #penalty()}, {@link #cors()},
 * {@link #requestLimits()}) is an {@link Optional}, and a collection ({@link #jwt()}, {@link #rateLimits()},
 * {@link #deprecations()}) is empty; neither is ever null. Optional, because the model ({@code Policy.cors()}) says
 * absence the same way and a caller cannot forget the absent case; it costs nothing per request since each Optional
 * is made once per version. Only per-request results that may find nothing (a matching route, an exceeded limit,
 * the deciding rule) are nullable, so that the request path allocates nothing.
 *
 * <p>A service no policy targets has a view too ({@link #isEmpty()}): it denies every request with
 * {@code authz.no_policy} and has no other section.
 */
public final class ServicePolicy {

    private final String service;
    private final String version;
    private final List<Policy> policies;
    private final List<JwtProvider> jwt;
    private final List<RateLimit> rateLimits;
    private final Optional<Penalty> penalty;
    private final Optional<CorsCheck> cors;
    private final Optional<RequestLimitsCheck> requestLimits;
    private final Deprecations deprecations;
    private final ServiceEngine rules;

    private ServicePolicy(String service, String version, List<Policy> sorted) {
        this.service = requireNonNull(service, "service");
        this.version = requireNonNull(version, "version");
        policies = List.copyOf(sorted);
        jwt = sorted.stream().flatMap(p -> p.jwt().stream()).toList();
        rateLimits = sorted.stream().flatMap(p -> p.rateLimits().stream()).toList();
        // Cross-file checks let at most one policy of a service have each of these sections.
        penalty = sorted.stream().flatMap(p -> p.penalty().stream()).findFirst();
        cors = sorted.stream()
                .filter(p -> p.cors().isPresent())
                .findFirst()
                .map(p -> new CorsCheck(p.name(), p.cors().get()));
        requestLimits = sorted.stream()
                .filter(p -> p.requestLimits().isPresent())
                .findFirst()
                .map(p -> new RequestLimitsCheck(p.name(), p.requestLimits().get()));
        deprecations = Deprecations.of(sorted);
        rules = new ServiceEngine(policies);
    }

    /** The view of a service from its policies, in name order. */
    static ServicePolicy compile(String service, String version, List<Policy> sorted) {
        return new ServicePolicy(service, version, sorted);
    }

    /** The view of a service that no policy targets. */
    static ServicePolicy none(String service, String version) {
        return new ServicePolicy(service, version, List.of());
    }

    /** Decides one request for this service. Cheap: no rule outside the request's index buckets is looked at. */
    public Decision decide(AuthzRequest request) {
        return rules.decide(request);
    }

    /**
     * Decides and explains: every rule of the service with the first condition that failed. Much slower than
     * {@link #decide}; meant for the CLI, tests and on-demand debugging.
     */
    public Explanation explain(AuthzRequest request) {
        return rules.explain(request);
    }

    /** Whether no policy targets this service (then every request is denied with {@code authz.no_policy}). */
    public boolean isEmpty() {
        return policies.isEmpty();
    }

    /** Whether at least one policy of the service is enforced (not in audit mode). */
    public boolean hasEnforcedPolicy() {
        return policies.stream().anyMatch(p -> p.mode() == Mode.ENFORCE);
    }

    public String service() {
        return service;
    }

    /** The version of the policies this view was compiled from (as {@link PolicyEngine#version()}). */
    public String version() {
        return version;
    }

    /** The policies of the service, in name order; empty when none targets it. */
    public List<Policy> policies() {
        return policies;
    }

    /** The JWT issuers of every policy of the service, policies in name order, entries in file order. */
    public List<JwtProvider> jwt() {
        return jwt;
    }

    /** The rate limits of every policy of the service, policies in name order, entries in file order. */
    public List<RateLimit> rateLimits() {
        return rateLimits;
    }

    /** The penalty box, when a policy of the service has one. */
    public Optional<Penalty> penalty() {
        return penalty;
    }

    /** The compiled {@code cors} section, when a policy of the service has one (else the sidecar takes no part). */
    public Optional<CorsCheck> cors() {
        return cors;
    }

    /** The compiled {@code requestLimits}, when a policy of the service has them. */
    public Optional<RequestLimitsCheck> requestLimits() {
        return requestLimits;
    }

    /** The deprecated routes of the service, in (policy name, file order); empty when none. */
    public Deprecations deprecations() {
        return deprecations;
    }

    @Override
    public String toString() {
        return "ServicePolicy{service=" + service + ", version=" + version + ", policies="
                + policies.stream().map(Policy::name).toList() + "}";
    }
}
