package io.trustline.policy.testing;

import io.trustline.policy.PolicyLoader;
import io.trustline.policy.error.PolicyParseException;
import io.trustline.policy.model.IpBlock;
import io.trustline.policy.model.Origin;
import io.trustline.policy.yaml.Fields;
import io.trustline.policy.yaml.Problems;
import io.trustline.policy.yaml.YamlDocuments;
import io.trustline.policy.yaml.YamlList;
import io.trustline.policy.yaml.YamlMap;
import io.trustline.policy.yaml.YamlNode;
import io.trustline.policy.yaml.YamlScalar;
import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;

/**
 * Reads policy test files ({@code *.cases.yaml}) and single requests (for {@code explain}), with
 * the same located errors as policy files.
 *
 * <pre>{@code
 * cases:
 *   - note: frontend may read an order
 *     request:
 *       service: orders
 *       principal: spiffe://example.org/ns/shop/sa/frontend
 *       method: GET
 *       path: /api/orders/42
 *     expect: allow
 *     rule: frontend-reads-orders
 * }</pre>
 */
public final class CaseFiles {

    private static final Pattern GRPC = Pattern.compile("[A-Za-z_][A-Za-z0-9_.]*/[A-Za-z_][A-Za-z0-9_]*");

    private CaseFiles() {}

