package io.trustline.policy;

import static java.util.Objects.requireNonNull;

import io.trustline.policy.model.IpBlock;
import io.trustline.policy.model.RegexMatch;
import io.trustline.policy.model.StringMatch;
import io.trustline.policy.path.NormalizedPath;
import io.trustline.policy.path.PathNormalizer;
import io.trustline.policy.yaml.Fields;
import io.trustline.policy.yaml.Problems;
import io.trustline.policy.yaml.YamlNode;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * The values that say which requests something applies to (principals, methods, paths, gRPC
 * methods, IP blocks, regular expressions), shared by rules, rate limits, deprecations and CORS.
 * Each reports its own problem and returns null for a value it rejects.
 */
final class MatchValues {

    /** A header name as HTTP/2 sends it: a lower-case token. */
    static final Pattern HEADER = Pattern.compile("[a-z0-9!#$%&'*+.^_`|~-]{1,100}");

    private static final Pattern METHOD = Pattern.compile("[A-Z]{1,20}");
    private static final Pattern GRPC_EXACT =
            Pattern.compile("([A-Za-z_][A-Za-z0-9_]*\\.)*[A-Za-z_][A-Za-z0-9_]*/[A-Za-z_][A-Za-z0-9_]*");
    private static final Pattern GRPC_CHARS = Pattern.compile("[A-Za-z0-9_./]*");

    private final Problems problems;

    MatchValues(Problems problems) {
        this.problems = problems;
    }

    @Nullable
    StringMatch pattern(YamlNode n, String name) {
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

    @Nullable
    StringMatch principal(YamlNode n, String name) {
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

    @Nullable
    String method(YamlNode n, String name) {
        String s = Fields.string(n, name, problems);
        if (s != null && !METHOD.matcher(s).matches()) {
            problems.add(n, name + ": '" + s + "' (expected: an upper-case HTTP method such as GET)");
            return null;
        }
        return s;
    }

    @Nullable
    StringMatch pathPattern(YamlNode n, String name) {
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
        String normalised = requireNonNull(np.path(), "path of a valid NormalizedPath");
        if (!normalised.equals(v)) {
            String fixed = normalised + (m.kind() == StringMatch.Kind.PREFIX ? "*" : "");
            problems.add(n, name + ": '" + m + "' is not normalised and can never match (expected: '" + fixed + "')");
            return null;
        }
        return m;
    }

    @Nullable
    StringMatch grpcPattern(YamlNode n, String name) {
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

    @Nullable
    IpBlock ipBlock(YamlNode n, String name) {
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

    @Nullable
    RegexMatch regex(YamlNode n, String name) {
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
}
