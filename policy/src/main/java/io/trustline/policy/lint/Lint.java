package io.trustline.policy.lint;

import static java.util.Objects.requireNonNull;

import io.trustline.policy.engine.PolicyEngine;
import io.trustline.policy.model.Action;
import io.trustline.policy.model.Mode;
import io.trustline.policy.model.Policy;
import io.trustline.policy.model.Rule;
import io.trustline.policy.model.StringMatch;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * Finds what is valid in loaded policies but probably not meant: rules that can never match, ALLOW rules an enforced
 * DENY rule always overrides, policies for services nobody runs, and principals of another trust domain. Only what is
 * certain under the evaluator's semantics is reported, never a guess; the findings are warnings and never stop a
 * load. {@code trustline-policy check} and the sidecar run the same lint.
 *
 * <pre>{@code
 * Lint lint = Lint.builder().trustDomain("example.org").knownServices(Set.of("orders", "frontend")).build();
 * for (LintWarning w : lint.check(engine)) { ... }
 * }</pre>
 */
public final class Lint {

    /** A trust domain as SPIFFE defines it: lower-case letters, digits, dots, dashes and underscores. */
    private static final Pattern TRUST_DOMAIN = Pattern.compile("[a-z0-9._-]{1,255}");

    private static final String SPIFFE = "spiffe://";

    private final @Nullable String trustDomain;
    private final Set<String> knownServices;

    private Lint(Builder b) {
        trustDomain = b.trustDomain;
        knownServices = new TreeSet<>(b.knownServices);
    }

    /** A lint with only the checks that need no context: unsatisfiable and shadowed rules. */
    public static Lint of() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Whether {@code s} is a trust domain name such as {@code example.org}. */
    public static boolean isTrustDomain(String s) {
        return TRUST_DOMAIN.matcher(s).matches();
    }

    /** The warnings for every policy of {@code engine}. */
    public List<LintWarning> check(PolicyEngine engine) {
        return check(engine.policies());
    }

    /** The warnings for {@code policies} (validated, as the loader returns them), sorted by position. */
    public List<LintWarning> check(List<Policy> policies) {
        List<LintWarning> out = new ArrayList<>();
        Map<String, List<Policy>> byService = new LinkedHashMap<>();
        policies.stream()
                .sorted(Comparator.comparing(Policy::name))
                .forEach(p -> byService
                        .computeIfAbsent(p.service(), k -> new ArrayList<>())
                        .add(p));
        for (Policy p : policies) {
            if (!knownServices.isEmpty() && !knownServices.contains(p.service())) {
                out.add(new LintWarning(
                        LintCode.UNKNOWN_SERVICE,
                        p.origin(),
                        "policy '" + p.name() + "' is for service '" + p.service()
                                + "', which is not a known service (known: " + String.join(", ", knownServices)
                                + ")"));
            }
            for (Rule r : p.rules()) {
                rule(out, r, byService.getOrDefault(p.service(), List.of()));
            }
        }
        out.sort(null);
        return List.copyOf(out);
    }

    private void rule(List<LintWarning> out, Rule r, List<Policy> service) {
        List<String> contradictions = Contradictions.of(r);
        for (String c : contradictions) {
            out.add(new LintWarning(
                    LintCode.UNSATISFIABLE_RULE, r.origin(), "rule '" + r.name() + "' can never match: " + c));
        }
        if (trustDomain != null) {
            foreignPrincipals(out, r, "from.principals", r.from().principals(), "it never matches");
            foreignPrincipals(out, r, "from.notPrincipals", r.from().notPrincipals(), "it excludes nobody");
        }
        if (r.action() == Action.ALLOW && contradictions.isEmpty()) {
            shadowed(out, r, service);
        }
    }

    private void foreignPrincipals(List<LintWarning> out, Rule r, String field, List<StringMatch> values, String so) {
        String inDomain = SPIFFE + trustDomain + "/";
        for (StringMatch m : values) {
            boolean foreign = switch (m.kind()) {
                case EXACT -> !m.value().startsWith(inDomain);
                // A prefix can match an ID of the domain if one of the two starts with the other.
                case PREFIX -> !m.value().startsWith(inDomain) && !inDomain.startsWith(m.value());
                case SUFFIX, PRESENT -> false;
            };
            if (foreign) {
                out.add(new LintWarning(
                        LintCode.FOREIGN_TRUST_DOMAIN,
                        r.origin(),
                        "rule '" + r.name() + "': " + field + " '" + m + "' is outside trust domain '" + trustDomain
                                + "'; peers of other trust domains are refused at the TLS handshake, so " + so));
            }
        }
    }

    /** The first enforced DENY rule of the service (in decision order) that matches whatever {@code allow} does. */
    private static void shadowed(List<LintWarning> out, Rule allow, List<Policy> service) {
        for (Policy p : service) {
            for (Rule deny : p.rules()) {
                // An audit rule only records what it would do: it takes no decision away from anyone.
                if (deny.action() == Action.DENY && deny.mode() == Mode.ENFORCE && Shadowing.covers(deny, allow)) {
                    out.add(new LintWarning(
                            LintCode.SHADOWED_RULE,
                            allow.origin(),
                            "allow rule '" + allow.name() + "' never decides: deny rule '" + p.name() + "/"
                                    + deny.name() + "' (" + deny.origin() + ") matches every request it matches"));
                    return;
                }
            }
        }
    }

    /** Configures a {@link Lint}. */
    public static final class Builder {
        private @Nullable String trustDomain;
        private final Set<String> knownServices = new TreeSet<>();

        private Builder() {}

        /**
         * The mesh's trust domain: principals that can only match IDs of another domain are reported. Default: none
         * (not checked).
         */
        public Builder trustDomain(String trustDomain) {
            requireNonNull(trustDomain, "trustDomain");
            if (!isTrustDomain(trustDomain)) {
                throw new IllegalArgumentException("trustDomain: '" + trustDomain
                        + "' (expected: a trust domain such as example.org, without spiffe://)");
            }
            this.trustDomain = trustDomain;
            return this;
        }

        /** The services that exist: policies for any other service are reported. Default: none (not checked). */
        public Builder knownServices(Iterable<String> services) {
            requireNonNull(services, "services");
            services.forEach(s -> knownServices.add(requireNonNull(s, "service")));
            return this;
        }

        public Lint build() {
            return new Lint(this);
        }
    }
}
