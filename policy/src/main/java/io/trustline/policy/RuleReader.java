package io.trustline.policy;

import static io.trustline.policy.ReadContext.orEmpty;
import static java.util.Objects.requireNonNull;

import io.trustline.policy.model.Action;
import io.trustline.policy.model.ClaimCondition;
import io.trustline.policy.model.Mode;
import io.trustline.policy.model.RegexMatch;
import io.trustline.policy.model.Rule;
import io.trustline.policy.model.Source;
import io.trustline.policy.model.StringMatch;
import io.trustline.policy.model.Target;
import io.trustline.policy.yaml.Fields;
import io.trustline.policy.yaml.Location;
import io.trustline.policy.yaml.Problems;
import io.trustline.policy.yaml.YamlList;
import io.trustline.policy.yaml.YamlMap;
import io.trustline.policy.yaml.YamlNode;
import io.trustline.policy.yaml.YamlScalar;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/** Reads {@code spec.rules[]}: name, action, mode, and the {@code from}, {@code to} and {@code when} matches. */
final class RuleReader {

    /** A query parameter name as a regex key: decoded names may hold any printable character. */
    private static final Pattern QUERY_NAME = Pattern.compile("[\\x21-\\x7e]{1,100}");

    private final ReadContext ctx;
    private final Problems problems;
    private final MatchValues values;

    RuleReader(ReadContext ctx) {
        this.ctx = ctx;
        this.problems = ctx.problems();
        this.values = new MatchValues(problems);
    }

    /**
     * Reports every rule of {@code spec.rules} whose name an earlier rule of the same policy has. It
     * reads the YAML rather than the read rules, so a duplicate is reported even when a rule is invalid.
     */
    static void checkUniqueNames(Fields spec, Problems problems) {
        if (!(spec.node("rules") instanceof YamlList l)) {
            return;
        }
        Map<String, Location> seen = new HashMap<>();
        for (YamlNode i : l.items()) {
            if (i instanceof YamlMap m
                    && m.get("name") instanceof YamlScalar s
                    && !s.text().isEmpty()) {
                Location first = seen.putIfAbsent(s.text(), s.location());
                if (first != null) {
                    problems.add(
                            s,
                            "rules.name: duplicate rule name '" + s.text() + "' (first at line " + first.line() + ")");
                }
            }
        }
    }

    @Nullable
    Rule rule(YamlNode n) {
        Fields f = Fields.of(n, "rules", problems);
        if (f == null) {
            return null;
        }
        int before = problems.count();
        f.allowOnly("name", "action", "mode", "from", "to", "when");
        String name = ctx.entryName(f, "rules");
        Action action = null;
        String a = f.requiredString("action");
        if (a != null) {
            try {
                action = Action.parse(a);
            } catch (IllegalArgumentException e) {
                problems.add(f.locationOf("action"), "rules.action: '" + a + "' (expected: allow or deny)");
            }
        }
        Mode mode = ctx.entryMode(f);
        Source from = Source.ANY;
        Fields fromFields = ctx.nonEmptyMap(f, "from", "any caller");
        if (fromFields != null) {
            from = source(fromFields);
        }
        Target to = Target.ANY;
        Fields toFields = ctx.nonEmptyMap(f, "to", "any request");
        if (toFields != null) {
            to = target(toFields);
        }
        List<ClaimCondition> when = f.optionalList("when", this::claimCondition);
        if (to.hasRegex() && action == Action.ALLOW) {
            problems.add(
                    f.locationOf("to"),
                    "rules.to: pathRegex, queryRegex and headerRegex are for deny rules (expected: action: deny;"
                            + " allow with exact, prefix or suffix matches)");
        }
        if (name == null || action == null || problems.count() != before) {
            return null;
        }
        return new Rule(name, action, mode, from, to, when == null ? List.of() : when, ctx.origin(n.location()));
    }

    private Source source(Fields f) {
        f.allowOnly(
                "principals", "notPrincipals", "requestPrincipals", "notRequestPrincipals", "ipBlocks", "notIpBlocks");
        return new Source(
                orEmpty(f.optionalList("principals", x -> values.principal(x, f.name("principals")))),
                orEmpty(f.optionalList("notPrincipals", x -> values.principal(x, f.name("notPrincipals")))),
                orEmpty(f.optionalList("requestPrincipals", x -> values.pattern(x, f.name("requestPrincipals")))),
                orEmpty(f.optionalList("notRequestPrincipals", x -> values.pattern(x, f.name("notRequestPrincipals")))),
                orEmpty(f.optionalList("ipBlocks", x -> values.ipBlock(x, f.name("ipBlocks")))),
                orEmpty(f.optionalList("notIpBlocks", x -> values.ipBlock(x, f.name("notIpBlocks")))));
    }

