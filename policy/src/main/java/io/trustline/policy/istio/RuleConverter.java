package io.trustline.policy.istio;

import io.trustline.policy.istio.Values.CannotConvert;
import io.trustline.policy.istio.Values.InvalidInput;
import io.trustline.policy.model.IpBlock;
import io.trustline.policy.yaml.YamlMap;
import io.trustline.policy.yaml.YamlNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * Converts one rule of an Istio AuthorizationPolicy into Trustline rules. An Istio rule matches when one of its
 * {@code from} sources, one of its {@code to} operations and every {@code when} condition match; a Trustline rule
 * has one {@code from} and one {@code to}, and rules of one action are ORed, so the Istio rule becomes one Trustline
 * rule per (source, operation) pair.
 *
 * <p>A condition that cannot be converted never makes the result more permissive: an ALLOW alternative that needs
 * it is left out (fewer requests allowed), and it is left out of a DENY alternative (the DENY applies more widely).
 * Either way it is reported at the field's position.
 */
final class RuleConverter {

    /** Claims that RFC 7519 defines as strings, where Trustline's {@code in} is Istio's exact match. */
    private static final Set<String> STRING_CLAIMS = Set.of("iss", "sub", "azp", "jti");

    /** Claims Istio (1.21+) always splits on spaces; {@code spaceDelimitedClaims} adds to them. */
    static final Set<String> SPACE_DELIMITED_CLAIMS = Set.of("scope", "permission");

    private static final Pattern CLAIM_KEY = Pattern.compile("request\\.auth\\.claims((?:\\[[^\\[\\]]+\\])+)");
    private static final Pattern HEADER_KEY = Pattern.compile("request\\.headers\\[([^\\[\\]]+)\\]");
    private static final Pattern HEADER_NAME = Pattern.compile("[a-z0-9!#$%&'*+.^_`|~-]{1,100}");
    private static final Pattern METHOD = Pattern.compile("[A-Z]{1,20}");

    private final Report report;
    private final String file;
    private final ImportOptions options;
    private final String namespace;
    private final Set<String> spaceDelimited;

    /** Problems of the rule being converted, once per field, in the order found. */
    private final Map<String, Problem> problems = new LinkedHashMap<>();

    private record Problem(YamlNode at, String reason) {}

    /**
     * @param namespace the policy's namespace (for service accounts without one)
     * @param spaceDelimited the claims the service's RequestAuthentication splits on spaces, beyond {@code scope}
     *     and {@code permission}
     */
    RuleConverter(Report report, String file, ImportOptions options, String namespace, Set<String> spaceDelimited) {
        this.report = report;
        this.file = file;
        this.options = options;
        this.namespace = namespace;
        this.spaceDelimited = spaceDelimited;
    }

    /** Converts {@code rules[index]}; returns the Trustline rules as YAML mappings. */
    List<Map<String, Object>> convert(YamlNode ruleNode, int index, boolean deny) throws InvalidInput {
        problems.clear();
        String prefix = "rules[" + index + "]";
        YamlMap rule = Values.map(ruleNode, prefix);
        List<RuleDraft> drafts = new ArrayList<>();
        List<YamlNode> sources = Values.items(rule.get("from"), prefix + ".from");
        List<YamlNode> operations = Values.items(rule.get("to"), prefix + ".to");
        for (int s = 0; s < Math.max(1, sources.size()); s++) {
            for (int o = 0; o < Math.max(1, operations.size()); o++) {
                RuleDraft d = new RuleDraft();
                if (!sources.isEmpty()) {
                    source(d, sources.get(s), prefix + ".from[" + s + "]");
                }
                if (!operations.isEmpty()) {
                    operation(d, operations.get(o), prefix + ".to[" + o + "]");
                }
                List<RuleDraft> alternatives = List.of(d);
                List<YamlNode> when = Values.items(rule.get("when"), prefix + ".when");
                for (int w = 0; w < when.size(); w++) {
                    alternatives = condition(alternatives, when.get(w), prefix + ".when[" + w + "]", deny);
                }
                drafts.addAll(alternatives);
            }
        }
        for (Map.Entry<String, YamlMap.Entry> e : rule.entries().entrySet()) {
            if (!Set.of("from", "to", "when").contains(e.getKey())) {
                cannot(drafts, e.getValue().value(), prefix + "." + e.getKey(), "not a field of an Istio rule");
            }
        }
        reportProblems(deny);
        List<RuleDraft> kept = drafts.stream()
                .filter(d -> !d.never() && (deny || !d.incomplete()))
                .toList();
        List<Map<String, Object>> out = new ArrayList<>();
        for (int k = 0; k < kept.size(); k++) {
            String name = kept.size() == 1 ? "rule-" + index : "rule-" + index + "-" + k;
            out.add(kept.get(k).toYaml(name, deny ? "deny" : "allow"));
        }
        return out;
    }

