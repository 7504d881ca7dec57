package io.trustline.policy.engine;

import static java.util.Objects.requireNonNull;

import io.trustline.policy.error.PolicyError;
import io.trustline.policy.model.Policy;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.jspecify.annotations.Nullable;

/**
 * The compiled, immutable form of one version of the policies: built once per version and shared
 * by every request (Envoy's RBAC engine, with our {@code mode: audit} as its shadow engine).
 *
 * <p>Semantics, per service: if any enforced DENY rule matches, deny; else if any enforced ALLOW
 * rule matches, allow; else deny. A service that no enforced policy targets denies everything.
 * When several rules match, the one reported is the first in (policy name, rule order).
 */
public final class PolicyEngine {

    private static final Decision NO_POLICY = Decision.of(false, AuthzReason.NO_POLICY, null, null);
    private static final PolicyEngine EMPTY = compile(List.of(), "empty");

    private final String version;
    private final List<Policy> policies;
    private final Map<String, ServiceEngine> services;

    private PolicyEngine(String version, List<Policy> policies, Map<String, ServiceEngine> services) {
        this.version = version;
        this.policies = policies;
        this.services = services;
    }

    /**
     * Compiles validated policies (as {@code PolicyLoader} returns them).
     *
     * @param version the version id reported with this engine, e.g. a content hash
     */
    public static PolicyEngine compile(List<Policy> policies, String version) {
        requireNonNull(version, "version");
        List<Policy> sorted = new ArrayList<>(policies);
        sorted.sort(Comparator.comparing(Policy::name));
        Map<String, List<Policy>> byService = new TreeMap<>();
        for (Policy p : sorted) {
            byService.computeIfAbsent(p.service(), k -> new ArrayList<>()).add(p);
        }
        Map<String, ServiceEngine> services = new HashMap<>();
        byService.forEach((s, ps) -> services.put(s, new ServiceEngine(ServicePolicy.merge(s, ps))));
        return new PolicyEngine(version, List.copyOf(sorted), Map.copyOf(services));
    }

    /** An engine without policies: it denies everything with {@code authz.no_policy}. */
    public static PolicyEngine empty() {
        return EMPTY;
    }

    /** Decides one request. Cheap: no rule outside the request's index buckets is looked at. */
    public Decision decide(AuthzRequest request) {
        ServiceEngine s = services.get(request.service());
        return s == null ? NO_POLICY : s.decide(request);
    }

    /**
     * Decides and explains: every rule of the service with the first condition that failed. Much
     * slower than {@link #decide}; meant for the CLI, tests and on-demand debugging.
     */
    public Explanation explain(AuthzRequest request) {
        ServiceEngine s = services.get(request.service());
        return s == null ? new Explanation(request, NO_POLICY, List.of()) : s.explain(request);
    }

    /** The merged policy of a service: its issuers, rate limits and penalty box. */
    public Optional<ServicePolicy> service(String service) {
        ServiceEngine s = services.get(service);
        return s == null ? Optional.empty() : Optional.of(s.model);
    }

    /** The compiled {@code cors} section of a service, or null when it has none (the sidecar then takes no part). */
    public @Nullable CorsCheck cors(String service) {
        ServiceEngine s = services.get(service);
        return s == null ? null : s.cors;
    }

    /** The compiled {@code requestLimits} of a service, or null when it has none. */
    public @Nullable RequestLimitsCheck requestLimits(String service) {
        ServiceEngine s = services.get(service);
        return s == null ? null : s.requestLimits;
    }

    /** The deprecated routes of a service ({@link Deprecations#NONE} when none). */
    public Deprecations deprecations(String service) {
        ServiceEngine s = services.get(service);
        return s == null ? Deprecations.NONE : s.deprecations;
    }

    /** The warnings of every policy of this version (valid, but probably not meant), in file order. */
    public List<PolicyError> warnings() {
        List<PolicyError> out = new ArrayList<>();
        for (Policy p : policies) {
            out.addAll(p.warnings());
        }
        out.sort(null);
        return out;
    }

    /** The services that at least one policy targets. */
    public Set<String> services() {
        return new TreeSet<>(services.keySet());
    }

    /** All policies of this version, by name. */
    public List<Policy> policies() {
        return policies;
    }

    public String version() {
        return version;
    }

    @Override
    public String toString() {
        return "PolicyEngine{version=" + version + ", policies=" + policies.size() + ", services=" + services.keySet()
                + "}";
    }
}
