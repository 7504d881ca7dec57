package io.trustline.sidecar.config;

import static java.util.Objects.requireNonNull;

import io.trustline.ca.HostPort;
import io.trustline.ca.SpiffeId;
import io.trustline.policy.yaml.Fields;
import io.trustline.policy.yaml.Location;
import io.trustline.policy.yaml.Problems;
import io.trustline.policy.yaml.YamlList;
import io.trustline.policy.yaml.YamlMap;
import io.trustline.policy.yaml.YamlNode;
import io.trustline.policy.yaml.YamlScalar;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * Typed, located reads of {@code sidecar.yaml} values on top of the policy module's {@link Fields}: every read reports
 * its problem as {@code name: value (expected: ...)} at the value's position and returns null, so one run finds
 * every mistake of the file. Values people often get wrong (a bare number for a duration or an address, a number in
 * quotes) get a hint that says what to write instead.
 */
final class ConfigValues {

    private static final Pattern WHOLE_NUMBER = Pattern.compile("-?\\d+");

    private final Problems problems;
    private final Path baseDir;

    ConfigValues(Problems problems, Path baseDir) {
        this.problems = problems;
        this.baseDir = baseDir;
    }

    Problems problems() {
        return problems;
    }

    /**
     * The keys a section accepts: the components of the record it becomes, so that the record is the one schema of
     * its section (and the documentation test reads the same list).
     */
    static List<String> keys(Class<? extends Record> type) {
        return Arrays.stream(type.getRecordComponents())
                .map(java.lang.reflect.RecordComponent::getName)
                .toList();
    }

    /** The optional mapping at {@code key}, with its unknown keys reported against {@code type}'s keys. */
    @Nullable
    Fields section(Fields parent, String key, Class<? extends Record> type) {
        final YamlNode n = parent.node(key);
        return n == null ? null : section(n, parent.name(key), type);
    }

    @Nullable
    Fields section(YamlNode n, String name, Class<? extends Record> type) {
        final Fields f = Fields.of(n, name, problems);
        if (f != null) {
            f.allowOnly(keys(type).toArray(String[]::new));
        }
        return f;
    }

    /**
     * The node at a required {@code key}. When it is missing but an unknown key of the mapping is a likely typo of it
     * ({@code inbond:}), only that typo is reported (at its place, with "did you mean"), not a second, misleading
     * "missing required field".
     */
    @Nullable
    YamlNode required(Fields f, String key, List<String> allowed) {
        if (f.has(key)) {
            return f.node(key);
        }
        for (String present : f.map().entries().keySet()) {
            if (!allowed.contains(present) && key.equals(Fields.closest(present, allowed))) {
                return null;
            }
        }
        return f.required(key);
    }

    @Nullable
    String requiredString(Fields f, String key, List<String> allowed) {
        final YamlNode n = required(f, key, allowed);
        return n == null ? null : f.string(n, f.name(key));
    }

    @Nullable
    String string(Fields f, String key) {
        return f.optionalString(key);
    }

    /** A {@code host:port}; a bare port gets a hint with {@code exampleHost}. */
    @Nullable
    HostPort address(Fields f, String key, String exampleHost) {
        final YamlNode n = f.node(key);
        return n == null ? null : address(n, f.name(key), exampleHost);
    }

    @Nullable
    HostPort address(YamlNode n, String name, String exampleHost) {
        if (!(n instanceof YamlScalar s) || s.type() == YamlScalar.Type.NULL) {
            problems.add(n, name + ": " + Fields.got(n) + " (expected: host:port)");
            return null;
        }
        if (WHOLE_NUMBER.matcher(s.text()).matches()) {
            problems.add(
                    n,
                    name + ": " + s.text() + " (expected: host:port; did you mean '" + exampleHost + ':' + s.text()
                            + "'?)");
            return null;
        }
        try {
            return HostPort.parse(s.text());
        } catch (IllegalArgumentException e) {
            problems.add(n, name + ": " + withoutLabel(String.valueOf(e.getMessage()), "address: "));
            return null;
        }
    }

    /** A duration in the form {@link Durations} reads; a bare number other than 0 gets a hint to add a unit. */
    @Nullable
    Duration duration(Fields f, String key) {
        final YamlNode n = f.node(key);
        if (n == null) {
            return null;
        }
        if (!(n instanceof YamlScalar s) || s.type() == YamlScalar.Type.NULL || s.type() == YamlScalar.Type.BOOLEAN) {
            problems.add(n, f.name(key) + ": " + Fields.got(n) + " (expected: a duration such as 30s)");
            return null;
        }
        if (s.type() == YamlScalar.Type.INTEGER && !"0".equals(s.text())) {
            problems.add(
                    n,
                    f.name(key) + ": " + s.text() + " (expected: a duration with a unit; did you mean '" + s.text()
                            + "s' or '" + s.text() + "ms'?)");
            return null;
        }
        try {
            return Durations.parse(s.text());
        } catch (IllegalArgumentException e) {
            problems.add(n, f.name(key) + ": " + withoutLabel(String.valueOf(e.getMessage()), "duration: "));
            return null;
        }
    }