    private void reportProblems(boolean deny) {
        for (Map.Entry<String, Problem> e : problems.entrySet()) {
            String consequence = deny
                    ? "; left out of the DENY rule, which so applies to more requests than in Istio"
                    : "; the ALLOW alternatives that need it are left out, so fewer requests are allowed than in Istio";
            report.add(
                    file,
                    e.getValue().at(),
                    Finding.Effect.DROPPED,
                    e.getKey(),
                    e.getValue().reason() + consequence);
        }
    }

    private void cannot(List<RuleDraft> drafts, YamlNode at, String field, String reason) {
        drafts.forEach(RuleDraft::markIncomplete);
        problems.putIfAbsent(field, new Problem(at, reason));
    }

    private void cannot(RuleDraft d, YamlNode at, String field, String reason) {
        cannot(List.of(d), at, field, reason);
    }

    /** A key beside {@code source}/{@code operation} has a meaning the importer does not know. */
    private void unknownKeys(RuleDraft d, YamlMap wrapper, String prefix, String known) {
        for (YamlMap.Entry e : wrapper.entries().values()) {
            if (!e.key().equals(known)) {
                cannot(d, e.value(), prefix + "." + e.key(), "not a field of an Istio rule's " + known + " list");
            }
        }
    }

    /** Records a constraint or, when Trustline cannot hold it together with the others, a problem. */
    private void check(RuleDraft d, YamlNode at, String field, @Nullable String whyNot) {
        if (whyNot != null) {
            cannot(d, at, field, whyNot);
        }
    }

    private void source(RuleDraft d, YamlNode item, String prefix) throws InvalidInput {
        YamlMap wrapper = Values.map(item, prefix);
        YamlMap src = Values.optionalMap(wrapper.get("source"), prefix + ".source");
        unknownKeys(d, wrapper, prefix, "source");
        if (src == null) {
            return;
        }
        for (YamlMap.Entry e : src.entries().values()) {
            String field = prefix + ".source." + e.key();
            List<String> values = Values.strings(e.value(), field);
            if (values.isEmpty()) {
                continue;
            }
            try {
                switch (e.key()) {
                    case "principals", "notPrincipals" ->
                        check(d, e.value(), field, d.from(e.key(), map(values, this::principal)));
                    case "requestPrincipals", "notRequestPrincipals" ->
                        check(d, e.value(), field, d.from(e.key(), map(values, RuleConverter::pattern)));
                    case "namespaces" -> check(d, e.value(), field, d.from("principals", map(values, this::namespace)));
                    case "notNamespaces" ->
                        check(d, e.value(), field, d.from("notPrincipals", map(values, this::namespace)));
                    case "serviceAccounts" ->
                        check(d, e.value(), field, d.from("principals", map(values, this::serviceAccount)));
                    case "notServiceAccounts" ->
                        check(d, e.value(), field, d.from("notPrincipals", map(values, this::serviceAccount)));
                    case "ipBlocks", "notIpBlocks" ->
                        check(d, e.value(), field, d.from(e.key(), map(values, RuleConverter::ipBlock)));
                    case "remoteIpBlocks", "notRemoteIpBlocks" ->
                        throw new CannotConvert(
                                "the client address from X-Forwarded-For or PROXY protocol (Trustline's ipBlocks match"
                                        + " the connection's address only)");
                    default -> throw new CannotConvert("not a field of an Istio source");
                }
            } catch (CannotConvert x) {
                cannot(d, e.value(), field, String.valueOf(x.getMessage()));
            }
        }
    }

