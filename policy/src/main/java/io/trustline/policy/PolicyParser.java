package io.trustline.policy;

import io.trustline.policy.model.Action;
import io.trustline.policy.model.ClaimCondition;
import io.trustline.policy.model.Cors;
import io.trustline.policy.model.Deprecation;
import io.trustline.policy.model.Durations;
import io.trustline.policy.model.IpBlock;
import io.trustline.policy.model.JwksCache;
import io.trustline.policy.model.JwtAlgorithm;
import io.trustline.policy.model.JwtProvider;
import io.trustline.policy.model.Mode;
import io.trustline.policy.model.Origin;
import io.trustline.policy.model.Penalty;
import io.trustline.policy.model.Policy;
import io.trustline.policy.model.Rate;
import io.trustline.policy.model.RateLimit;
import io.trustline.policy.model.RateLimitKey;
import io.trustline.policy.model.RateLimitMatch;
import io.trustline.policy.model.RateOverride;
import io.trustline.policy.model.RegexMatch;
import io.trustline.policy.model.ReplayGuard;
import io.trustline.policy.model.RequestLimits;
import io.trustline.policy.model.Rule;
import io.trustline.policy.model.Source;
import io.trustline.policy.model.StringMatch;
import io.trustline.policy.model.Target;
import io.trustline.policy.model.TokenSource;
import io.trustline.policy.path.NormalizedPath;
import io.trustline.policy.path.PathNormalizer;
import io.trustline.policy.yaml.Fields;
import io.trustline.policy.yaml.Location;
import io.trustline.policy.yaml.Problems;
import io.trustline.policy.yaml.YamlDocuments;
import io.trustline.policy.yaml.YamlList;
import io.trustline.policy.yaml.YamlMap;
import io.trustline.policy.yaml.YamlNode;
import io.trustline.policy.yaml.YamlScalar;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * Reads policy documents ({@code apiVersion: trustline.io/v1}, {@code kind: Policy}) from YAML and
 * validates them. Unknown fields, wrong types and bad values are all errors; every error of a file
 * is reported with its {@code file:line:column}. {@link #validateTogether} adds the checks that
 * span files (names and issuers declared twice).
 */
public final class PolicyParser {

    public static final String API_VERSION = "trustline.io/v1";
    public static final String KIND = "Policy";

    private static final Pattern NAME = Pattern.compile("[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?");
    private static final Pattern RULE_NAME = Pattern.compile("[A-Za-z0-9]([-A-Za-z0-9._]{0,126}[A-Za-z0-9])?");
    private static final Pattern SERVICE = Pattern.compile("[A-Za-z0-9]([-A-Za-z0-9._]{0,251}[A-Za-z0-9])?");
    private static final Pattern METHOD = Pattern.compile("[A-Z]{1,20}");
    private static final Pattern HEADER = Pattern.compile("[a-z0-9!#$%&'*+.^_`|~-]{1,100}");
    private static final Pattern GRPC_EXACT =
            Pattern.compile("([A-Za-z_][A-Za-z0-9_]*\\.)*[A-Za-z_][A-Za-z0-9_]*/[A-Za-z_][A-Za-z0-9_]*");
    private static final Pattern GRPC_CHARS = Pattern.compile("[A-Za-z0-9_./]*");
    private static final Pattern QUERY_PARAM = Pattern.compile("[A-Za-z0-9._~-]{1,100}");
    /** A query parameter name as a regex key: decoded names may hold any printable character. */
    private static final Pattern QUERY_NAME = Pattern.compile("[\\x21-\\x7e]{1,100}");
    /** A serialised origin as browsers send it: scheme, lower-case host, optional port; no path. */
    private static final Pattern ORIGIN = Pattern.compile(
            "https?://(([a-z0-9]([-a-z0-9]*[a-z0-9])?)(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*|\\[[0-9a-f:.]+\\])(:[0-9]{1,5})?");
    /** Request headers a browser sets itself, which a page can never send (so listing them is a mistake). */
    private static final Set<String> FORBIDDEN_REQUEST_HEADERS =
            Set.of("host", "origin", "cookie", "content-length", "connection", "referer", "te", "upgrade");
    /** Headers a claim may not be copied into: they carry routing, identity or framing. */
    private static final Set<String> RESERVED_HEADERS = Set.of(
            "authorization",
            "host",
            "content-length",
            "content-type",
            "transfer-encoding",
            "connection",
            "te",
            "upgrade",
            "cookie",
            "x-forwarded-client-cert",
            "x-forwarded-for",
            "traceparent",
            "tracestate");

    private PolicyParser() {}

    /**
     * Parses every document of one file.
     *
     * @param file the name used in error messages
     * @param baseDir the directory that relative {@code jwksFile} paths are resolved against
     */
    public static List<Policy> parse(String file, String content, Path baseDir) throws PolicyParseException {
        Problems problems = new Problems(file);
        List<Policy> policies = parse(content, baseDir, problems);
        if (problems.count() > 0) {
            throw new PolicyParseException(problems.errors());
        }
        return policies;
    }

    /** Parses one file, adding problems to {@code problems}; returns what could be read. */
    static List<Policy> parse(String content, Path baseDir, Problems problems) {
        int before = problems.count();
        List<YamlNode> docs = YamlDocuments.read(content, problems);
        boolean yamlOk = problems.count() == before;
        List<Policy> out = new ArrayList<>();
        for (YamlNode doc : docs) {
            int errors = problems.count();
            Policy p = new DocumentReader(problems, baseDir).policy(doc);
            if (p != null && problems.count() == errors && yamlOk) {
                out.add(p);
            }
        }
        return out;
    }

    /**
     * Checks that span documents and files: policy names unique; per service, issuers, rate-limit
     * and deprecation names unique, and the penalty box, CORS and request limits declared once.
     * Errors come policy by policy, in the order of the sections.
     */
    public static List<PolicyError> validateTogether(List<Policy> policies) {
        DuplicateCheck check = new DuplicateCheck();
        for (Policy p : policies) {
            String service = p.service();
            check.uniqueName(
                    "metadata", "", p.name(), p.origin(), "metadata.name: duplicate policy name '" + p.name() + "'");
            for (JwtProvider j : p.jwt()) {
                check.uniqueName(
                        "jwt",
                        service,
                        j.issuer(),
                        j.origin(),
                        "jwt.issuer: '" + j.issuer() + "' is listed twice for service '" + service + "'");
            }
            for (RateLimit l : p.rateLimits()) {
                check.uniqueName(
                        "rateLimits",
                        service,
                        l.name(),
                        l.origin(),
                        "rateLimits.name: duplicate limit name '" + l.name() + "' for service '" + service + "'");
            }
            p.penalty()
                    .ifPresent(x -> check.oncePerService(
                            "penalty",
                            service,
                            x.origin(),
                            "penalty: a second penalty box for service '" + service + "'"));
            p.cors()
                    .ifPresent(x -> check.oncePerService(
                            "cors", service, x.origin(), "cors: a second CORS section for service '" + service + "'"));
            p.requestLimits()
                    .ifPresent(x -> check.oncePerService(
                            "requestLimits",
                            service,
                            x.origin(),
                            "requestLimits: a second requestLimits section for service '" + service + "'"));
            for (Deprecation d : p.deprecations()) {
                check.uniqueName(
                        "deprecations",
                        service,
                        d.name(),
                        d.origin(),
                        "deprecations.name: duplicate deprecation name '" + d.name() + "' for service '" + service
                                + "'");
            }
        }
        return check.errors();
    }

    /** Reads one document; holds the per-document state (mode, base directory). */
    private static final class DocumentReader {

        private final Problems problems;
        private final Path baseDir;
        private Mode policyMode = Mode.ENFORCE;

        DocumentReader(Problems problems, Path baseDir) {
            this.problems = problems;
            this.baseDir = baseDir;
        }

        @Nullable
        Policy policy(YamlNode doc) {
            Fields root = Fields.of(doc, "", problems);
            if (root == null) {
                return null;
            }
            root.allowOnly("apiVersion", "kind", "metadata", "spec");
            String apiVersion = root.requiredString("apiVersion");
            if (apiVersion != null && !apiVersion.equals(API_VERSION)) {
                problems.add(
                        root.node("apiVersion"), "apiVersion: '" + apiVersion + "' (expected: " + API_VERSION + ")");
            }
            String kind = root.requiredString("kind");
            if (kind != null && !kind.equals(KIND)) {
                problems.add(root.node("kind"), "kind: '" + kind + "' (expected: " + KIND + ")");
            }
            String name = null;
            YamlNode metaNode = root.required("metadata");
            if (metaNode != null) {
                Fields meta = Fields.of(metaNode, "metadata", problems);
                if (meta != null) {
                    meta.allowOnly("name");
                    name = meta.requiredString("name");
                    if (name != null && !NAME.matcher(name).matches()) {
                        problems.add(
                                meta.node("name"),
                                "metadata.name: '" + name
                                        + "' (expected: lower-case letters, digits, '-' and '.', starting and ending with a letter or digit)");
                    }
                }
            }
            YamlNode specNode = root.required("spec");
            if (specNode == null) {
                return null;
            }
            Fields spec = Fields.of(specNode, "spec", problems);
            if (spec == null) {
                return null;
            }
            spec.allowOnly(
                    "service",
                    "mode",
                    "jwt",
                    "rules",
                    "rateLimits",
                    "penalty",
                    "cors",
                    "requestLimits",
                    "deprecations");
            int warningsBefore = problems.warningCount();
            String service = spec.requiredString("service");
            if (service != null && !SERVICE.matcher(service).matches()) {
                problems.add(
                        spec.node("service"),
                        "spec.service: '" + service
                                + "' (expected: letters, digits, '-', '_' and '.', starting and ending with a letter or digit)");
            }
            policyMode = mode(spec, "mode", Mode.ENFORCE);
            List<JwtProvider> jwt = sectionList(spec, "jwt", n -> jwt(n));
            List<Rule> rules = sectionList(spec, "rules", n -> rule(n));
            checkUniqueRuleNames(spec);
            List<RateLimit> limits = sectionList(spec, "rateLimits", n -> rateLimit(n));
            Penalty penalty = spec.has("penalty") ? penalty(spec.node("penalty")) : null;
            Cors cors = spec.has("cors") ? cors(spec.node("cors")) : null;
            RequestLimits requestLimits = spec.has("requestLimits") ? requestLimits(spec.node("requestLimits")) : null;
            List<Deprecation> deprecations = sectionList(spec, "deprecations", n -> deprecation(n));
            if (name == null || service == null) {
                return null;
            }
            return new Policy(
                    name,
                    service,
                    policyMode,
                    jwt,
                    rules,
                    limits,
                    Optional.ofNullable(penalty),
                    Optional.ofNullable(cors),
                    Optional.ofNullable(requestLimits),
                    deprecations,
                    problems.warningsFrom(warningsBefore),
                    origin(doc.location()));
        }

        /**
         * A top-level section list. Unlike match lists, an empty section is allowed and means
         * "none": {@code rules: []} contributes no rule, which cannot be mistaken for "no
         * constraint".
         */
        private <T> List<T> sectionList(Fields spec, String key, Function<YamlNode, @Nullable T> item) {
            YamlNode n = spec.node(key);
            if (n == null) {
                return List.of();
            }
            if (!(n instanceof YamlList l)) {
                problems.add(n, spec.name(key) + ": " + Fields.got(n) + " (expected: a list)");
                return List.of();
            }
            List<T> out = new ArrayList<>();
            for (YamlNode i : l.items()) {
                T v = item.apply(i);
                if (v != null) {
                    out.add(v);
                }
            }
            return out;
        }

        private void checkUniqueRuleNames(Fields spec) {
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
                                "rules.name: duplicate rule name '" + s.text() + "' (first at line " + first.line()
                                        + ")");
                    }
                }
            }
        }

        private Mode mode(Fields f, String key, Mode dflt) {
            String s = f.optionalString(key);
            if (s == null) {
                return dflt;
            }
            try {
                return Mode.parse(s);
            } catch (IllegalArgumentException e) {
                problems.add(f.node(key), f.name(key) + ": '" + s + "' (expected: enforce or audit)");
                return dflt;
            }
        }

        /**
         * The effective mode of an entry inside the policy: audit if either says so. {@code mode:
         * enforce} inside an audit policy is an error rather than silently ignored.
         */
        private Mode entryMode(Fields f) {
            Mode m = mode(f, "mode", policyMode);
            if (policyMode == Mode.AUDIT && m == Mode.ENFORCE && f.has("mode")) {
                problems.add(
                        f.node("mode"),
                        f.name("mode")
                                + ": 'enforce' inside a policy in audit mode (expected: audit or omitted; the whole policy is a dry run)");
                return Mode.AUDIT;
            }
            return m;
        }

        private Origin origin(Location l) {
            return new Origin(problems.file(), l.line(), l.column());
        }

        // ---- rules ----

        private @Nullable Rule rule(YamlNode n) {
            Fields f = Fields.of(n, "rules", problems);
            if (f == null) {
                return null;
            }
            int before = problems.count();
            f.allowOnly("name", "action", "mode", "from", "to", "when");
            String name = f.requiredString("name");
            if (name != null && !RULE_NAME.matcher(name).matches()) {
                problems.add(
                        f.node("name"),
                        "rules.name: '" + name
                                + "' (expected: letters, digits, '-', '_' and '.', up to 128 characters)");
            }
            Action action = null;
            String a = f.requiredString("action");
            if (a != null) {
                try {
                    action = Action.parse(a);
                } catch (IllegalArgumentException e) {
                    problems.add(f.node("action"), "rules.action: '" + a + "' (expected: allow or deny)");
                }
            }
            Mode mode = entryMode(f);
            Source from = Source.ANY;
            Fields fromFields = nonEmptyMap(f, "from", "any caller");
            if (fromFields != null) {
                from = source(fromFields);
            }
            Target to = Target.ANY;
            Fields toFields = nonEmptyMap(f, "to", "any request");
            if (toFields != null) {
                to = target(toFields);
            }
            List<ClaimCondition> when = f.optionalList("when", this::claimCondition);
            if (to.hasRegex() && action == Action.ALLOW) {
                problems.add(
                        f.node("to"),
                        "rules.to: pathRegex, queryRegex and headerRegex are for deny rules (expected: action: deny;"
                                + " allow with exact, prefix or suffix matches)");
            }
            if (name == null || action == null || problems.count() != before) {
                return null;
            }
            return new Rule(name, action, mode, from, to, when == null ? List.of() : when, origin(n.location()));
        }

        private @Nullable Fields nonEmptyMap(Fields parent, String key, String meaning) {
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

        private Source source(Fields f) {
            f.allowOnly(
                    "principals",
                    "notPrincipals",
                    "requestPrincipals",
                    "notRequestPrincipals",
                    "ipBlocks",
                    "notIpBlocks");
            return new Source(
                    orEmpty(f.optionalList("principals", x -> principal(x, f.name("principals")))),
                    orEmpty(f.optionalList("notPrincipals", x -> principal(x, f.name("notPrincipals")))),
                    orEmpty(f.optionalList("requestPrincipals", x -> pattern(x, f.name("requestPrincipals")))),
                    orEmpty(f.optionalList("notRequestPrincipals", x -> pattern(x, f.name("notRequestPrincipals")))),
                    orEmpty(f.optionalList("ipBlocks", x -> ipBlock(x, f.name("ipBlocks")))),
                    orEmpty(f.optionalList("notIpBlocks", x -> ipBlock(x, f.name("notIpBlocks")))));
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
                    orEmpty(f.optionalList("methods", x -> method(x, f.name("methods")))),
                    orEmpty(f.optionalList("notMethods", x -> method(x, f.name("notMethods")))),
                    orEmpty(f.optionalList("paths", x -> pathPattern(x, f.name("paths")))),
                    orEmpty(f.optionalList("notPaths", x -> pathPattern(x, f.name("notPaths")))),
                    orEmpty(f.optionalList("grpc", x -> grpcPattern(x, f.name("grpc")))),
                    orEmpty(f.optionalList("notGrpc", x -> grpcPattern(x, f.name("notGrpc")))),
                    headers(f, "headers"),
                    headers(f, "notHeaders"),
                    orEmpty(f.optionalList("pathRegex", x -> regex(x, f.name("pathRegex")))),
                    regexMap(f, "queryRegex", true),
                    regexMap(f, "headerRegex", false));
        }

        private @Nullable RegexMatch regex(YamlNode n, String name) {
            String s = Fields.string(n, name, problems);
            if (s == null) {
                return null;
            }
            try {
                return RegexMatch.compile(s);
            } catch (IllegalArgumentException e) {
                problems.add(n, name + ": " + e.getMessage());
                return null;
            }
        }

        /** {@code queryRegex} (parameter names, {@code *} for any) or {@code headerRegex} (header names). */
        private Map<String, List<RegexMatch>> regexMap(Fields parent, String key, boolean query) {
            Fields f = nonEmptyMap(parent, key, query ? "no query constraint" : "no header constraint");
            if (f == null) {
                return Map.of();
            }
            Map<String, List<RegexMatch>> out = new LinkedHashMap<>();
            for (YamlMap.Entry e : f.map().entries().values()) {
                String name = query ? e.key() : e.key().toLowerCase(Locale.ROOT);
                boolean ok = query
                        ? QUERY_NAME.matcher(name).matches()
                        : HEADER.matcher(name).matches();
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
                List<RegexMatch> values =
                        Fields.list(e.value(), f.name(e.key()), problems, x -> regex(x, f.name(e.key())));
                if (values != null) {
                    out.put(name, values);
                }
            }
            return out;
        }

        private Map<String, List<StringMatch>> headers(Fields parent, String key) {
            Fields f = nonEmptyMap(parent, key, "no header constraint");
            if (f == null) {
                return Map.of();
            }
            Map<String, List<StringMatch>> out = new LinkedHashMap<>();
            Set<String> seen = new LinkedHashSet<>();
            for (YamlMap.Entry e : f.map().entries().values()) {
                String name = e.key().toLowerCase(Locale.ROOT);
                if (!HEADER.matcher(name).matches()) {
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
                List<StringMatch> values =
                        Fields.list(e.value(), f.name(e.key()), problems, x -> pattern(x, f.name(e.key())));
                if (values != null) {
                    out.put(name, values);
                }
            }
            return out;
        }

        private @Nullable ClaimCondition claimCondition(YamlNode n) {
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
            List<String> values;
            if (op.equals("in")) {
                values = f.optionalList("in", x -> claimValue(x, "when.in"));
            } else {
                String v = claimValue(f.node(op), "when." + op);
                values = v == null ? null : List.of(v);
            }
            if (claim == null || values == null || values.isEmpty()) {
                return null;
            }
            ClaimCondition.Operator operator = switch (op) {
                case "equals" -> ClaimCondition.Operator.EQUALS;
                case "in" -> ClaimCondition.Operator.IN;
                default -> ClaimCondition.Operator.CONTAINS;
            };
            return new ClaimCondition(claim, operator, values);
        }

        /** Claims may be numbers or booleans, so the scalar's text is compared; null is an error. */
        private @Nullable String claimValue(YamlNode n, String name) {
            if (n instanceof YamlScalar s
                    && s.type() != YamlScalar.Type.NULL
                    && !s.text().isEmpty()) {
                return s.text();
            }
            problems.add(n, name + ": " + Fields.got(n) + " (expected: a string, number or boolean)");
            return null;
        }

        private @Nullable StringMatch pattern(YamlNode n, String name) {
            String s = Fields.string(n, name, problems);
            if (s == null) {
                return null;
            }
            try {
                return StringMatch.parse(s);
            } catch (IllegalArgumentException e) {
                problems.add(n, name + ": " + e.getMessage());
                return null;
            }
        }

        private @Nullable StringMatch principal(YamlNode n, String name) {
            StringMatch m = pattern(n, name);
            if (m != null
                    && (m.kind() == StringMatch.Kind.EXACT || m.kind() == StringMatch.Kind.PREFIX)
                    && !m.value().startsWith("spiffe://")) {
                problems.add(
                        n,
                        name + ": '" + m + "' (expected: a SPIFFE ID such as spiffe://example.org/ns/shop/sa/frontend, "
                                + "a prefix of one ending in '*', '*suffix' or '*')");
                return null;
            }
            return m;
        }

        private @Nullable String method(YamlNode n, String name) {
            String s = Fields.string(n, name, problems);
            if (s != null && !METHOD.matcher(s).matches()) {
                problems.add(n, name + ": '" + s + "' (expected: an upper-case HTTP method such as GET)");
                return null;
            }
            return s;
        }

        private @Nullable StringMatch pathPattern(YamlNode n, String name) {
            StringMatch m = pattern(n, name);
            if (m == null || m.kind() == StringMatch.Kind.PRESENT) {
                return m;
            }
            String v = m.value();
            if (v.indexOf('?') >= 0) {
                problems.add(n, name + ": '" + m + "' (expected: a path without query; the query is not matched)");
                return null;
            }
            if (m.kind() == StringMatch.Kind.SUFFIX) {
                return m;
            }
            if (!v.startsWith("/")) {
                problems.add(n, name + ": '" + m + "' (expected: a path starting with '/')");
                return null;
            }
            // A pattern that normalisation would change can never match: requests are normalised first.
            NormalizedPath np = PathNormalizer.normalize(v);
            if (!np.isValid()) {
                problems.add(
                        n, name + ": '" + m + "' can never match, requests with it are rejected (" + np.detail() + ")");
                return null;
            }
            if (!np.path().equals(v)) {
                String fixed = np.path() + (m.kind() == StringMatch.Kind.PREFIX ? "*" : "");
                problems.add(
                        n, name + ": '" + m + "' is not normalised and can never match (expected: '" + fixed + "')");
                return null;
            }
            return m;
        }

        private @Nullable StringMatch grpcPattern(YamlNode n, String name) {
            StringMatch m = pattern(n, name);
            if (m == null || m.kind() == StringMatch.Kind.PRESENT) {
                return m;
            }
            String v = m.value();
            boolean ok = m.kind() == StringMatch.Kind.EXACT
                    ? GRPC_EXACT.matcher(v).matches()
                    : GRPC_CHARS.matcher(v).matches() && !v.startsWith("/");
            if (!ok) {
                problems.add(
                        n,
                        name + ": '" + m
                                + "' (expected: package.Service/Method, optionally with a leading or trailing '*')");
                return null;
            }
            return m;
        }

        private @Nullable IpBlock ipBlock(YamlNode n, String name) {
            String s = Fields.string(n, name, problems);
            if (s == null) {
                return null;
            }
            try {
                return IpBlock.parse(s);
            } catch (IllegalArgumentException e) {
                problems.add(n, name + ": " + e.getMessage());
                return null;
            }
        }

        // ---- jwt ----

        private @Nullable JwtProvider jwt(YamlNode n) {
            Fields f = Fields.of(n, "jwt", problems);
            if (f == null) {
                return null;
            }
            int before = problems.count();
            f.allowOnly(
                    "issuer",
                    "audiences",
                    "algorithms",
                    "jwksUri",
                    "jwksFile",
                    "clockSkew",
                    "maxTokenLifetime",
                    "fromHeaders",
                    "fromQuery",
                    "claimsToHeaders",
                    "forwardToken",
                    "required",
                    "maxTokenBytes",
                    "jwksCache",
                    "replay",
                    "mode");
            String issuer = f.requiredString("issuer");
            List<String> audiences = null;
            if (f.required("audiences") != null) {
                audiences = f.optionalList("audiences", x -> Fields.string(x, "jwt.audiences", problems));
            }
            Set<JwtAlgorithm> algorithms = JwtProvider.DEFAULT_ALGORITHMS;
            List<JwtAlgorithm> algs = f.optionalList("algorithms", this::algorithm);
            if (algs != null) {
                algorithms = algs.isEmpty() ? algorithms : EnumSet.copyOf(algs);
            }
            Optional<URI> jwksUri = Optional.empty();
            Optional<Path> jwksFile = Optional.empty();
            if (f.has("jwksUri") == f.has("jwksFile")) {
                problems.add(
                        f.location(),
                        "jwt: " + (f.has("jwksUri") ? "both jwksUri and jwksFile" : "no jwksUri or jwksFile")
                                + " (expected: exactly one of them)");
            } else if (f.has("jwksUri")) {
                jwksUri = Optional.ofNullable(jwksUri(f));
            } else {
                String file = f.optionalString("jwksFile");
                if (file != null) {
                    jwksFile = Optional.of(baseDir.resolve(file).normalize());
                }
            }
            Duration skew =
                    duration(f, "clockSkew", JwtProvider.DEFAULT_CLOCK_SKEW, Duration.ZERO, Duration.ofMinutes(10));
            Duration maxLifetime = duration(f, "maxTokenLifetime", null, Duration.ofSeconds(1), Duration.ofDays(30));
            List<TokenSource> fromHeaders = f.optionalList("fromHeaders", this::tokenSource);
            Optional<String> fromQuery = Optional.empty();
            String q = f.optionalString("fromQuery");
            if (q != null) {
                if (QUERY_PARAM.matcher(q).matches()) {
                    fromQuery = Optional.of(q);
                } else {
                    problems.add(f.node("fromQuery"), "jwt.fromQuery: '" + q + "' (expected: a query parameter name)");
                }
            }
            Map<String, String> claimsToHeaders = claimsToHeaders(f);
            Boolean forward = f.optionalBoolean("forwardToken");
            Boolean required = f.optionalBoolean("required");
            Long maxBytes = f.optionalLong("maxTokenBytes", 256, 65536);
            JwksCache cache = jwksCache(f);
            Mode mode = entryMode(f);
            ReplayGuard replay = f.has("replay") ? replay(f.node("replay"), mode) : null;
            if (issuer == null || audiences == null || problems.count() != before) {
                return null;
            }
            return new JwtProvider(
                    issuer,
                    audiences,
                    algorithms,
                    jwksUri,
                    jwksFile,
                    skew,
                    Optional.ofNullable(maxLifetime),
                    fromHeaders == null ? List.of(TokenSource.AUTHORIZATION_BEARER) : fromHeaders,
                    fromQuery,
                    claimsToHeaders,
                    forward == null || forward,
                    required != null && required,
                    maxBytes == null ? JwtProvider.DEFAULT_MAX_TOKEN_BYTES : maxBytes.intValue(),
                    cache,
                    Optional.ofNullable(replay),
                    mode,
                    origin(n.location()));
        }

        /** {@code jwt[].replay}; its mode is audit when the issuer's is. */
        private @Nullable ReplayGuard replay(YamlNode n, Mode issuerMode) {
            Fields f = Fields.of(n, "jwt.replay", problems);
            if (f == null) {
                return null;
            }
            int before = problems.count();
            f.allowOnly("maxUses", "window", "requireJti", "mode");
            Long maxUses = f.optionalLong("maxUses", 1, 1_000_000);
            Duration window = duration(f, "window", null, Duration.ofSeconds(1), Duration.ofDays(1));
            Boolean requireJti = f.optionalBoolean("requireJti");
            Mode mode = mode(f, "mode", issuerMode);
            if (issuerMode == Mode.AUDIT && mode == Mode.ENFORCE && f.has("mode")) {
                problems.add(
                        f.node("mode"),
                        "jwt.replay.mode: enforce inside an issuer or policy in audit mode (expected: audit, or no mode)");
            }
            if (problems.count() != before) {
                return null;
            }
            return new ReplayGuard(
                    maxUses == null ? 1 : maxUses.intValue(),
                    Optional.ofNullable(window),
                    requireJti == null || requireJti,
                    mode);
        }

        // ---- cors ----

        private @Nullable Cors cors(YamlNode n) {
            Fields f = Fields.of(n, "cors", problems);
            if (f == null) {
                return null;
            }
            int before = problems.count();
            f.allowOnly(
                    "allowOrigins",
                    "allowMethods",
                    "allowHeaders",
                    "exposeHeaders",
                    "maxAge",
                    "allowCredentials",
                    "mode");
            if (!f.has("allowOrigins")) {
                f.required("allowOrigins");
            }
            List<String> origins = orEmpty(f.optionalList("allowOrigins", this::corsOrigin));
            Set<String> seen = new LinkedHashSet<>();
            for (String o : origins) {
                if (!seen.add(o)) {
                    problems.add(f.node("allowOrigins"), "cors.allowOrigins: '" + o + "' listed twice");
                }
            }
            List<String> methods = orEmpty(f.optionalList("allowMethods", x -> method(x, "cors.allowMethods")));
            List<String> headers =
                    orEmpty(f.optionalList("allowHeaders", x -> corsHeader(x, "cors.allowHeaders", true)));
            List<String> expose =
                    orEmpty(f.optionalList("exposeHeaders", x -> corsHeader(x, "cors.exposeHeaders", false)));
            Duration maxAge = duration(f, "maxAge", null, Duration.ZERO, Duration.ofDays(1));
            Boolean credentials = f.optionalBoolean("allowCredentials");
            boolean creds = credentials != null && credentials;
            if (origins.contains(Cors.ANY_ORIGIN)) {
                if (creds) {
                    problems.add(
                            f.node("allowOrigins"),
                            "cors.allowOrigins: '*' with allowCredentials: true lets any website make credentialed"
                                    + " calls and read the answers (expected: the origins listed exactly)");
                } else if (origins.size() > 1) {
                    problems.add(
                            f.node("allowOrigins"),
                            "cors.allowOrigins: '*' beside other origins (expected: '*' alone, or the origins listed"
                                    + " exactly)");
                } else {
                    problems.warn(
                            f.node("allowOrigins"),
                            "cors.allowOrigins: '*' lets any website call this service from a browser and read the"
                                    + " answers (list the origins exactly unless the service is public)");
                }
            }
            Mode mode = entryMode(f);
            if (problems.count() != before) {
                return null;
            }
            return new Cors(
                    origins,
                    methods.isEmpty() ? Cors.DEFAULT_METHODS : methods,
                    headers,
                    expose,
                    Optional.ofNullable(maxAge),
                    creds,
                    mode,
                    origin(n.location()));
        }

        private @Nullable String corsOrigin(YamlNode n) {
            String s = Fields.string(n, "cors.allowOrigins", problems);
            if (s == null) {
                return null;
            }
            if (s.equals(Cors.ANY_ORIGIN)) {
                return s;
            }
            if (s.equals("null")) {
                problems.add(
                        n,
                        "cors.allowOrigins: 'null' is the origin of sandboxed frames, file: pages and redirects, which"
                                + " any website can produce (expected: scheme://host[:port])");
                return null;
            }
            if (!ORIGIN.matcher(s).matches()) {
                String hint = s.endsWith("/") || s.indexOf('/', s.indexOf("//") + 2) > 0
                        ? "; an origin has no path, not even '/'"
                        : !s.equals(s.toLowerCase(Locale.ROOT)) ? "; browsers send it in lower case" : "";
                problems.add(
                        n,
                        "cors.allowOrigins: '" + s
                                + "' (expected: http(s)://host[:port] exactly as browsers send it, or" + " '*'" + hint
                                + ")");
                return null;
            }
            return s;
        }

        private @Nullable String corsHeader(YamlNode n, String name, boolean request) {
            String s = Fields.string(n, name, problems);
            if (s == null) {
                return null;
            }
            String lower = s.toLowerCase(Locale.ROOT);
            if (!HEADER.matcher(lower).matches()) {
                problems.add(
                        n,
                        name + ": '" + s + "' (expected: an HTTP header name; '*' is not accepted: list the headers)");
                return null;
            }
            if (request && FORBIDDEN_REQUEST_HEADERS.contains(lower)) {
                problems.add(n, name + ": '" + s + "' is set by the browser itself (expected: a header a page sends)");
                return null;
            }
            return lower;
        }

        // ---- requestLimits ----

        private @Nullable RequestLimits requestLimits(YamlNode n) {
            Fields f = nonEmptyMap(n, "requestLimits");
            if (f == null) {
                return null;
            }
            int before = problems.count();
            f.allowOnly("maxQueryParams", "maxQueryBytes", "maxHeaderCount", "mode");
            Long params = f.optionalLong("maxQueryParams", 1, 10_000);
            Long bytes = f.optionalLong("maxQueryBytes", 1, 1_048_576);
            Long headers = f.optionalLong("maxHeaderCount", 1, 10_000);
            if (!f.has("maxQueryParams") && !f.has("maxQueryBytes") && !f.has("maxHeaderCount")) {
                problems.add(
                        n,
                        "requestLimits: no limit (expected: at least one of maxQueryParams, maxQueryBytes, maxHeaderCount)");
            }
            Mode mode = entryMode(f);
            if (problems.count() != before) {
                return null;
            }
            return new RequestLimits(
                    params == null ? 0 : params.intValue(),
                    bytes == null ? 0 : bytes.intValue(),
                    headers == null ? 0 : headers.intValue(),
                    mode,
                    origin(n.location()));
        }

        private @Nullable Fields nonEmptyMap(YamlNode n, String name) {
            Fields f = Fields.of(n, name, problems);
            if (f != null && f.isEmpty()) {
                problems.add(n, name + ": empty (expected: at least one field; omit '" + name + "' for none)");
                return null;
            }
            return f;
        }

        // ---- deprecations ----

        private @Nullable Deprecation deprecation(YamlNode n) {
            Fields f = Fields.of(n, "deprecations", problems);
            if (f == null) {
                return null;
            }
            int before = problems.count();
            f.allowOnly("name", "match", "deprecated", "sunset", "link", "afterSunset", "mode");
            String name = f.requiredString("name");
            if (name != null && !RULE_NAME.matcher(name).matches()) {
                problems.add(
                        f.node("name"),
                        "deprecations.name: '" + name
                                + "' (expected: letters, digits, '-', '_' and '.', up to 128 characters)");
            }
            RateLimitMatch match = null;
            if (f.required("match") != null) {
                Fields m = nonEmptyMap(f.node("match"), "deprecations.match");
                if (m != null) {
                    m.allowOnly("methods", "paths", "grpc");
                    if (!m.has("paths") && !m.has("grpc")) {
                        problems.add(
                                m.location(),
                                "deprecations.match: no paths or grpc (expected: the route, by paths or gRPC methods)");
                    }
                    match = new RateLimitMatch(
                            orEmpty(m.optionalList("methods", x -> method(x, m.name("methods")))),
                            orEmpty(m.optionalList("paths", x -> pathPattern(x, m.name("paths")))),
                            orEmpty(m.optionalList("grpc", x -> grpcPattern(x, m.name("grpc")))),
                            List.of());
                }
            }
            Instant deprecated = f.required("deprecated") != null ? instant(f, "deprecated") : null;
            Instant sunset = f.has("sunset") ? instant(f, "sunset") : null;
            if (deprecated != null && sunset != null && sunset.isBefore(deprecated)) {
                problems.add(
                        f.node("sunset"),
                        "deprecations.sunset: " + sunset + " is before deprecated " + deprecated
                                + " (expected: the same time or later)");
            }
            URI link = null;
            String l = f.optionalString("link");
            if (l != null) {
                try {
                    URI u = new URI(l);
                    if (("http".equals(u.getScheme()) || "https".equals(u.getScheme()))
                            && u.getHost() != null
                            && l.indexOf('>') < 0
                            && l.indexOf(',') < 0) {
                        link = u;
                    }
                } catch (URISyntaxException e) {
                    // reported below
                }
                if (link == null) {
                    problems.add(
                            f.node("link"),
                            "deprecations.link: '" + l
                                    + "' (expected: an absolute http or https URL without '>' or ',')");
                }
            }
            boolean refuse = false;
            String after = f.optionalString("afterSunset");
            if (after != null) {
                switch (after) {
                    case "refuse" -> refuse = true;
                    case "warn" -> refuse = false;
                    default ->
                        problems.add(
                                f.node("afterSunset"),
                                "deprecations.afterSunset: '" + after + "' (expected: refuse or warn)");
                }
                if (!f.has("sunset")) {
                    problems.add(
                            f.node("afterSunset"),
                            "deprecations.afterSunset: without a sunset (expected: a sunset date)");
                }
            }
            Mode mode = entryMode(f);
            if (name == null || match == null || deprecated == null || problems.count() != before) {
                return null;
            }
            return new Deprecation(
                    name,
                    match,
                    deprecated,
                    Optional.ofNullable(sunset),
                    Optional.ofNullable(link),
                    refuse,
                    mode,
                    origin(n.location()));
        }

        /** An RFC 3339 timestamp with an offset, or a date (midnight UTC). */
        private @Nullable Instant instant(Fields f, String key) {
            String s = f.optionalString(key);
            if (s == null) {
                return null;
            }
            try {
                if (s.length() == 10) {
                    return LocalDate.parse(s).atStartOfDay(ZoneOffset.UTC).toInstant();
                }
                return OffsetDateTime.parse(s).toInstant();
            } catch (DateTimeParseException e) {
                problems.add(
                        f.node(key),
                        f.name(key) + ": '" + s + "' (expected: a date such as 2026-06-30 (midnight UTC) or a time"
                                + " such as 2026-06-30T12:00:00Z)");
                return null;
            }
        }

        private @Nullable JwtAlgorithm algorithm(YamlNode n) {
            String s = Fields.string(n, "jwt.algorithms", problems);
            if (s == null) {
                return null;
            }
            JwtAlgorithm a = JwtAlgorithm.find(s);
            if (a != null) {
                return a;
            }
            String why = s.toUpperCase(Locale.ROOT).startsWith("HS")
                    ? " is symmetric (HMAC keyed with a public key is the algorithm-confusion attack)"
                    : s.equalsIgnoreCase("none") ? " means an unsigned token" : " is not supported";
            problems.add(n, "jwt.algorithms: '" + s + "'" + why + " (expected: one of " + JwtAlgorithm.names() + ")");
            return null;
        }

        private @Nullable URI jwksUri(Fields f) {
            String s = f.optionalString("jwksUri");
            if (s == null) {
                return null;
            }
            try {
                URI u = new URI(s);
                if (("http".equals(u.getScheme()) || "https".equals(u.getScheme())) && u.getHost() != null) {
                    return u;
                }
            } catch (URISyntaxException e) {
                // reported below
            }
            problems.add(f.node("jwksUri"), "jwt.jwksUri: '" + s + "' (expected: an absolute http or https URL)");
            return null;
        }

        private @Nullable TokenSource tokenSource(YamlNode n) {
            Fields f = Fields.of(n, "jwt.fromHeaders", problems);
            if (f == null) {
                return null;
            }
            f.allowOnly("name", "prefix");
            String name = f.requiredString("name");
            String prefix = "";
            YamlNode p = f.node("prefix");
            if (p != null) {
                if (p instanceof YamlScalar s && s.type() == YamlScalar.Type.STRING) {
                    prefix = s.text();
                } else {
                    problems.add(
                            p,
                            "jwt.fromHeaders.prefix: " + Fields.got(p) + " (expected: a string such as \"Bearer \")");
                }
            }
            if (name == null) {
                return null;
            }
            String lower = name.toLowerCase(Locale.ROOT);
            if (!HEADER.matcher(lower).matches()) {
                problems.add(f.node("name"), "jwt.fromHeaders.name: '" + name + "' (expected: an HTTP header name)");
                return null;
            }
            return new TokenSource(lower, prefix);
        }

        private Map<String, String> claimsToHeaders(Fields parent) {
            Fields f = nonEmptyMap(parent, "claimsToHeaders", "no claim headers");
            if (f == null) {
                return Map.of();
            }
            Map<String, String> out = new LinkedHashMap<>();
            Map<String, String> byHeader = new HashMap<>();
            for (YamlMap.Entry e : f.map().entries().values()) {
                String header = Fields.string(e.value(), "jwt.claimsToHeaders." + e.key(), problems);
                if (header == null) {
                    continue;
                }
                String lower = header.toLowerCase(Locale.ROOT);
                if (!HEADER.matcher(lower).matches() || RESERVED_HEADERS.contains(lower)) {
                    problems.add(
                            e.value(),
                            "jwt.claimsToHeaders." + e.key() + ": '" + header
                                    + "' (expected: a header name that is not one of "
                                    + new java.util.TreeSet<>(RESERVED_HEADERS) + ")");
                    continue;
                }
                String other = byHeader.putIfAbsent(lower, e.key());
                if (other != null) {
                    problems.add(
                            e.value(),
                            "jwt.claimsToHeaders." + e.key() + ": header '" + lower + "' is already set from claim '"
                                    + other + "'");
                    continue;
                }
                out.put(e.key(), lower);
            }
            return out;
        }

        private JwksCache jwksCache(Fields parent) {
            Fields f = nonEmptyMap(parent, "jwksCache", "the defaults");
            if (f == null) {
                return JwksCache.DEFAULT;
            }
            f.allowOnly("refreshInterval", "maxStaleness", "minRefetchInterval", "fetchTimeout");
            JwksCache d = JwksCache.DEFAULT;
            Duration refresh =
                    duration(f, "refreshInterval", d.refreshInterval(), Duration.ofSeconds(1), Duration.ofDays(1));
            Duration stale = duration(f, "maxStaleness", d.maxStaleness(), Duration.ZERO, Duration.ofDays(7));
            Duration refetch =
                    duration(f, "minRefetchInterval", d.minRefetchInterval(), Duration.ZERO, Duration.ofHours(1));
            Duration timeout =
                    duration(f, "fetchTimeout", d.fetchTimeout(), Duration.ofMillis(100), Duration.ofMinutes(1));
            if (stale.compareTo(refresh) < 0) {
                problems.add(
                        f.has("maxStaleness") ? f.node("maxStaleness").location() : f.location(),
                        "jwt.jwksCache.maxStaleness: " + Durations.format(stale) + " (expected: >= refreshInterval "
                                + Durations.format(refresh) + ")");
            }
            return new JwksCache(refresh, stale, refetch, timeout);
        }

        /** A duration in {@code [min, max]}; returns {@code dflt} when absent (or invalid). */
        private Duration duration(Fields f, String key, @Nullable Duration dflt, Duration min, Duration max) {
            String s = f.optionalString(key);
            if (s == null) {
                return dflt;
            }
            try {
                Duration d = Durations.parse(s);
                if (d.compareTo(min) < 0 || d.compareTo(max) > 0) {
                    problems.add(
                            f.node(key),
                            f.name(key) + ": '" + s + "' (expected: between " + Durations.format(min) + " and "
                                    + Durations.format(max) + ")");
                    return dflt;
                }
                return d;
            } catch (IllegalArgumentException e) {
                problems.add(f.node(key), f.name(key) + ": " + e.getMessage());
                return dflt;
            }
        }

        // ---- rate limits ----

        private @Nullable RateLimit rateLimit(YamlNode n) {
            Fields f = Fields.of(n, "rateLimits", problems);
            if (f == null) {
                return null;
            }
            int before = problems.count();
            f.allowOnly("name", "match", "key", "rate", "burst", "overrides", "mode");
            String name = f.requiredString("name");
            if (name != null && !RULE_NAME.matcher(name).matches()) {
                problems.add(
                        f.node("name"),
                        "rateLimits.name: '" + name
                                + "' (expected: letters, digits, '-', '_' and '.', up to 128 characters)");
            }
            RateLimitMatch match = RateLimitMatch.ALL;
            Fields m = nonEmptyMap(f, "match", "every request");
            if (m != null) {
                m.allowOnly("methods", "paths", "grpc", "principals");
                match = new RateLimitMatch(
                        orEmpty(m.optionalList("methods", x -> method(x, m.name("methods")))),
                        orEmpty(m.optionalList("paths", x -> pathPattern(x, m.name("paths")))),
                        orEmpty(m.optionalList("grpc", x -> grpcPattern(x, m.name("grpc")))),
                        orEmpty(m.optionalList("principals", x -> principal(x, m.name("principals")))));
            }
            RateLimitKey key = null;
            String k = f.requiredString("key");
            if (k != null) {
                try {
                    key = RateLimitKey.parse(k);
                } catch (IllegalArgumentException e) {
                    problems.add(f.node("key"), "rateLimits." + e.getMessage());
                }
            }
            Rate rate = f.has("rate") ? rate(f.node("rate"), "rateLimits.rate") : null;
            if (!f.has("rate")) {
                f.required("rate");
            }
            Long burst = f.optionalLong("burst", 1, 1_000_000_000);
            List<RateOverride> overrides = f.optionalList("overrides", this::override);
            if (overrides != null && key != null && key.kind() == RateLimitKey.Kind.GLOBAL) {
                problems.add(
                        f.node("overrides"),
                        "rateLimits.overrides: key 'global' has a single bucket (expected: no overrides)");
            }
            if (overrides != null) {
                Set<String> values = new LinkedHashSet<>();
                for (RateOverride o : overrides) {
                    if (!values.add(o.value())) {
                        problems.add(
                                f.node("overrides"), "rateLimits.overrides: value '" + o.value() + "' listed twice");
                    }
                }
            }
            Mode mode = entryMode(f);
            if (name == null || key == null || rate == null || problems.count() != before) {
                return null;
            }
            return new RateLimit(
                    name,
                    match,
                    key,
                    rate,
                    burst == null ? rate.tokens() : burst,
                    overrides == null ? List.of() : overrides,
                    mode,
                    origin(n.location()));
        }

        private @Nullable RateOverride override(YamlNode n) {
            Fields f = Fields.of(n, "rateLimits.overrides", problems);
            if (f == null) {
                return null;
            }
            f.allowOnly("value", "rate", "burst");
            String value = f.requiredString("value");
            Rate rate = f.has("rate") ? rate(f.node("rate"), "rateLimits.overrides.rate") : null;
            if (!f.has("rate")) {
                f.required("rate");
            }
            Long burst = f.optionalLong("burst", 1, 1_000_000_000);
            if (value == null || rate == null) {
                return null;
            }
            return new RateOverride(value, rate, burst == null ? rate.tokens() : burst);
        }

        private @Nullable Rate rate(YamlNode n, String name) {
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

        // ---- penalty ----

        private @Nullable Penalty penalty(YamlNode n) {
            Fields f = Fields.of(n, "penalty", problems);
            if (f == null) {
                return null;
            }
            int before = problems.count();
            f.allowOnly("key", "failures", "threshold", "window", "duration", "rate", "burst", "mode");
            RateLimitKey key = RateLimitKey.PRINCIPAL;
            String k = f.optionalString("key");
            if (k != null) {
                switch (k) {
                    case "principal" -> key = RateLimitKey.PRINCIPAL;
                    case "requestPrincipal" -> key = RateLimitKey.REQUEST_PRINCIPAL;
                    case "sourceIp" -> key = RateLimitKey.SOURCE_IP;
                    default ->
                        problems.add(
                                f.node("key"),
                                "penalty.key: '" + k + "' (expected: principal, requestPrincipal or sourceIp)");
                }
            }
            Set<Penalty.Failure> failures = EnumSet.allOf(Penalty.Failure.class);
            List<Penalty.Failure> fl = f.optionalList("failures", x -> {
                String s = Fields.string(x, "penalty.failures", problems);
                if (s == null) {
                    return null;
                }
                switch (s) {
                    case "authn":
                        return Penalty.Failure.AUTHN;
                    case "authz":
                        return Penalty.Failure.AUTHZ;
                    default:
                        problems.add(x, "penalty.failures: '" + s + "' (expected: authn or authz)");
                        return null;
                }
            });
            if (fl != null && !fl.isEmpty()) {
                failures = EnumSet.copyOf(fl);
            }
            f.required("threshold");
            Long threshold = f.optionalLong("threshold", 1, 1_000_000);
            if (!f.has("window")) {
                f.required("window");
            }
            Duration window = duration(f, "window", null, Duration.ofSeconds(1), Duration.ofDays(1));
            if (!f.has("duration")) {
                f.required("duration");
            }
            Duration duration = duration(f, "duration", null, Duration.ofSeconds(1), Duration.ofDays(7));
            Rate rate = f.has("rate") ? rate(f.node("rate"), "penalty.rate") : null;
            Long burst = f.optionalLong("burst", 1, 1_000_000_000);
            if (burst != null && !f.has("rate")) {
                problems.add(
                        f.node("burst"),
                        "penalty.burst: without rate (expected: a rate, or no burst: boxed callers are refused)");
            }
            Mode mode = entryMode(f);
            if (threshold == null || window == null || duration == null || problems.count() != before) {
                return null;
            }
            return new Penalty(
                    key,
                    failures,
                    threshold.intValue(),
                    window,
                    duration,
                    Optional.ofNullable(rate),
                    rate == null ? 0 : burst == null ? rate.tokens() : burst,
                    mode,
                    origin(n.location()));
        }

        private static <T> List<T> orEmpty(@Nullable List<T> l) {
            return l == null ? List.of() : l;
        }
    }
}