    /** A whole number; range checks stay with the record, whose messages state them. */
    @Nullable
    Long number(Fields f, String key) {
        final YamlNode n = f.node(key);
        if (n instanceof YamlScalar s
                && s.type() == YamlScalar.Type.STRING
                && WHOLE_NUMBER.matcher(s.text()).matches()) {
            problems.add(
                    n,
                    f.name(key) + ": '" + s.text() + "' is a string (expected: a whole number; write " + s.text()
                            + " without quotes)");
            return null;
        }
        return f.optionalLong(key, Long.MIN_VALUE, Long.MAX_VALUE);
    }

    @Nullable
    Integer integer(Fields f, String key) {
        final YamlNode n = f.node(key);
        final Long v = number(f, key);
        if (v == null) {
            return null;
        }
        if (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE) {
            // A number was read, so the key is there.
            problems.add(
                    requireNonNull(n, key), f.name(key) + ": " + v + " (expected: at most " + Integer.MAX_VALUE + ")");
            return null;
        }
        return v.intValue();
    }

    /** A number such as {@code 0.2} or {@code 1}; range checks stay with the record. */
    @Nullable
    Double decimal(Fields f, String key) {
        final YamlNode n = f.node(key);
        if (n == null) {
            return null;
        }
        if (n instanceof YamlScalar s && (s.type() == YamlScalar.Type.INTEGER || s.type() == YamlScalar.Type.FLOAT)) {
            try {
                return Double.parseDouble(s.text());
            } catch (NumberFormatException e) {
                // reported below
            }
        }
        problems.add(n, f.name(key) + ": " + Fields.got(n) + " (expected: a number such as 0.2)");
        return null;
    }

    @Nullable
    Boolean bool(Fields f, String key) {
        final YamlNode n = f.node(key);
        if (n instanceof YamlScalar s
                && s.type() == YamlScalar.Type.STRING
                && ("true".equalsIgnoreCase(s.text()) || "false".equalsIgnoreCase(s.text()))) {
            problems.add(
                    n,
                    f.name(key) + ": '" + s.text() + "' is a string (expected: true or false; write it without"
                            + " quotes)");
            return null;
        }
        return f.optionalBoolean(key);
    }

    /** A file or directory, resolved against the config file's directory. */
    @Nullable
    Path path(Fields f, String key) {
        final String s = f.optionalString(key);
        return s == null ? null : baseDir.resolve(s).normalize();
    }

    @Nullable
    Path requiredPath(Fields f, String key, List<String> allowed) {
        final String s = requiredString(f, key, allowed);
        return s == null ? null : baseDir.resolve(s).normalize();
    }

    /**
     * A SPIFFE ID; a bare service name gets the ID it most likely means, {@code spiffe://<trustDomain>/ns/<namespace>
     * /sa/<name>}, as a hint (when those two are known).
     */
    @Nullable
    SpiffeId spiffeId(YamlNode n, String name, @Nullable String trustDomain, @Nullable String namespace) {
        final String s = Fields.string(n, name, problems);
        if (s == null) {
            return null;
        }
        try {
            return SpiffeId.parse(s);
        } catch (IllegalArgumentException e) {
            final boolean bareName = s.indexOf('/') < 0 && s.indexOf(':') < 0;
            final String hint = bareName && trustDomain != null && namespace != null
                    ? "; did you mean 'spiffe://" + trustDomain + "/ns/" + namespace + "/sa/" + s + "'?"
                    : "";
            problems.add(n, name + ": " + withoutLabel(String.valueOf(e.getMessage()), "spiffe id: ") + hint);
            return null;
        }
    }