    private void operation(RuleDraft d, YamlNode item, String prefix) throws InvalidInput {
        YamlMap wrapper = Values.map(item, prefix);
        YamlMap op = Values.optionalMap(wrapper.get("operation"), prefix + ".operation");
        unknownKeys(d, wrapper, prefix, "operation");
        if (op == null) {
            return;
        }
        for (YamlMap.Entry e : op.entries().values()) {
            String field = prefix + ".operation." + e.key();
            List<String> values = Values.strings(e.value(), field);
            if (values.isEmpty()) {
                continue;
            }
            try {
                switch (e.key()) {
                    case "methods", "notMethods" ->
                        check(d, e.value(), field, d.to(e.key(), map(values, RuleConverter::method)));
                    case "paths", "notPaths" ->
                        check(d, e.value(), field, d.to(e.key(), map(values, RuleConverter::path)));
                    case "hosts", "notHosts" ->
                        throw new CannotConvert(
                                "Trustline rules do not match the Host header (a sidecar serves one service)");
                    case "ports", "notPorts" ->
                        throw new CannotConvert(
                                "Trustline rules do not match the destination port (a sidecar has one inbound port)");
                    default -> throw new CannotConvert("not a field of an Istio operation");
                }
            } catch (CannotConvert x) {
                cannot(d, e.value(), field, String.valueOf(x.getMessage()));
            }
        }
    }

    /** ANDs one {@code when} condition into every alternative; a claim matched by words may fork them. */
    private List<RuleDraft> condition(List<RuleDraft> drafts, YamlNode item, String prefix, boolean deny)
            throws InvalidInput {
        YamlMap c = Values.map(item, prefix);
        YamlNode keyNode = c.get("key");
        if (keyNode == null) {
            throw new InvalidInput(item, prefix + ": missing required field 'key'");
        }
        String key = Values.string(keyNode, prefix + ".key");
        List<String> values = Values.strings(c.get("values"), prefix + ".values");
        List<String> notValues = Values.strings(c.get("notValues"), prefix + ".notValues");
        String field = prefix + ": " + key;
        if (values.isEmpty() && notValues.isEmpty()) {
            throw new InvalidInput(item, prefix + ": neither values nor notValues (expected: at least one)");
        }
        Matcher claim = CLAIM_KEY.matcher(key);
        if (claim.matches()) {
            String name =
                    claim.group(1).substring(1, claim.group(1).length() - 1).replace("][", ".");
            return claim(drafts, keyNode, field, name, values, notValues, deny);
        }
        if (key.equals("request.auth.audiences")) {
            return claim(drafts, keyNode, field, "aud", values, notValues, deny);
        }
        if (key.equals("request.auth.presenter")) {
            return claim(drafts, keyNode, field, "azp", values, notValues, deny);
        }
        for (RuleDraft d : drafts) {
            try {
                Matcher header = HEADER_KEY.matcher(key);
                if (header.matches()) {
                    String name = header.group(1).toLowerCase(Locale.ROOT);
                    if (!HEADER_NAME.matcher(name).matches()) {
                        throw new CannotConvert("'" + name + "' is not a header Trustline matches (pseudo-headers are"
                                + " matched through paths and methods)");
                    }
                    both(
                            d,
                            keyNode,
                            field,
                            values,
                            notValues,
                            (v, not) -> d.header(name, map(v, RuleConverter::pattern), not));
                    continue;
                }
                switch (key) {
                    case "source.ip" ->
                        both(
                                d,
                                keyNode,
                                field,
                                values,
                                notValues,
                                (v, not) -> d.from(not ? "notIpBlocks" : "ipBlocks", map(v, RuleConverter::ipBlock)));
                    case "source.principal" ->
                        both(
                                d,
                                keyNode,
                                field,
                                values,
                                notValues,
                                (v, not) -> d.from(not ? "notPrincipals" : "principals", map(v, this::principal)));
                    case "source.namespace" ->
                        both(
                                d,
                                keyNode,
                                field,
                                values,
                                notValues,
                                (v, not) -> d.from(not ? "notPrincipals" : "principals", map(v, this::namespace)));
                    case "source.serviceAccount" ->
                        both(
                                d,
                                keyNode,
                                field,
                                values,
                                notValues,
                                (v, not) -> d.from(not ? "notPrincipals" : "principals", map(v, this::serviceAccount)));
                    case "request.auth.principal" ->
                        both(
                                d,
                                keyNode,
                                field,
                                values,
                                notValues,
                                (v, not) -> d.from(
                                        not ? "notRequestPrincipals" : "requestPrincipals",
                                        map(v, RuleConverter::pattern)));
                    case "remote.ip" ->
                        throw new CannotConvert(
                                "the client address from X-Forwarded-For or PROXY protocol (Trustline matches the"
                                        + " connection's address only)");
                    default -> throw new CannotConvert("Trustline has no condition on '" + key + "'");
                }
            } catch (CannotConvert x) {
                cannot(d, keyNode, field, String.valueOf(x.getMessage()));
            }
        }
        return drafts;
    }

