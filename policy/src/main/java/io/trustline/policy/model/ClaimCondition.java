package io.trustline.policy.model;

import static java.util.Objects.requireNonNull;

import java.util.Collection;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * A {@code when} condition on a claim of the request's verified JWT. Without a verified token there
 * are no claims and no condition holds.
 *
 * <ul>
 *   <li>{@code equals: v}: the claim is a string, number or boolean whose text is {@code v};
 *   <li>{@code in: [a, b]}: the same, for any of the values;
 *   <li>{@code contains: v}: the claim is an array with an element whose text is {@code v}, or a
 *       string whose space-separated words include {@code v} (OAuth's {@code scope}).
 * </ul>
 *
 * <p>A claim name is first looked up as written (so {@code https://example.org/roles} works);
 * if absent and it has dots, it is looked up as a path into nested objects ({@code
 * realm_access.roles}).
 */
public record ClaimCondition(String claim, Operator operator, List<String> values) {

    public enum Operator {
        EQUALS,
        IN,
        CONTAINS;

        public String yamlName() {
            return switch (this) {
                case EQUALS -> "equals";
                case IN -> "in";
                case CONTAINS -> "contains";
            };
        }
    }

    public ClaimCondition {
        requireNonNull(claim, "claim");
        requireNonNull(operator, "operator");
        values = List.copyOf(values);
        if (values.isEmpty() || (operator != Operator.IN && values.size() != 1)) {
            throw new IllegalArgumentException(
                    "values: " + values + " (expected: one value, or at least one for 'in')");
        }
    }

    public static ClaimCondition equalTo(String claim, String value) {
        return new ClaimCondition(claim, Operator.EQUALS, List.of(value));
    }

    public static ClaimCondition in(String claim, String... values) {
        return new ClaimCondition(claim, Operator.IN, List.of(values));
    }

    public static ClaimCondition contains(String claim, String value) {
        return new ClaimCondition(claim, Operator.CONTAINS, List.of(value));
    }

    /** Whether the condition holds for {@code claims} (empty when the request has no token). */
    public boolean matches(Map<String, ?> claims) {
        Object v = lookup(claims, claim);
        if (v == null) {
            return false;
        }
        switch (operator) {
            case EQUALS:
                return isScalar(v) && values.get(0).equals(v.toString());
            case IN:
                return isScalar(v) && values.contains(v.toString());
            case CONTAINS:
                String want = values.get(0);
                if (v instanceof String s) {
                    return containsWord(s, want);
                }
                if (v instanceof Collection<?> c) {
                    for (Object o : c) {
                        if (o != null && isScalar(o) && want.equals(o.toString())) {
                            return true;
                        }
                    }
                }
                return false;
            default:
                throw new AssertionError(operator);
        }
    }

    /** The claim's value, by literal name first and then as a dotted path; null when absent. */
    public static @Nullable Object lookup(Map<String, ?> claims, String name) {
        Object v = claims.get(name);
        if (v != null || name.indexOf('.') < 0) {
            return v;
        }
        Object cur = claims;
        int start = 0;
        while (start <= name.length()) {
            int dot = name.indexOf('.', start);
            String part = dot < 0 ? name.substring(start) : name.substring(start, dot);
            if (!(cur instanceof Map<?, ?> m)) {
                return null;
            }
            cur = m.get(part);
            if (cur == null || dot < 0) {
                return cur;
            }
            start = dot + 1;
        }
        return null;
    }

    private static boolean isScalar(Object v) {
        return v instanceof String || v instanceof Number || v instanceof Boolean;
    }

    /** Space-separated word match without splitting (no allocation on the request path). */
    static boolean containsWord(String s, String word) {
        int from = 0;
        int n = word.length();
        while (true) {
            int i = s.indexOf(word, from);
            if (i < 0) {
                return false;
            }
            boolean startOk = i == 0 || s.charAt(i - 1) == ' ';
            boolean endOk = i + n == s.length() || s.charAt(i + n) == ' ';
            if (startOk && endOk) {
                return true;
            }
            from = i + 1;
        }
    }

    @Override
    public String toString() {
        return "{claim: " + claim + ", " + operator.yamlName() + ": "
                + (operator == Operator.IN ? values.toString() : values.get(0)) + "}";
    }
}
