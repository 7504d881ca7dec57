package io.trustline.policy.yaml;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * Typed, located reads of one YAML mapping. Each method reports a problem (and returns null or an
 * empty result) instead of throwing, so that a reader goes on and finds every problem of a file.
 * Messages name the field, the value and the expectation: {@code "to.paths: '/a/*' ... (expected:
 * ...)"}.
 */
public final class Fields {

    private final YamlMap map;
    private final String prefix;
    private final Problems problems;

    private Fields(YamlMap map, String prefix, Problems problems) {
        this.map = map;
        this.prefix = prefix;
        this.problems = problems;
    }

    /**
     * Returns a reader over {@code node} if it is a mapping; otherwise reports "expected a mapping".
     *
     * @param name the dotted field name used in messages, e.g. {@code "to"} or {@code "spec"}
     */
    public static @Nullable Fields of(YamlNode node, String name, Problems problems) {
        if (node instanceof YamlMap m) {
            return new Fields(m, name, problems);
        }
        problems.add(node, name + ": " + got(node) + " (expected: a mapping)");
        return null;
    }

    public YamlMap map() {
        return map;
    }

    public Location location() {
        return map.location();
    }

    public Problems problems() {
        return problems;
    }

    /** The dotted name of {@code key} within this mapping, for messages. */
    public String name(String key) {
        return prefix.isEmpty() ? key : prefix + '.' + key;
    }

    public boolean isEmpty() {
        return map.entries().isEmpty();
    }

    /** Reports every key that is not in {@code allowed}, suggesting the closest allowed one. */
    public Fields allowOnly(String... allowed) {
        Set<String> set = new LinkedHashSet<>(Arrays.asList(allowed));
        for (YamlMap.Entry e : map.entries().values()) {
            if (!set.contains(e.key())) {
                String hint = closest(e.key(), set);
                problems.add(
                        e.keyLocation(),
                        "unknown field '" + e.key() + "' in " + (prefix.isEmpty() ? "the document" : prefix)
                                + (hint != null
                                        ? " (did you mean '" + hint + "'?)"
                                        : " (expected one of: " + String.join(", ", set) + ")"));
            }
        }
        return this;
    }

    public boolean has(String key) {
        return map.has(key);
    }

    public @Nullable YamlNode node(String key) {
        return map.get(key);
    }

    /** Where {@code key}'s value is, for a problem about it; the map's own location if the key is absent. */
    public Location locationOf(String key) {
        YamlNode n = map.get(key);
        return n == null ? map.location() : n.location();
    }

    /** The node at {@code key}; reports "missing required field" when absent. */
    public @Nullable YamlNode required(String key) {
        YamlNode n = map.get(key);
        if (n == null) {
            problems.add(map.location(), "missing required field '" + name(key) + "'");
        }
        return n;
    }

    public Location keyLocation(String key) {
        YamlMap.Entry e = map.entries().get(key);
        return e == null ? map.location() : e.keyLocation();
    }

    public @Nullable String requiredString(String key) {
        YamlNode n = required(key);
        return n == null ? null : string(n, name(key));
    }

    public @Nullable String optionalString(String key) {
        YamlNode n = map.get(key);
        return n == null ? null : string(n, name(key));
    }

    public @Nullable Fields optionalMap(String key) {
        YamlNode n = map.get(key);
        return n == null ? null : Fields.of(n, name(key), problems);
    }

    public @Nullable Boolean optionalBoolean(String key) {
        YamlNode n = map.get(key);
        if (n == null) {
            return null;
        }
        if (n instanceof YamlScalar s && s.type() == YamlScalar.Type.BOOLEAN) {
            return Boolean.parseBoolean(s.text().toLowerCase(java.util.Locale.ROOT));
        }
        problems.add(n, name(key) + ": " + got(n) + " (expected: true or false)");
        return null;
    }

    /** A whole number within {@code [min, max]}. */
    public @Nullable Long optionalLong(String key, long min, long max) {
        YamlNode n = map.get(key);
        if (n == null) {
            return null;
        }
        if (n instanceof YamlScalar s && s.type() == YamlScalar.Type.INTEGER) {
            try {
                long v = Long.parseLong(s.text().replace("_", ""));
                if (v >= min && v <= max) {
                    return v;
                }
            } catch (NumberFormatException ignored) {
                // Out of long range: reported below like any other out-of-range value.
            }
            problems.add(n, name(key) + ": " + s.text() + " (expected: " + range(min, max) + ")");
            return null;
        }
        problems.add(n, name(key) + ": " + got(n) + " (expected: a whole number, " + range(min, max) + ")");
        return null;
    }

    /**
     * A non-empty list at {@code key}, each item converted by {@code item} (which reports its own
     * problems and returns null to drop an item). Returns null when absent. An empty list is an
     * error: an empty list reads as "matches nothing" to some and "no constraint" to others, so the
     * format does not allow it at all (omit the field for "no constraint").
     */
    public <T> @Nullable List<T> optionalList(String key, Function<YamlNode, @Nullable T> item) {
        YamlNode n = map.get(key);
        if (n == null) {
            return null;
        }
        return list(n, name(key), problems, item);
    }

    public static <T> @Nullable List<T> list(
            YamlNode n, String name, Problems problems, Function<YamlNode, @Nullable T> item) {
        if (!(n instanceof YamlList l)) {
            problems.add(n, name + ": " + got(n) + " (expected: a list)");
            return null;
        }
        if (l.items().isEmpty()) {
            problems.add(n, name + ": empty list (expected: at least one value; omit the field for no constraint)");
            return null;
        }
        List<T> out = new ArrayList<>(l.items().size());
        for (YamlNode i : l.items()) {
            T v = item.apply(i);
            if (v != null) {
                out.add(v);
            }
        }
        return out;
    }

    /** A non-empty string scalar; numbers and booleans are type errors, not silently converted. */
    public @Nullable String string(YamlNode n, String name) {
        return string(n, name, problems);
    }

    public static @Nullable String string(YamlNode n, String name, Problems problems) {
        if (n instanceof YamlScalar s && s.type() == YamlScalar.Type.STRING) {
            if (s.text().isEmpty()) {
                problems.add(n, name + ": empty string (expected: a non-empty value)");
                return null;
            }
            return s.text();
        }
        problems.add(n, name + ": " + got(n) + " (expected: a string)");
        return null;
    }

    /** "a list", "an integer (42)", ...: what the user wrote, for "expected" messages. */
    public static String got(YamlNode n) {
        if (n instanceof YamlScalar s
                && s.type() == YamlScalar.Type.STRING
                && s.text().isEmpty()) {
            return "nothing";
        }
        if (n instanceof YamlScalar s && s.type() != YamlScalar.Type.NULL) {
            return s.kind() + " (" + s.text() + ")";
        }
        return n.kind();
    }

    private static String range(long min, long max) {
        return max == Long.MAX_VALUE ? ">= " + min : "between " + min + " and " + max;
    }

    /**
     * The allowed key closest to {@code key} (a likely typo of it), or null when none is close: what
     * {@link #allowOnly} suggests as "did you mean".
     */
    public static @Nullable String closest(String key, java.util.Collection<String> allowed) {
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (String a : allowed) {
            int d = distance(key.toLowerCase(java.util.Locale.ROOT), a.toLowerCase(java.util.Locale.ROOT));
            if (d < bestDistance) {
                bestDistance = d;
                best = a;
            }
        }
        return bestDistance <= Math.max(2, key.length() / 3) ? best : null;
    }

    private static int distance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }
}
