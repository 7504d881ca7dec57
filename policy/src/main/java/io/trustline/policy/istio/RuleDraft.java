package io.trustline.policy.istio;

import io.trustline.policy.model.StringMatch;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * One Trustline rule being built from one alternative of an Istio rule (one {@code from} source, one {@code to}
 * operation, every {@code when} condition). Every condition added is ANDed with what is there: a {@code notX} field
 * takes the union of the values ("none of A" and "none of B" is "none of A or B"); a positive field that is already
 * constrained takes the intersection, which one field can hold when one side is exact values.
 */
final class RuleDraft {

    private final Map<String, List<String>> from = new LinkedHashMap<>();
    private final Map<String, List<String>> to = new LinkedHashMap<>();
    private final Map<String, List<String>> headers = new LinkedHashMap<>();
    private final Map<String, List<String>> notHeaders = new LinkedHashMap<>();
    private final List<Map<String, Object>> when = new ArrayList<>();

    /** The intersection of two constraints was empty: this alternative matches nothing, in Istio too. */
    private boolean never;

    /** A condition of this alternative could not be converted. */
    private boolean incomplete;

    RuleDraft copy() {
        RuleDraft d = new RuleDraft();
        from.forEach((k, v) -> d.from.put(k, v));
        to.forEach((k, v) -> d.to.put(k, v));
        headers.forEach((k, v) -> d.headers.put(k, v));
        notHeaders.forEach((k, v) -> d.notHeaders.put(k, v));
        d.when.addAll(when);
        d.never = never;
        d.incomplete = incomplete;
        return d;
    }

    boolean never() {
        return never;
    }

    boolean incomplete() {
        return incomplete;
    }

    void markIncomplete() {
        incomplete = true;
    }

    /** ANDs a {@code from} field; returns why it cannot be expressed, or null. */
    @Nullable
    String from(String field, List<String> values) {
        return and(from, field, values, field.startsWith("not") ? Combine.UNION : combineOf(field));
    }

    /** ANDs a {@code to} field; returns why it cannot be expressed, or null. */
    @Nullable
    String to(String field, List<String> values) {
        return and(to, field, values, field.startsWith("not") ? Combine.UNION : Combine.INTERSECT);
    }

    /** ANDs a header condition ({@code negated}: {@code notHeaders}); returns why it cannot be expressed, or null. */
    @Nullable
    String header(String name, List<String> values, boolean negated) {
        return negated ? and(notHeaders, name, values, Combine.UNION) : and(headers, name, values, Combine.INTERSECT);
    }

    void when(Map<String, Object> condition) {
        when.add(condition);
    }

    /** How a second constraint on one field combines with the first. */
    private enum Combine {
        /** {@code notX}: none of the first and none of the second. */
        UNION,
        /** Patterns: the values of one side that the other side matches. */
        INTERSECT,
        /** CIDR blocks: not computed. */
        NONE
    }

    private static Combine combineOf(String field) {
        return field.equals("ipBlocks") ? Combine.NONE : Combine.INTERSECT;
    }

    private @Nullable String and(Map<String, List<String>> section, String key, List<String> values, Combine combine) {
        List<String> old = section.get(key);
        if (old == null) {
            section.put(key, List.copyOf(new LinkedHashSet<>(values)));
            return null;
        }
        if (combine == Combine.UNION) {
            LinkedHashSet<String> union = new LinkedHashSet<>(old);
            union.addAll(values);
            section.put(key, List.copyOf(union));
            return null;
        }
        List<String> kept;
        boolean patterns = combine == Combine.INTERSECT;
        if (patterns && old.stream().allMatch(RuleDraft::isExact)) {
            kept = old.stream().filter(o -> anyMatches(values, o)).toList();
        } else if (patterns && values.stream().allMatch(RuleDraft::isExact)) {
            kept = values.stream().filter(v -> anyMatches(old, v)).toList();
        } else {
            return "'" + key + "' would be constrained twice, by " + old + " and by " + values
                    + ", and one Trustline field cannot hold both";
        }
        if (kept.isEmpty()) {
            never = true;
        } else {
            section.put(key, kept);
        }
        return null;
    }

    private static boolean isExact(String v) {
        return !v.startsWith("*") && !v.endsWith("*");
    }

    private static boolean anyMatches(List<String> patterns, String value) {
        return patterns.stream().anyMatch(p -> StringMatch.parse(p).matches(value));
    }

    /** The Trustline rule, as the YAML mapping {@code PolicyParser} reads. */
    Map<String, Object> toYaml(String name, String action) {
        Map<String, Object> rule = new LinkedHashMap<>();
        rule.put("name", name);
        rule.put("action", action);
        if (!from.isEmpty()) {
            rule.put("from", new LinkedHashMap<>(from));
        }
        Map<String, Object> target = new LinkedHashMap<>(to);
        if (!headers.isEmpty()) {
            target.put("headers", new LinkedHashMap<>(headers));
        }
        if (!notHeaders.isEmpty()) {
            target.put("notHeaders", new LinkedHashMap<>(notHeaders));
        }
        if (!target.isEmpty()) {
            rule.put("to", target);
        }
        if (!when.isEmpty()) {
            rule.put("when", List.copyOf(when));
        }
        return rule;
    }
}
