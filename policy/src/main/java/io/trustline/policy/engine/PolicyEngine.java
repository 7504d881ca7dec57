package io.trustline.policy.engine;

import static java.util.Objects.requireNonNull;

import io.trustline.policy.error.PolicyError;
import io.trustline.policy.model.Policy;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
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
 *
 * <p>What a sidecar enforces is one service's part: {@link #forService} returns it as a {@link ServicePolicy},
 * compiled with the engine, which is also where the absence convention of the engine API is written down.
 */
public final class PolicyEngine {

    private static final PolicyEngine EMPTY = compile(List.of(), "empty");

    private final String version;
    private final List<Policy> policies;
    private final Map<String, ServicePolicy> services;
    /**
     * The view last handed out for a service no policy targets. One slot, not a map: a sidecar asks for one name
     * again and again and must get the same view back (stages compare views by identity to notice a reload), and
     * names a caller makes up cannot grow it.
     */
    private volatile @Nullable ServicePolicy lastUntargeted;

    private PolicyEngine(String version, List<Policy> policies, Map<String, ServicePolicy> services) {
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
        Map<String, ServicePolicy> services = new HashMap<>();
        byService.forEach((s, ps) -> services.put(s, ServicePolicy.compile(s, version, ps)));
        return new PolicyEngine(version, List.copyOf(sorted), Map.copyOf(services));
    }

    /** An engine without policies: it denies everything with {@code authz.no_policy}. */
    public static PolicyEngine empty() {
        return EMPTY;
    }

    /**
     * The policy of one service in this version: everything its inbound sidecar enforces, compiled. Built once per
     * version (a map lookup here), so a holder of the engine in force gets one consistent view per reload. A
     * service that no policy targets gets an {@linkplain ServicePolicy#isEmpty() empty} view, never null.
     */
    public ServicePolicy forService(String service) {
        ServicePolicy s = services.get(service);
        if (s != null) {
            return s;
        }
        ServicePolicy last = lastUntargeted;
        if (last != null && last.service().equals(service)) {
            return last;
        }
        last = ServicePolicy.none(service, version);
        lastUntargeted = last;
        return last;
    }

    /** Decides one request for the service it names: {@code forService(request.service()).decide(request)}. */
    public Decision decide(AuthzRequest request) {
        return forService(request.service()).decide(request);
    }

    /** Decides and explains: {@code forService(request.service()).explain(request)}. */
    public Explanation explain(AuthzRequest request) {
        return forService(request.service()).explain(request);
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