    /** The cases files directly in {@code dir}, sorted. */
    public static List<Path> list(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> PolicyLoader.isCasesFile(p.getFileName().toString()))
                    .filter(Files::isRegularFile)
                    .sorted()
                    .toList();
        }
    }

    public static List<PolicyCase> read(Path file, String displayName) throws IOException, PolicyParseException {
        return parse(displayName, Files.readString(file, StandardCharsets.UTF_8));
    }

    /** Parses a cases file: a mapping with a non-empty {@code cases} list. */
    public static List<PolicyCase> parse(String file, String content) throws PolicyParseException {
        Problems problems = new Problems(file);
        List<PolicyCase> out = new ArrayList<>();
        for (YamlNode doc : YamlDocuments.read(file, content)) {
            Fields root = Fields.of(doc, "", problems);
            if (root == null) {
                continue;
            }
            root.allowOnly("cases");
            if (root.required("cases") == null) {
                continue;
            }
            List<PolicyCase> cases = root.optionalList("cases", n -> testCase(n, problems));
            if (cases != null) {
                out.addAll(cases);
            }
        }
        if (problems.count() > 0) {
            throw new PolicyParseException(problems.errors());
        }
        return out;
    }

    /** Parses a lone request, as {@code explain --request} reads it (YAML or JSON). */
    public static CaseRequest parseRequest(String file, String content) throws PolicyParseException {
        Problems problems = new Problems(file);
        List<YamlNode> docs = YamlDocuments.read(file, content);
        CaseRequest r = null;
        if (docs.size() != 1) {
            problems.add(
                    docs.isEmpty()
                            ? io.trustline.policy.yaml.Location.UNKNOWN
                            : docs.get(1).location(),
                    "expected exactly one request document, got " + docs.size());
        } else {
            r = request(docs.get(0), "", problems);
        }
        if (problems.count() > 0 || r == null) {
            throw new PolicyParseException(problems.errors());
        }
        return r;
    }

    private static @Nullable PolicyCase testCase(YamlNode n, Problems problems) {
        Fields f = Fields.of(n, "cases", problems);
        if (f == null) {
            return null;
        }
        int before = problems.count();
        f.allowOnly("note", "request", "expect", "reason", "policy", "rule", "audit");
        String note = f.requiredString("note");
        YamlNode rn = f.required("request");
        CaseRequest request = rn == null ? null : request(rn, "request", problems);
        Boolean allow = decision(f, "expect", problems);
        Expectation audit = null;
        boolean noAudit = false;
        YamlNode an = f.node("audit");
        if (an instanceof YamlScalar s
                && s.type() == YamlScalar.Type.STRING
                && s.text().equals("none")) {
            noAudit = true;
        } else if (an != null) {
            Fields af = Fields.of(an, "audit", problems);
            if (af != null) {
                af.allowOnly("expect", "reason", "policy", "rule");
                Boolean aAllow = decision(af, "expect", problems);
                if (aAllow != null) {
                    audit = new Expectation(
                            aAllow,
                            af.optionalString("reason"),
                            af.optionalString("policy"),
                            af.optionalString("rule"),
                            null,
                            false);
                }
            }
        }
        String reason = f.optionalString("reason");
        String policy = f.optionalString("policy");
        String rule = f.optionalString("rule");
        if (note == null || request == null || allow == null || problems.count() != before) {
            return null;
        }
        Origin origin =
                new Origin(problems.file(), n.location().line(), n.location().column());
        return new PolicyCase(note, request, new Expectation(allow, reason, policy, rule, audit, noAudit), origin);
    }

    private static @Nullable Boolean decision(Fields f, String key, Problems problems) {
        String s = f.requiredString(key);
        if (s == null) {
            return null;
        }
        return switch (s) {
            case "allow" -> true;
            case "deny" -> false;
            default -> {
                problems.add(f.locationOf(key), f.name(key) + ": '" + s + "' (expected: allow or deny)");
                yield null;
            }
        };
    }

    private static @Nullable CaseRequest request(YamlNode n, String name, Problems problems) {
        Fields f = Fields.of(n, name, problems);
        if (f == null) {
            return null;
        }
        int before = problems.count();
        f.allowOnly(
                "service",
                "principal",
                "requestPrincipal",
                "claims",
                "method",
                "path",
                "grpc",
                "headers",
                "sourceIp",
                "contentType",
                "query",
                "time");
        String service = f.requiredString("service");
        String principal = f.optionalString("principal");
        String requestPrincipal = f.optionalString("requestPrincipal");
        Map<String, Object> claims = Map.of();
        YamlNode cn = f.node("claims");
        if (cn != null) {
            if (cn instanceof YamlMap) {
                @SuppressWarnings("unchecked")
                Map<String, Object> m = (Map<String, Object>) plain(cn);
                claims = m;
            } else {
                problems.add(
                        cn,
                        f.name("claims") + ": " + Fields.got(cn) + " (expected: a mapping of claim names to values)");
            }
        }
        String method = f.optionalString("method");
        String path = f.optionalString("path");
        String grpc = f.optionalString("grpc");
        String contentType = f.optionalString("contentType");
        if (grpc != null) {
            if (!GRPC.matcher(grpc).matches()) {
                problems.add(
                        f.locationOf("grpc"), f.name("grpc") + ": '" + grpc + "' (expected: package.Service/Method)");
            } else if (path != null) {
                problems.add(
                        f.locationOf("grpc"),
                        f.name("grpc") + ": given with path (expected: one of them; grpc sets the path)");
            } else {
                path = "/" + grpc;
                contentType = contentType == null ? "application/grpc" : contentType;
                method = method == null ? "POST" : method;
            }
        } else if (path == null) {
            f.required("path");
        }
        Map<String, String> headers = new LinkedHashMap<>();
        Fields hf = f.optionalMap("headers");
        if (hf != null) {
            for (YamlMap.Entry e : hf.map().entries().values()) {
                // An empty header value is a real case (present but empty), unlike empty fields.
                if (e.value() instanceof YamlScalar s && s.type() == YamlScalar.Type.STRING) {
                    headers.put(e.key(), s.text());
                } else {
                    problems.add(e.value(), hf.name(e.key()) + ": " + Fields.got(e.value()) + " (expected: a string)");
                }
            }
        }
        Fields qf = f.optionalMap("query");
        if (qf != null && path != null) {
            if (path.indexOf('?') >= 0) {
                problems.add(
                        f.locationOf("query"),
                        f.name("query") + ": given with a query in path (expected: one of them)");
            } else {
                StringBuilder q = new StringBuilder();
                for (YamlMap.Entry e : qf.map().entries().values()) {
                    List<YamlNode> values = e.value() instanceof YamlList l ? l.items() : List.of(e.value());
                    for (YamlNode v : values) {
                        if (v instanceof YamlScalar s && s.type() != YamlScalar.Type.NULL) {
                            q.append(q.length() == 0 ? '?' : '&')
                                    .append(URLEncoder.encode(e.key(), StandardCharsets.UTF_8))
                                    .append('=')
                                    .append(URLEncoder.encode(s.text(), StandardCharsets.UTF_8));
                        } else {
                            problems.add(
                                    v,
                                    qf.name(e.key()) + ": " + Fields.got(v)
                                            + " (expected: a value or a list of values, sent form-encoded)");
                        }
                    }
                }
                path = path + q;
            }
        }
        Instant time = null;
        String t = f.optionalString("time");
        if (t != null) {
            try {
                time = java.time.OffsetDateTime.parse(t).toInstant();
            } catch (java.time.format.DateTimeParseException e) {
                problems.add(
                        f.locationOf("time"),
                        f.name("time") + ": '" + t + "' (expected: an RFC 3339 time such as 2026-06-30T12:00:00Z)");
            }
        }
        String sourceIp = f.optionalString("sourceIp");
        if (sourceIp != null && IpBlock.parseAddress(sourceIp) == null) {
            problems.add(
                    f.locationOf("sourceIp"),
                    f.name("sourceIp") + ": '" + sourceIp + "' (expected: an IPv4 or IPv6 address)");
        }
        if (service == null || path == null || problems.count() != before) {
            return null;
        }
        return new CaseRequest(
                service,
                principal,
                requestPrincipal,
                claims,
                method == null ? "GET" : method,
                path,
                headers,
                sourceIp,
                contentType,
                time);
    }

    /** A YAML node as the plain Java values a JWT library returns for claims. */
    static Object plain(YamlNode n) {
        if (n instanceof YamlMap m) {
            Map<String, Object> out = new LinkedHashMap<>();
            m.entries().forEach((k, e) -> out.put(k, plain(e.value())));
            return out;
        }
        if (n instanceof YamlList l) {
            return l.items().stream().map(CaseFiles::plain).toList();
        }
        YamlScalar s = (YamlScalar) n;
        return switch (s.type()) {
            case INTEGER -> parseOr(s.text(), Long::parseLong);
            case FLOAT -> parseOr(s.text(), Double::parseDouble);
            case BOOLEAN -> Boolean.parseBoolean(s.text().toLowerCase(java.util.Locale.ROOT));
            case NULL -> "";
            case STRING -> s.text();
        };
    }

    /** YAML spells numbers in more ways than Java parses (0x1F, 1_000); keep the text then. */
    private static Object parseOr(String text, java.util.function.Function<String, Object> parse) {
        try {
            return parse.apply(text);
        } catch (NumberFormatException e) {
            return text;
        }
    }
}