    /**
     * One of a closed set of words, parsed by {@code parse} (which names the choices when it fails). {@code hints}
     * maps values people try (lower case) to what to write instead.
     */
    @Nullable
    <E> E choice(Fields f, String key, Function<String, E> parse, Map<String, String> hints) {
        final YamlNode n = f.node(key);
        if (n == null) {
            return null;
        }
        final String text = n instanceof YamlScalar s && s.type() != YamlScalar.Type.NULL ? s.text() : null;
        if (text == null) {
            problems.add(n, f.name(key) + ": " + Fields.got(n) + " (expected: a word such as " + example(parse) + ")");
            return null;
        }
        try {
            return parse.apply(text);
        } catch (IllegalArgumentException e) {
            final String hint = hints.get(text.toLowerCase(java.util.Locale.ROOT));
            problems.add(n, f.name(key) + ": " + e.getMessage() + (hint == null ? "" : "; " + hint));
            return null;
        }
    }

    private static <E> String example(Function<String, E> parse) {
        try {
            final E ignored = parse.apply("");
            return "the documented values";
        } catch (IllegalArgumentException e) {
            final String m = String.valueOf(e.getMessage());
            final int at = m.indexOf("(expected: ");
            return at < 0 ? "the documented values" : m.substring(at + 11, m.length() - 1);
        }
    }

    /** A list of non-empty strings; unlike policy lists, an empty list is a value here ("none"). */
    @Nullable
    List<String> strings(Fields f, String key) {
        final YamlNode n = f.node(key);
        if (n == null) {
            return null;
        }
        if (!(n instanceof YamlList l)) {
            problems.add(n, f.name(key) + ": " + Fields.got(n) + " (expected: a list, e.g. [a, b])");
            return null;
        }
        final List<String> out = new ArrayList<>(l.items().size());
        for (YamlNode item : l.items()) {
            final String s = Fields.string(item, f.name(key), problems);
            if (s != null) {
                out.add(s);
            }
        }
        return out;
    }

    /** A mapping of names to scalar values, kept as text (SDK properties may be numbers). */
    @Nullable
    Map<String, String> stringMap(Fields f, String key) {
        final YamlNode n = f.node(key);
        if (n == null) {
            return null;
        }
        final Fields m = Fields.of(n, f.name(key), problems);
        if (m == null) {
            return null;
        }
        final Map<String, String> out = new LinkedHashMap<>();
        for (YamlMap.Entry e : m.map().entries().values()) {
            if (e.value() instanceof YamlScalar s && s.type() != YamlScalar.Type.NULL) {
                out.put(e.key(), s.text());
            } else {
                problems.add(e.value(), m.name(e.key()) + ": " + Fields.got(e.value()) + " (expected: a single value)");
            }
        }
        return out;
    }

    /**
     * Builds a section's record unless something inside it was already reported since {@code problemsBefore} (its
     * cross-field checks would then judge defaults, not what was written). The record's own checks throw {@code
     * IllegalArgumentException} naming a field ({@code "maxHeaderBytes: 100 (expected: >= 1024)"}); the message is
     * reported at that field's value with its full dotted name.
     */
    @Nullable
    <T> T build(Fields f, int problemsBefore, Supplier<T> constructor) {
        if (problems.count() > problemsBefore) {
            return null;
        }
        try {
            return constructor.get();
        } catch (IllegalArgumentException e) {
            reportAt(f, String.valueOf(e.getMessage()));
            return null;
        }
    }

    private void reportAt(Fields f, String message) {
        final String prefix = prefixOf(f);
        final int colon = message.indexOf(": ");
        final String field = colon > 0 ? message.substring(0, colon) : "";
        final YamlNode fieldNode = field.isEmpty() ? null : f.node(field);
        if (fieldNode != null) {
            problems.add(fieldNode, f.name(field) + message.substring(colon));
        } else if (!field.isEmpty() && (field.equals(prefix) || prefix.isEmpty() || field.startsWith(prefix + '.'))) {
            final String rest = prefix.isEmpty() || field.equals(prefix) ? field : field.substring(prefix.length() + 1);
            problems.add(locate(f.map(), field.equals(prefix) ? "" : rest), message);
        } else {
            problems.add(f.location(), prefix.isEmpty() ? message : prefix + ": " + message);
        }
    }

    /** The position of the value at a dotted path below {@code map}; the mapping's own when the path ends early. */
    private static Location locate(YamlMap map, String dotted) {
        YamlNode at = map;
        for (String part : dotted.isEmpty() ? new String[0] : dotted.split("\\.")) {
            final YamlNode next = at instanceof YamlMap m ? m.get(part) : null;
            if (next != null) {
                at = next;
            } else {
                break;
            }
        }
        return at.location();
    }

    private static String prefixOf(Fields f) {
        final String probe = f.name("x");
        return probe.equals("x") ? "" : probe.substring(0, probe.length() - 2);
    }

    private static String withoutLabel(String message, String label) {
        return message.startsWith(label) ? message.substring(label.length()) : message;
    }
}
