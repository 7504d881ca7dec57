package io.trustline.policy.engine;

import io.trustline.policy.model.ClaimCondition;
import io.trustline.policy.model.IpBlock;
import io.trustline.policy.model.RegexMatch;
import io.trustline.policy.model.StringMatch;
import io.trustline.policy.model.Target;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/** The condition kinds, one small class each. */
final class Conditions {

    private Conditions() {}

    /** The request attribute a string condition looks at. */
    enum Attribute {
        PRINCIPAL("no peer principal (plaintext connection)"),
        REQUEST_PRINCIPAL("no verified token"),
        PATH("no path"),
        GRPC("not a gRPC call");

        final String absent;

        Attribute(String absent) {
            this.absent = absent;
        }

        @Nullable
        String of(AuthzRequest r) {
            return switch (this) {
                case PRINCIPAL -> r.principal();
                case REQUEST_PRINCIPAL -> r.requestPrincipal();
                case PATH -> r.path();
                case GRPC -> r.grpcMethod();
            };
        }
    }

    /** {@code principals}, {@code paths}, ... and their {@code notX} forms. */
    static final class Strings implements Condition {
        private final String field;
        private final Attribute attribute;
        private final StringSet set;
        private final boolean negated;

        Strings(String field, Attribute attribute, List<StringMatch> patterns, boolean negated) {
            this.field = field;
            this.attribute = attribute;
            this.set = new StringSet(patterns);
            this.negated = negated;
        }

        @Override
        public boolean test(AuthzRequest r) {
            return set.matches(attribute.of(r)) != negated;
        }

        @Override
        public String describeFailure(AuthzRequest r) {
            String v = attribute.of(r);
            if (negated) {
                return field + ": '" + v + "' matched '" + set.firstMatch(v) + "'";
            }
            if (v == null) {
                return field + ": " + attribute.absent + " (expected one of " + set + ")";
            }
            return field + ": '" + v + "' matched none of " + set;
        }

        @Override
        public boolean needsToken() {
            return attribute == Attribute.REQUEST_PRINCIPAL && !negated;
        }
    }

    /** {@code methods}/{@code notMethods}: a bitmask for the common methods, a list for the rest. */
    static final class MethodSet implements Condition {
        private final String field;
        private final List<String> methods;
        private final int mask;
        private final boolean negated;

        MethodSet(String field, List<String> methods, boolean negated) {
            this.field = field;
            this.methods = List.copyOf(methods);
            int m = 0;
            for (String s : methods) {
                int slot = Methods.slot(s);
                if (slot != Methods.OTHER) {
                    m |= 1 << slot;
                }
            }
            this.mask = m;
            this.negated = negated;
        }

        @Override
        public boolean test(AuthzRequest r) {
            int slot = Methods.slot(r.method());
            boolean in = slot != Methods.OTHER ? (mask & (1 << slot)) != 0 : methods.contains(r.method());
            return in != negated;
        }

        @Override
        public String describeFailure(AuthzRequest r) {
            return negated
                    ? field + ": '" + r.method() + "' is excluded by " + methods
                    : field + ": '" + r.method() + "' is not one of " + methods;
        }

        /** The slots a request must be in for this condition to hold (all of them when negated). */
        int slots() {
            if (negated) {
                return Methods.ALL_SLOTS;
            }
            boolean other = false;
            for (String s : methods) {
                other |= Methods.slot(s) == Methods.OTHER;
            }
            return mask | (other ? 1 << Methods.OTHER : 0);
        }
    }

    /** {@code ipBlocks}/{@code notIpBlocks}. */
    static final class IpBlocks implements Condition {
        private final String field;
        private final IpBlock[] blocks;
        private final boolean negated;

        IpBlocks(String field, List<IpBlock> blocks, boolean negated) {
            this.field = field;
            this.blocks = blocks.toArray(IpBlock[]::new);
            this.negated = negated;
        }

        @Override
        public boolean test(AuthzRequest r) {
            return contains(r.sourceIp()) != negated;
        }

        private boolean contains(@Nullable InetAddress a) {
            for (IpBlock b : blocks) {
                if (b.contains(a)) {
                    return true;
                }
            }
            return false;
        }

