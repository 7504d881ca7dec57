package io.trustline.policy.lint;

import io.trustline.policy.model.ClaimCondition;
import io.trustline.policy.model.Rule;
import io.trustline.policy.model.Source;
import io.trustline.policy.model.StringMatch;
import io.trustline.policy.model.Target;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * Finds the conditions of one rule that contradict each other, so that no request can match the rule. Only what the
 * evaluator's semantics make certain is reported: a field whose values one {@code notX} value each excludes, a gRPC
 * match beside methods without POST, {@code paths} and {@code grpc} no call can satisfy together, and claims asked to
 * equal two different values.
 */
final class Contradictions {

    private static final String GRPC_METHOD = "POST";

    private Contradictions() {}

    /** Why {@code rule} can never match, one sentence per contradiction; empty when it can. */
    static List<String> of(Rule rule) {
        List<String> out = new ArrayList<>();
        Source from = rule.from();
        Target to = rule.to();
        if (!to.methods().isEmpty() && to.notMethods().containsAll(to.methods())) {
            out.add("to.methods " + to.methods() + " are all excluded by to.notMethods " + to.notMethods());
        }
        strings(out, "to.paths", to.paths(), "to.notPaths", to.notPaths());
        strings(out, "to.grpc", to.grpc(), "to.notGrpc", to.notGrpc());
        strings(out, "from.principals", from.principals(), "from.notPrincipals", from.notPrincipals());
        strings(
                out,
                "from.requestPrincipals",
                from.requestPrincipals(),
                "from.notRequestPrincipals",
                from.notRequestPrincipals());
        if (Patterns.allContained(from.notIpBlocks(), from.ipBlocks())) {
            out.add("from.ipBlocks " + from.ipBlocks() + " are all excluded by from.notIpBlocks " + from.notIpBlocks());
        }
        for (Map.Entry<String, List<StringMatch>> h : to.headers().entrySet()) {
            List<StringMatch> not = to.notHeaders().get(h.getKey());
            if (not != null) {
                strings(out, "to.headers." + h.getKey(), h.getValue(), "to.notHeaders." + h.getKey(), not);
            }
        }
        grpc(out, to);
        claims(out, rule.when());
        return out;
    }

    private static void strings(
            List<String> out, String field, List<StringMatch> values, String notField, List<StringMatch> notValues) {
        if (Patterns.allCovered(notValues, values)) {
            out.add(field + " " + values + " are all excluded by " + notField + " " + notValues);
        }
    }

    /**
     * A gRPC call is a POST to {@code /package.Service/Method}: what {@code to} says besides must allow both. The
     * evaluator reads the gRPC method from the path and content type alone, so a non-POST request that claims
     * gRPC's content type could still match; it is not a gRPC call, and not what such a rule was written for.
     */
    private static void grpc(List<String> out, Target to) {
        if (to.grpc().isEmpty()) {
            return;
        }
        if (!to.methods().isEmpty() && !to.methods().contains(GRPC_METHOD)) {
            out.add("to.grpc matches gRPC calls, which are always POST, and to.methods " + to.methods()
                    + " does not include POST");
        }
        if (to.notMethods().contains(GRPC_METHOD)) {
            out.add("to.grpc matches gRPC calls, which are always POST, and to.notMethods " + to.notMethods()
                    + " excludes POST");
        }
        if (!to.paths().isEmpty()) {
            List<StringMatch> grpcPaths =
                    to.grpc().stream().map(Patterns::grpcPath).toList();
            if (Patterns.disjoint(grpcPaths, to.paths())) {
                out.add("a gRPC call's path is /package.Service/Method, and no to.grpc value " + to.grpc()
                        + " fits to.paths " + to.paths());
            }
        }
    }

    /** Two {@code equals}/{@code in} conditions on one claim whose values have nothing in common. */
    private static void claims(List<String> out, List<ClaimCondition> when) {
        for (int i = 0; i < when.size(); i++) {
            for (int j = i + 1; j < when.size(); j++) {
                ClaimCondition a = when.get(i);
                ClaimCondition b = when.get(j);
                Set<String> av = scalarValues(a);
                Set<String> bv = scalarValues(b);
                if (av == null || bv == null || !a.claim().equals(b.claim())) {
                    continue;
                }
                Set<String> both = new HashSet<>(av);
                both.retainAll(bv);
                if (both.isEmpty()) {
                    out.add("when[" + i + "] and when[" + j + "] need claim '" + a.claim() + "' to be one of "
                            + a.values() + " and one of " + b.values() + " at once");
                }
            }
        }
    }

    /** The values an {@code equals} or {@code in} condition accepts; null for {@code contains}. */
    static @Nullable Set<String> scalarValues(ClaimCondition c) {
        return c.operator() == ClaimCondition.Operator.CONTAINS ? null : new HashSet<>(c.values());
    }
}