    private Target target(Fields f) {
        f.allowOnly(
                "methods",
                "notMethods",
                "paths",
                "notPaths",
                "grpc",
                "notGrpc",
                "headers",
                "notHeaders",
                "pathRegex",
                "queryRegex",
                "headerRegex");
        return new Target(
                orEmpty(f.optionalList("methods", x -> values.method(x, f.name("methods")))),
                orEmpty(f.optionalList("notMethods", x -> values.method(x, f.name("notMethods")))),
                orEmpty(f.optionalList("paths", x -> values.pathPattern(x, f.name("paths")))),
                orEmpty(f.optionalList("notPaths", x -> values.pathPattern(x, f.name("notPaths")))),
                orEmpty(f.optionalList("grpc", x -> values.grpcPattern(x, f.name("grpc")))),
                orEmpty(f.optionalList("notGrpc", x -> values.grpcPattern(x, f.name("notGrpc")))),
                headers(f, "headers"),
                headers(f, "notHeaders"),
                orEmpty(f.optionalList("pathRegex", x -> values.regex(x, f.name("pathRegex")))),
                regexMap(f, "queryRegex", true),
                regexMap(f, "headerRegex", false));
    }

    /** {@code queryRegex} (parameter names, {@code *} for any) or {@code headerRegex} (header names). */
    private Map<String, List<RegexMatch>> regexMap(Fields parent, String key, boolean query) {
        Fields f = ctx.nonEmptyMap(parent, key, query ? "no query constraint" : "no header constraint");
        if (f == null) {
            return Map.of();
        }
        Map<String, List<RegexMatch>> out = new LinkedHashMap<>();
        for (YamlMap.Entry e : f.map().entries().values()) {
            String name = query ? e.key() : e.key().toLowerCase(Locale.ROOT);
            boolean ok = query
                    ? QUERY_NAME.matcher(name).matches()
                    : MatchValues.HEADER.matcher(name).matches();
            if (!ok) {
                problems.add(
                        e.keyLocation(),
                        f.name(e.key()) + ": '" + e.key()
                                + (query
                                        ? "' (expected: a query parameter name as decoded, or '*' for any)"
                                        : "' (expected: an HTTP header name)"));
                continue;
            }
            if (out.containsKey(name)) {
                problems.add(
                        e.keyLocation(),
                        f.name(e.key()) + ": '" + name + "' listed twice (names are case-insensitive)");
                continue;
            }
            List<RegexMatch> regexes =
                    Fields.list(e.value(), f.name(e.key()), problems, x -> values.regex(x, f.name(e.key())));
            if (regexes != null) {
                out.put(name, regexes);
            }
        }
        return out;
    }

    private Map<String, List<StringMatch>> headers(Fields parent, String key) {
        Fields f = ctx.nonEmptyMap(parent, key, "no header constraint");
        if (f == null) {
            return Map.of();
        }
        Map<String, List<StringMatch>> out = new LinkedHashMap<>();
        Set<String> seen = new LinkedHashSet<>();
        for (YamlMap.Entry e : f.map().entries().values()) {
            String name = e.key().toLowerCase(Locale.ROOT);
            if (!MatchValues.HEADER.matcher(name).matches()) {
                problems.add(
                        e.keyLocation(),
                        f.name(e.key()) + ": '" + e.key()
                                + "' (expected: an HTTP header name; use methods/paths for pseudo-headers)");
                continue;
            }
            if (!seen.add(name)) {
                problems.add(
                        e.keyLocation(),
                        f.name(e.key()) + ": header '" + name + "' listed twice (names are case-insensitive)");
                continue;
            }
            List<StringMatch> matches =
                    Fields.list(e.value(), f.name(e.key()), problems, x -> values.pattern(x, f.name(e.key())));
            if (matches != null) {
                out.put(name, matches);
            }
        }
        return out;
    }

    @Nullable
    private ClaimCondition claimCondition(YamlNode n) {
        Fields f = Fields.of(n, "when", problems);
        if (f == null) {
            return null;
        }
        f.allowOnly("claim", "equals", "in", "contains");
        String claim = f.requiredString("claim");
        List<String> ops = new ArrayList<>();
        for (String op : List.of("equals", "in", "contains")) {
            if (f.has(op)) {
                ops.add(op);
            }
        }
        if (ops.size() != 1) {
            problems.add(
                    n,
                    "when: " + (ops.isEmpty() ? "no operator" : "operators " + ops)
                            + " (expected: exactly one of equals, in, contains)");
            return null;
        }
        String op = ops.get(0);
        List<String> claimValues;
        if (op.equals("in")) {
            claimValues = f.optionalList("in", x -> claimValue(x, "when.in"));
        } else {
            // ops holds only keys that f has.
            String v = claimValue(requireNonNull(f.node(op), op), "when." + op);
            claimValues = v == null ? null : List.of(v);
        }
        if (claim == null || claimValues == null || claimValues.isEmpty()) {
            return null;
        }
        ClaimCondition.Operator operator = switch (op) {
            case "equals" -> ClaimCondition.Operator.EQUALS;
            case "in" -> ClaimCondition.Operator.IN;
            default -> ClaimCondition.Operator.CONTAINS;
        };
        return new ClaimCondition(claim, operator, claimValues);
    }

    /** Claims may be numbers or booleans, so the scalar's text is compared; null is an error. */
    @Nullable
    private String claimValue(YamlNode n, String name) {
        if (n instanceof YamlScalar s
                && s.type() != YamlScalar.Type.NULL
                && !s.text().isEmpty()) {
            return s.text();
        }
        problems.add(n, name + ": " + Fields.got(n) + " (expected: a string, number or boolean)");
        return null;
    }
}