    /** A constraint from a condition's values, then from its notValues. */
    private interface Constraint {
        @Nullable
        String apply(List<String> values, boolean negated) throws CannotConvert;
    }

    private void both(RuleDraft d, YamlNode at, String field, List<String> values, List<String> notValues, Constraint c)
            throws CannotConvert {
        if (!values.isEmpty()) {
            check(d, at, field, c.apply(values, false));
        }
        if (!notValues.isEmpty()) {
            check(d, at, field, c.apply(notValues, true));
        }
    }

    /**
     * A claim condition. Istio's value matches a string claim equal to it or a list claim holding it, and for
     * space-delimited claims a word of a string claim. Trustline's {@code contains} is the latter exactly; its {@code
     * in} is the string case only.
     */
    private List<RuleDraft> claim(
            List<RuleDraft> drafts,
            YamlNode at,
            String field,
            String name,
            List<String> values,
            List<String> notValues,
            boolean deny) {
        if (!notValues.isEmpty()) {
            cannot(drafts, at, field, "Trustline has no negated claim condition (notValues)");
        }
        if (values.isEmpty()) {
            return drafts;
        }
        if (values.stream().anyMatch(v -> v.startsWith("*") || v.endsWith("*"))) {
            cannot(drafts, at, field, "Trustline compares claims exactly (no prefix, suffix or presence match)");
            return drafts;
        }
        boolean words = SPACE_DELIMITED_CLAIMS.contains(name) || spaceDelimited.contains(name);
        if (STRING_CLAIMS.contains(name) && !words) {
            drafts.forEach(d -> d.when(condition(name, "in", values)));
            return drafts;
        }
        if (!words && !deny) {
            drafts.forEach(d -> d.when(condition(name, "in", values)));
            report.add(
                    file,
                    at,
                    Finding.Effect.DROPPED,
                    field,
                    "converted to {claim: " + name + ", in: " + values + "}, which matches a string claim only: a"
                            + " list-typed '" + name + "' holding a value is allowed by Istio and denied by the"
                            + " converted policy. If the claim is never a space-separated string, write {claim: "
                            + name + ", contains: <value>} instead");
            return drafts;
        }
        if (!words) {
            report.add(
                    file,
                    at,
                    Finding.Effect.NOTE,
                    field,
                    "converted to {claim: " + name + ", contains: ...}, which also matches a word of a"
                            + " space-separated string claim: the DENY applies to such tokens too");
        }
        // One alternative per value: "contains a or contains b" is an OR, and a Trustline rule's conditions AND.
        List<RuleDraft> out = new ArrayList<>();
        for (RuleDraft d : drafts) {
            for (String v : values) {
                RuleDraft copy = values.size() == 1 ? d : d.copy();
                copy.when(condition(name, "contains", v));
                out.add(copy);
            }
        }
        return out;
    }