        @Override
        public String describeFailure(AuthzRequest r) {
            InetAddress a = r.sourceIp();
            if (a == null) {
                return field + ": no source address (expected one of " + List.of(blocks) + ")";
            }
            if (negated) {
                for (IpBlock b : blocks) {
                    if (b.contains(a)) {
                        return field + ": " + a.getHostAddress() + " is in " + b;
                    }
                }
            }
            return field + ": " + a.getHostAddress() + " is in none of " + List.of(blocks);
        }
    }

    /** One header of {@code headers}/{@code notHeaders}. */
    static final class Header implements Condition {
        private final String field;
        private final String name;
        private final StringSet set;
        private final boolean negated;

        Header(String field, String name, List<StringMatch> patterns, boolean negated) {
            this.field = field + "." + name;
            this.name = name;
            this.set = new StringSet(patterns);
            this.negated = negated;
        }

        @Override
        public boolean test(AuthzRequest r) {
            return set.matches(r.headers().get(name)) != negated;
        }

        @Override
        public String describeFailure(AuthzRequest r) {
            String v = r.headers().get(name);
            if (negated) {
                return field + ": '" + v + "' matched '" + set.firstMatch(v) + "'";
            }
            return v == null
                    ? field + ": header absent (expected one of " + set + ")"
                    : field + ": '" + v + "' matched none of " + set;
        }
    }

    /** One {@code when} entry. */
    static final class Claim implements Condition {
        private final String field;
        private final ClaimCondition condition;

        Claim(int index, ClaimCondition condition) {
            this.field = "when[" + index + "]";
            this.condition = condition;
        }

        @Override
        public boolean test(AuthzRequest r) {
            return condition.matches(r.claims());
        }

        @Override
        public String describeFailure(AuthzRequest r) {
            if (r.requestPrincipal() == null && r.claims().isEmpty()) {
                return field + ": no verified token (expected " + condition + ")";
            }
            Object v = ClaimCondition.lookup(r.claims(), condition.claim());
            if (v == null) {
                return field + ": the token has no claim '" + condition.claim() + "' (expected " + condition + ")";
            }
            return field + ": claim '" + condition.claim() + "' is " + render(v) + " (expected " + condition + ")";
        }

        private static String render(Object v) {
            return v instanceof String s ? "'" + s + "'" : String.valueOf(v);
        }

        @Override
        public boolean needsToken() {
            return true;
        }
    }

    /** {@code pathRegex}: the normalised path, percent-decoded, contains a match. */
    static final class PathRegex implements Condition {
        private final RegexMatch[] patterns;

        PathRegex(List<RegexMatch> patterns) {
            this.patterns = patterns.toArray(RegexMatch[]::new);
        }

        @Override
        public boolean test(AuthzRequest r) {
            return anyMatch(patterns, QueryParams.decodePath(r.path()));
        }

        @Override
        public String describeFailure(AuthzRequest r) {
            return "to.pathRegex: '" + QueryParams.decodePath(r.path()) + "' matched none of " + List.of(patterns);
        }
    }

    /** One parameter of {@code queryRegex} ({@code *}: every parameter). */
    static final class QueryRegex implements Condition {
        private final String field;
        private final String name;
        private final RegexMatch[] patterns;

        QueryRegex(String name, List<RegexMatch> patterns) {
            this.field = "to.queryRegex." + name;
            this.name = name;
            this.patterns = patterns.toArray(RegexMatch[]::new);
        }

        @Override
        public boolean test(AuthzRequest r) {
            if (r.query().raw() == null) {
                return false;
            }
            if (name.equals(Target.ANY_PARAM)) {
                List<String> d = r.query().decoded();
                for (int i = 1; i < d.size(); i += 2) {
                    if (anyMatch(patterns, d.get(i))) {
                        return true;
                    }
                }
                return false;
            }
            List<String> values = r.query().values(name);
            for (int i = 0; i < values.size(); i++) {
                if (anyMatch(patterns, values.get(i))) {
                    return true;
                }
            }
            return false;
        }

        @Override
        public String describeFailure(AuthzRequest r) {
            if (!name.equals(Target.ANY_PARAM) && r.query().values(name).isEmpty()) {
                return field + ": parameter absent (expected a match of one of " + List.of(patterns) + ")";
            }
            return field + ": no value matched any of " + List.of(patterns);
        }
    }

