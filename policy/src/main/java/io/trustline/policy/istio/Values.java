package io.trustline.policy.istio;

import io.trustline.policy.yaml.YamlList;
import io.trustline.policy.yaml.YamlMap;
import io.trustline.policy.yaml.YamlNode;
import io.trustline.policy.yaml.YamlScalar;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Reads the shapes of Istio's YAML. A value of the wrong shape is not valid Istio, so it is an {@link InvalidInput}
 * rather than something to convert around.
 */
final class Values {

    private Values() {}

    /** The input is not a valid Istio resource at {@code node}. */
    static final class InvalidInput extends Exception {
        private final transient YamlNode node;

        InvalidInput(YamlNode node, String message) {
            super(message, null, false, false);
            this.node = node;
        }

        YamlNode node() {
            return node;
        }
    }

    /** An Istio value Trustline cannot express. */
    static final class CannotConvert extends Exception {
        CannotConvert(String message) {
            super(message, null, false, false);
        }
    }

    static YamlMap map(YamlNode n, String field) throws InvalidInput {
        if (n instanceof YamlMap m) {
            return m;
        }
        throw new InvalidInput(n, field + ": " + n.kind() + " (expected: a mapping)");
    }

    /** A mapping, or null for an absent field or YAML null ({@code source:} with nothing after it). */
    static @Nullable YamlMap optionalMap(@Nullable YamlNode n, String field) throws InvalidInput {
        if (n == null || isNull(n)) {
            return null;
        }
        return map(n, field);
    }

    /** The items of a list; absent or null is empty. */
    static List<YamlNode> items(@Nullable YamlNode n, String field) throws InvalidInput {
        if (n == null || isNull(n)) {
            return List.of();
        }
        if (n instanceof YamlList l) {
            return l.items();
        }
        throw new InvalidInput(n, field + ": " + n.kind() + " (expected: a list)");
    }

    /** A list of non-empty strings; absent or null is empty. */
    static List<String> strings(@Nullable YamlNode n, String field) throws InvalidInput {
        List<String> out = new ArrayList<>();
        for (YamlNode i : items(n, field)) {
            out.add(string(i, field));
        }
        return out;
    }

    static String string(YamlNode n, String field) throws InvalidInput {
        if (n instanceof YamlScalar s
                && s.type() != YamlScalar.Type.NULL
                && !s.text().isEmpty()) {
            return s.text();
        }
        throw new InvalidInput(n, field + ": " + n.kind() + " (expected: a string)");
    }

    static @Nullable String optionalString(YamlMap m, String key, String field) throws InvalidInput {
        YamlNode n = m.get(key);
        return n == null || isNull(n) ? null : string(n, field);
    }

    static boolean isNull(YamlNode n) {
        return n instanceof YamlScalar s && s.type() == YamlScalar.Type.NULL;
    }
}
