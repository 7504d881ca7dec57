package io.trustline.policy;

import io.trustline.ca.Durations;
import io.trustline.policy.model.Mode;
import io.trustline.policy.model.Origin;
import io.trustline.policy.model.Rate;
import io.trustline.policy.yaml.Fields;
import io.trustline.policy.yaml.Location;
import io.trustline.policy.yaml.Problems;
import io.trustline.policy.yaml.YamlNode;
import io.trustline.policy.yaml.YamlScalar;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * What the section readers of one document share: where problems go, the policy's own mode (which
 * every entry inherits), the directory relative files are resolved against, and the field readers
 * that more than one section uses.
 */
final class ReadContext {

    private static final Pattern ENTRY_NAME = Pattern.compile("[A-Za-z0-9]([-A-Za-z0-9._]{0,126}[A-Za-z0-9])?");

    private final Problems problems;
    private final Mode policyMode;
    private final Path baseDir;

    ReadContext(Problems problems, Mode policyMode, Path baseDir) {
        this.problems = problems;
        this.policyMode = policyMode;
        this.baseDir = baseDir;
    }

    Problems problems() {
        return problems;
    }

    Path baseDir() {
        return baseDir;
    }

    Origin origin(Location l) {
        return new Origin(problems.file(), l.line(), l.column());
    }

    /** {@code enforce} or {@code audit} at {@code key}; {@code dflt} when absent or invalid. */
    static Mode mode(Fields f, String key, Mode dflt) {
        String s = f.optionalString(key);
        if (s == null) {
            return dflt;
        }
        try {
            return Mode.parse(s);
        } catch (IllegalArgumentException e) {
            f.problems().add(f.locationOf(key), f.name(key) + ": '" + s + "' (expected: enforce or audit)");
            return dflt;
        }
    }

    /**
     * The effective mode of an entry inside the policy: audit if either says so. {@code mode:
     * enforce} inside an audit policy is an error rather than silently ignored.
     */
    Mode entryMode(Fields f) {
        Mode m = mode(f, "mode", policyMode);
        if (policyMode == Mode.AUDIT && m == Mode.ENFORCE && f.has("mode")) {
            problems.add(
                    f.locationOf("mode"),
                    f.name("mode")
                            + ": 'enforce' inside a policy in audit mode (expected: audit or omitted; the whole policy is a dry run)");
            return Mode.AUDIT;
        }
        return m;
    }

    /** The required {@code name} of a rule, limit or deprecation, as {@code section.name} in messages. */
    @Nullable
    String entryName(Fields f, String section) {
        String name = f.requiredString("name");
        if (name != null && !ENTRY_NAME.matcher(name).matches()) {
            problems.add(
                    f.locationOf("name"),
                    section + ".name: '" + name
                            + "' (expected: letters, digits, '-', '_' and '.', up to 128 characters)");
        }
        return name;
    }

    /**
     * The optional mapping at {@code key}, which may not be empty: an empty one is reported, telling
     * the author to omit it for {@code meaning}.
     */
    @Nullable
    Fields nonEmptyMap(Fields parent, String key, String meaning) {
        YamlNode n = parent.node(key);
        if (n == null) {
            return null;
        }
        Fields f = Fields.of(n, key, problems);
        if (f != null && f.isEmpty()) {
            problems.add(n, key + ": empty (expected: at least one field; omit '" + key + "' for " + meaning + ")");
            return null;
        }
        return f;
    }

    /** {@code n} as a mapping that may not be empty, named {@code name} in messages. */
    @Nullable
    Fields nonEmptyMap(YamlNode n, String name) {
        Fields f = Fields.of(n, name, problems);
        if (f != null && f.isEmpty()) {
            problems.add(n, name + ": empty (expected: at least one field; omit '" + name + "' for none)");
            return null;
        }
        return f;
    }

    /** A duration in {@code [min, max]}; returns {@code dflt} when absent (or invalid). */
    Duration duration(Fields f, String key, Duration dflt, Duration min, Duration max) {
        Duration d = optionalDuration(f, key, min, max);
        return d == null ? dflt : d;
    }

    /** A duration in {@code [min, max]}; null when absent (or invalid). */
    @Nullable
    Duration optionalDuration(Fields f, String key, Duration min, Duration max) {
        String s = f.optionalString(key);
        if (s == null) {
            return null;
        }
        try {
            Duration d = Durations.parse(s);
            if (d.compareTo(min) < 0 || d.compareTo(max) > 0) {
                problems.add(
                        f.locationOf(key),
                        f.name(key) + ": '" + s + "' (expected: between " + Durations.format(min) + " and "
                                + Durations.format(max) + ")");
                return null;
            }
            return d;
        } catch (IllegalArgumentException e) {
            problems.add(f.locationOf(key), f.name(key) + ": " + e.getMessage());
            return null;
        }
    }

    /** A token-bucket rate such as {@code 100/s}, for rate limits and the penalty box. */
    @Nullable
    Rate rate(YamlNode n, String name) {
        if (!(n instanceof YamlScalar s) || s.type() == YamlScalar.Type.NULL) {
            problems.add(n, name + ": " + Fields.got(n) + " (expected: N/s, N/m or N/h)");
            return null;
        }
        try {
            return Rate.parse(s.text());
        } catch (IllegalArgumentException e) {
            problems.add(n, name + ": '" + s.text() + "' (expected: N/s, N/m or N/h with N > 0)");
            return null;
        }
    }

    static <T> List<T> orEmpty(@Nullable List<T> l) {
        return l == null ? List.of() : l;
    }
}
