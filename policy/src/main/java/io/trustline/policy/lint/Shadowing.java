package io.trustline.policy.lint;

import io.trustline.policy.model.ClaimCondition;
import io.trustline.policy.model.IpBlock;
import io.trustline.policy.model.Rule;
import io.trustline.policy.model.StringMatch;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Decides whether every request one rule matches is also matched by another: field by field, the narrower rule must
 * constrain each field the wider one constrains, at least as tightly. A field the wider rule leaves open is no
 * obstacle; one the narrower rule leaves open while the wider constrains it means "not provably", and so does every
 * regular expression.
 */
final class Shadowing {

    private Shadowing() {}

    /** Whether every request that {@code narrow} matches is also matched by {@code wide}. */
    static boolean covers(Rule wide, Rule narrow) {
        if (wide.to().hasRegex()) {
            return false;
        }
        var w = wide.from();
        var n = narrow.from();
        var wt = wide.to();
        var nt = narrow.to();
        return methods(wt.methods(), wt.notMethods(), nt.methods(), nt.notMethods())
                && strings(w.principals(), w.notPrincipals(), n.principals(), n.notPrincipals())
                && strings(
                        w.requestPrincipals(),
                        w.notRequestPrincipals(),
                        n.requestPrincipals(),
                        n.notRequestPrincipals())
                && strings(wt.paths(), wt.notPaths(), narrowPaths(narrow), nt.notPaths())
                && strings(wt.grpc(), wt.notGrpc(), nt.grpc(), nt.notGrpc())
                && blocks(w.ipBlocks(), w.notIpBlocks(), n.ipBlocks(), n.notIpBlocks())
                && headers(wt.headers(), wt.notHeaders(), nt.headers(), nt.notHeaders())
                && claims(wide.when(), narrow.when());
    }

    /**
     * The paths a narrow rule's requests can have: its {@code paths}, or without them, the paths of the gRPC calls its
     * {@code grpc} matches (the evaluator reads the gRPC method from the path).
     */
    private static List<StringMatch> narrowPaths(Rule narrow) {
        if (!narrow.to().paths().isEmpty()) {
            return narrow.to().paths();
        }
        return narrow.to().grpc().stream().map(Patterns::grpcPath).toList();
    }

    private static boolean methods(
            List<String> wide, List<String> wideNot, List<String> narrow, List<String> narrowNot) {
        List<String> possible = new ArrayList<>(narrow);
        possible.removeAll(narrowNot);
        if (!wide.isEmpty() && (narrow.isEmpty() || !wide.containsAll(possible))) {
            return false;
        }
        if (wideNot.isEmpty()) {
            return true;
        }
        boolean excludedByNarrowList = !narrow.isEmpty() && possible.stream().noneMatch(wideNot::contains);
        return excludedByNarrowList || narrowNot.containsAll(wideNot);
    }

    private static boolean strings(
            List<StringMatch> wide, List<StringMatch> wideNot, List<StringMatch> narrow, List<StringMatch> narrowNot) {
        if (!wide.isEmpty() && !Patterns.allCovered(wide, narrow)) {
            return false;
        }
        if (wideNot.isEmpty()) {
            return true;
        }
        // The wide rule's exclusions must never hold for the narrow rule's requests: either the narrow rule's values
        // cannot match them, or the narrow rule excludes them itself.
        boolean apart = !narrow.isEmpty() && Patterns.disjoint(narrow, wideNot);
        return apart || wideNot.stream().allMatch(x -> Patterns.coveredByOne(narrowNot, x));
    }

    private static boolean blocks(
            List<IpBlock> wide, List<IpBlock> wideNot, List<IpBlock> narrow, List<IpBlock> narrowNot) {
        if (!wide.isEmpty() && !Patterns.allContained(wide, narrow)) {
            return false;
        }
        if (wideNot.isEmpty()) {
            return true;
        }
        boolean apart = !narrow.isEmpty() && Patterns.disjointBlocks(narrow, wideNot);
        return apart || wideNot.stream().allMatch(x -> narrowNot.stream().anyMatch(y -> Patterns.contains(y, x)));
    }

    private static boolean headers(
            Map<String, List<StringMatch>> wide,
            Map<String, List<StringMatch>> wideNot,
            Map<String, List<StringMatch>> narrow,
            Map<String, List<StringMatch>> narrowNot) {
        for (Map.Entry<String, List<StringMatch>> h : wide.entrySet()) {
            if (!Patterns.allCovered(h.getValue(), narrow.getOrDefault(h.getKey(), List.of()))) {
                return false;
            }
        }
        for (Map.Entry<String, List<StringMatch>> h : wideNot.entrySet()) {
            if (!strings(
                    List.of(),
                    h.getValue(),
                    narrow.getOrDefault(h.getKey(), List.of()),
                    narrowNot.getOrDefault(h.getKey(), List.of()))) {
                return false;
            }
        }
        return true;
    }

    /** Every claim condition of the wide rule follows from one of the narrow rule's. */
    private static boolean claims(List<ClaimCondition> wide, List<ClaimCondition> narrow) {
        for (ClaimCondition w : wide) {
            if (narrow.stream().noneMatch(n -> implies(n, w))) {
                return false;
            }
        }
        return true;
    }

    private static boolean implies(ClaimCondition narrow, ClaimCondition wide) {
        if (!narrow.claim().equals(wide.claim())) {
            return false;
        }
        if (narrow.equals(wide)) {
            return true;
        }
        Set<String> n = Contradictions.scalarValues(narrow);
        Set<String> w = Contradictions.scalarValues(wide);
        return n != null && w != null && w.containsAll(n);
    }
}