    /** One header of {@code headerRegex}: any of its values contains a match. */
    static final class HeaderRegex implements Condition {
        private final String field;
        private final String name;
        private final RegexMatch[] patterns;

        HeaderRegex(String name, List<RegexMatch> patterns) {
            this.field = "to.headerRegex." + name;
            this.name = name;
            this.patterns = patterns.toArray(RegexMatch[]::new);
        }

        @Override
        public boolean test(AuthzRequest r) {
            List<String> values = r.headers().all(name);
            for (int i = 0; i < values.size(); i++) {
                if (anyMatch(patterns, values.get(i))) {
                    return true;
                }
            }
            return false;
        }

        @Override
        public String describeFailure(AuthzRequest r) {
            return r.headers().get(name) == null
                    ? field + ": header absent (expected a match of one of " + List.of(patterns) + ")"
                    : field + ": no value matched any of " + List.of(patterns);
        }
    }

    private static boolean anyMatch(RegexMatch[] patterns, String value) {
        for (RegexMatch p : patterns) {
            if (p.matches(value)) {
                return true;
            }
        }
        return false;
    }

    /** Compiles the conditions of a rule, in the documented order of explanations. */
    static List<Condition> compile(io.trustline.policy.model.Rule rule) {
        List<Condition> out = new ArrayList<>();
        var from = rule.from();
        var to = rule.to();
        // Cheap request-line checks first: they reject most candidates.
        if (!to.methods().isEmpty()) {
            out.add(new MethodSet("to.methods", to.methods(), false));
        }
        if (!to.notMethods().isEmpty()) {
            out.add(new MethodSet("to.notMethods", to.notMethods(), true));
        }
        addStrings(out, "to.paths", Attribute.PATH, to.paths(), false);
        addStrings(out, "to.notPaths", Attribute.PATH, to.notPaths(), true);
        addStrings(out, "to.grpc", Attribute.GRPC, to.grpc(), false);
        addStrings(out, "to.notGrpc", Attribute.GRPC, to.notGrpc(), true);
        addStrings(out, "from.principals", Attribute.PRINCIPAL, from.principals(), false);
        addStrings(out, "from.notPrincipals", Attribute.PRINCIPAL, from.notPrincipals(), true);
        addStrings(out, "from.requestPrincipals", Attribute.REQUEST_PRINCIPAL, from.requestPrincipals(), false);
        addStrings(out, "from.notRequestPrincipals", Attribute.REQUEST_PRINCIPAL, from.notRequestPrincipals(), true);
        if (!from.ipBlocks().isEmpty()) {
            out.add(new IpBlocks("from.ipBlocks", from.ipBlocks(), false));
        }
        if (!from.notIpBlocks().isEmpty()) {
            out.add(new IpBlocks("from.notIpBlocks", from.notIpBlocks(), true));
        }
        for (Map.Entry<String, List<StringMatch>> h : to.headers().entrySet()) {
            out.add(new Header("to.headers", h.getKey(), h.getValue(), false));
        }
        for (Map.Entry<String, List<StringMatch>> h : to.notHeaders().entrySet()) {
            out.add(new Header("to.notHeaders", h.getKey(), h.getValue(), true));
        }
        for (int i = 0; i < rule.when().size(); i++) {
            out.add(new Claim(i, rule.when().get(i)));
        }
        // Regular expressions last: every cheaper condition has had its chance to rule the request out.
        if (!to.pathRegex().isEmpty()) {
            out.add(new PathRegex(to.pathRegex()));
        }
        for (Map.Entry<String, List<RegexMatch>> q : to.queryRegex().entrySet()) {
            out.add(new QueryRegex(q.getKey(), q.getValue()));
        }
        for (Map.Entry<String, List<RegexMatch>> h : to.headerRegex().entrySet()) {
            out.add(new HeaderRegex(h.getKey(), h.getValue()));
        }
        return out;
    }

    private static void addStrings(
            List<Condition> out, String field, Attribute a, List<StringMatch> patterns, boolean negated) {
        if (!patterns.isEmpty()) {
            out.add(new Strings(field, a, patterns, negated));
        }
    }
}