    private static Map<String, Object> condition(String claim, String operator, Object value) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("claim", claim);
        m.put(operator, value);
        return m;
    }

    private interface Conversion {
        String apply(String value) throws CannotConvert;
    }

    private static List<String> map(List<String> values, Conversion c) throws CannotConvert {
        List<String> out = new ArrayList<>(values.size());
        for (String v : values) {
            out.add(c.apply(v));
        }
        return out;
    }

    /** {@code cluster.local/ns/x/sa/y} (Istio's form, no scheme) to {@code spiffe://<trust domain>/ns/x/sa/y}. */
    private String principal(String v) throws CannotConvert {
        String p = pattern(v);
        if (p.equals("*") || p.startsWith("*")) {
            return p;
        }
        boolean prefix = p.endsWith("*");
        String body = prefix ? p.substring(0, p.length() - 1) : p;
        if (body.startsWith("spiffe://")) {
            body = body.substring("spiffe://".length());
        }
        int slash = body.indexOf('/');
        if (slash <= 0) {
            throw new CannotConvert("'" + v + "' is not an Istio principal (expected: <trust domain>/ns/<namespace>/sa/"
                    + "<service account>)");
        }
        String td = body.substring(0, slash);
        if (td.equals(options.istioTrustDomain())) {
            td = options.trustDomain();
        }
        return "spiffe://" + td + body.substring(slash) + (prefix ? "*" : "");
    }

    /** A namespace becomes the prefix of its workloads' SPIFFE IDs in the Trustline trust domain. */
    private String namespace(String v) throws CannotConvert {
        String p = pattern(v);
        if (p.equals("*")) {
            return "*";
        }
        if (p.startsWith("*")) {
            throw new CannotConvert("'" + v + "': Trustline cannot match a namespace by its suffix");
        }
        String base = "spiffe://" + options.trustDomain() + "/ns/";
        return p.endsWith("*") ? base + p : base + p + "/*";
    }

    /** {@code ns/sa} (or {@code sa} in the policy's namespace) to the service account's SPIFFE ID. */
    private String serviceAccount(String v) throws CannotConvert {
        if (v.contains("*")) {
            throw new CannotConvert("'" + v + "': service accounts are matched exactly");
        }
        String[] parts = v.split("/", -1);
        if (parts.length > 2 || parts[0].isEmpty() || parts[parts.length - 1].isEmpty()) {
            throw new CannotConvert("'" + v + "' (expected: <namespace>/<service account>)");
        }
        String ns = parts.length == 2 ? parts[0] : namespace;
        return "spiffe://" + options.trustDomain() + "/ns/" + ns + "/sa/" + parts[parts.length - 1];
    }

    /** Istio's string matches are Trustline's: exact, {@code prefix*}, {@code *suffix}, {@code *}. */
    private static String pattern(String v) throws CannotConvert {
        String inner = v.length() > 1 ? v.substring(1, v.length() - 1) : "";
        if (inner.contains("*")) {
            throw new CannotConvert("'" + v + "': a '*' inside a value (expected: exact, prefix*, *suffix or *)");
        }
        return v;
    }

    private static String path(String v) throws CannotConvert {
        if (v.contains("{") || v.contains("}")) {
            throw new CannotConvert("'" + v + "': Istio path templates ({*}, {**}) are not converted");
        }
        return pattern(v);
    }

    private static String method(String v) throws CannotConvert {
        if (!METHOD.matcher(v).matches()) {
            throw new CannotConvert("'" + v + "' (expected: an upper-case HTTP method)");
        }
        return v;
    }

    private static String ipBlock(String v) throws CannotConvert {
        try {
            IpBlock.parse(v);
            return v;
        } catch (IllegalArgumentException e) {
            throw new CannotConvert(String.valueOf(e.getMessage()));
        }
    }
}
