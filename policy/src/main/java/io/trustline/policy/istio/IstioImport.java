package io.trustline.policy.istio;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import io.trustline.policy.istio.Finding.Effect;
import io.trustline.policy.istio.Values.InvalidInput;
import io.trustline.policy.yaml.Location;
import io.trustline.policy.yaml.Problems;
import io.trustline.policy.yaml.YamlDocuments;
import io.trustline.policy.yaml.YamlMap;
import io.trustline.policy.yaml.YamlNode;
import io.trustline.policy.yaml.YamlScalar;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;

/**
 * Converts Istio {@code security.istio.io} AuthorizationPolicy and RequestAuthentication resources into Trustline
 * policies, one file per service, and reports at each Istio field's position what it could not convert.
 *
 * <p>The semantics that differ are made explicit rather than lost: Istio allows every request to a workload that no
 * ALLOW policy applies to, Trustline denies it, so such a service gets an explicit allow-all policy. What cannot be
 * converted never makes the result more permissive than Istio (see {@link Finding.Effect}); what would (a DENY or
 * CUSTOM policy that cannot be placed) is {@link Effect#FATAL}.
 */
public final class IstioImport {

    static final String DEFAULT_ALLOW = "istio-default-allow";

    /**
     * The converted files (file name to content) and the findings. Files are meant to be written only when
     * {@link #writable(boolean)}.
     */
    public record Result(Map<String, String> files, List<Finding> findings, int policies) {

        /** Whether nothing stops writing: no fatal finding, and no dropped field unless partial results are allowed. */
        public boolean writable(boolean allowPartial) {
            return findings.stream()
                    .noneMatch(f -> f.effect() == Effect.FATAL || (f.effect() == Effect.DROPPED && !allowPartial));
        }
    }

    private final ImportOptions options;
    private final Report report = new Report();
    private final ObjectMapper yaml = new ObjectMapper(YAMLFactory.builder()
            .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
            .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES)
            .enable(YAMLGenerator.Feature.ALWAYS_QUOTE_NUMBERS_AS_STRINGS)
            .build());

    /** Per service, its policy documents (rendered YAML, with a comment naming the source). */
    private final Map<String, List<String>> documents = new TreeMap<>();

    private final Map<String, String> jwksFiles = new LinkedHashMap<>();
    private final Map<String, Set<String>> spaceDelimited = new LinkedHashMap<>();
    private final Set<String> servicesWithAllow = new HashSet<>();
    private final Map<String, Resource> firstResource = new LinkedHashMap<>();
    private boolean unplacedAllow;
    private int policies;

    private IstioImport(ImportOptions options) {
        this.options = options;
    }

    /** One Istio resource of the input. */
    private record Resource(String file, YamlMap node, String kind, String name, String namespace, YamlMap spec) {
        String ref() {
            return kind + " " + namespace + "/" + name + " (" + file + ":" + node.location() + ")";
        }
    }

    /** Reads every input (files, or directories of {@code *.yaml}/{@code *.yml}) and converts them together. */
    public static Result convert(List<Path> inputs, ImportOptions options) {
        IstioImport i = new IstioImport(options);
        List<Resource> resources = i.read(inputs);
        for (Resource r : resources) {
            if (r.kind.equals("RequestAuthentication")) {
                i.guarded(r, () -> i.requestAuthentication(r));
            }
        }
        for (Resource r : resources) {
            if (r.kind.equals("AuthorizationPolicy")) {
                i.guarded(r, () -> i.authorizationPolicy(r));
            }
        }
        i.defaultAllow();
        return i.result();
    }

    private interface Step {
        void run() throws InvalidInput;
    }

    private void guarded(Resource r, Step step) {
        try {
            step.run();
        } catch (InvalidInput e) {
            report.add(r.file, e.node(), Effect.FATAL, "", "invalid Istio resource: " + e.getMessage());
        }
    }

    private List<Resource> read(List<Path> inputs) {
        List<Resource> out = new ArrayList<>();
        for (Path input : inputs) {
            for (Path f : files(input)) {
                String name = f.toString();
                String text;
                try {
                    text = Files.readString(f, StandardCharsets.UTF_8);
                } catch (IOException | UncheckedIOException e) {
                    report.add(name, Location.UNKNOWN, Effect.FATAL, "", "cannot read: " + e.getMessage());
                    continue;
                }
                Problems problems = new Problems(name);
                List<YamlNode> docs = YamlDocuments.read(text, problems);
                problems.errors()
                        .forEach(e ->
                                report.add(name, new Location(e.line(), e.column()), Effect.FATAL, "", e.message()));
                for (YamlNode doc : docs) {
                    try {
                        resources(name, doc, out);
                    } catch (InvalidInput e) {
                        report.add(name, e.node(), Effect.FATAL, "", "invalid Istio resource: " + e.getMessage());
                    }
                }
            }
        }
        return out;
    }

    private List<Path> files(Path input) {
        if (!Files.isDirectory(input)) {
            if (!Files.isRegularFile(input)) {
                report.add(input.toString(), Location.UNKNOWN, Effect.FATAL, "", "no such file or directory");
                return List.of();
            }
            return List.of(input);
        }
        try (Stream<Path> s = Files.list(input)) {
            return s.filter(p -> {
                        String n = p.getFileName().toString();
                        return !n.startsWith(".") && (n.endsWith(".yaml") || n.endsWith(".yml"));
                    })
                    .filter(Files::isRegularFile)
                    .sorted()
                    .toList();
        } catch (IOException e) {
            report.add(input.toString(), Location.UNKNOWN, Effect.FATAL, "", "cannot list: " + e.getMessage());
            return List.of();
        }
    }

    /** A resource, or every item of a {@code kind: List} (what {@code kubectl get -o yaml} prints). */
    private void resources(String file, YamlNode doc, List<Resource> out) throws InvalidInput {
        YamlMap m = Values.map(doc, "document");
        String apiVersion = Values.optionalString(m, "apiVersion", "apiVersion");
        String kind = Values.optionalString(m, "kind", "kind");
        if ("List".equals(kind) && "v1".equals(apiVersion)) {
            for (YamlNode item : Values.items(m.get("items"), "items")) {
                resources(file, item, out);
            }
            return;
        }
        boolean security = apiVersion != null
                && (apiVersion.equals("security.istio.io/v1") || apiVersion.equals("security.istio.io/v1beta1"));
        if (!security || !("AuthorizationPolicy".equals(kind) || "RequestAuthentication".equals(kind))) {
            String why = security && "PeerAuthentication".equals(kind)
                    ? "PeerAuthentication is not converted: the inbound listener's mTLS mode is set in sidecar.yaml"
                    : "skipped: not a security.istio.io/v1 AuthorizationPolicy or RequestAuthentication";
            report.add(file, doc, Effect.NOTE, apiVersion + " " + kind, why);
            return;
        }
        YamlMap metadata = Values.map(required(m, "metadata"), "metadata");
        String name = Values.string(required(metadata, "name"), "metadata.name");
        String namespace = Values.optionalString(metadata, "namespace", "metadata.namespace");
        YamlMap spec = m.get("spec") == null ? new YamlMap(Map.of(), m.location()) : Values.map(m.get("spec"), "spec");
        out.add(new Resource(
                file, m, requireNonNull(kind, "kind"), name, namespace == null ? "default" : namespace, spec));
    }

    private static YamlNode required(YamlMap m, String key) throws InvalidInput {
        YamlNode n = m.get(key);
        if (n == null) {
            throw new InvalidInput(m, "missing required field '" + key + "'");
        }
        return n;
    }

    /** Where a resource applies: its services, or why it cannot be placed. */
    private record Placement(
            List<String> services,
            @Nullable String problem,
            YamlNode at,
            boolean wholeService,
            boolean namespaceWide) {}

    private Placement place(Resource r) throws InvalidInput {
        YamlNode targets = r.spec.get("targetRefs") != null ? r.spec.get("targetRefs") : r.spec.get("targetRef");
        if (targets != null) {
            List<String> services = new ArrayList<>();
            List<YamlNode> refs =
                    r.spec.get("targetRefs") != null ? Values.items(targets, "targetRefs") : List.of(targets);
            for (YamlNode t : refs) {
                YamlMap ref = Values.map(t, "targetRef");
                String kind = Values.optionalString(ref, "kind", "targetRef.kind");
                // The core API group is written as "" (empty) in Istio's examples.
                String group = ref.get("group") instanceof YamlScalar g ? g.text() : null;
                if (!"Service".equals(kind) || (group != null && !group.isEmpty() && !group.equals("core"))) {
                    return new Placement(
                            List.of(),
                            "targets a " + kind + "; only a Service maps to a Trustline" + " service",
                            t,
                            true,
                            false);
                }
                services.add(Values.string(required(ref, "name"), "targetRef.name"));
            }
            return checked(new Placement(services, null, targets, true, false));
        }
        YamlMap selector = Values.optionalMap(r.spec.get("selector"), "selector");
        if (selector == null) {
            if (options.services().isEmpty()) {
                return new Placement(
                        List.of(),
                        "no selector: the policy applies to every workload of namespace '" + r.namespace
                                + "'; name their services with --services",
                        r.node,
                        true,
                        true);
            }
            return new Placement(options.services(), null, r.node, true, true);
        }
        YamlMap labels = Values.optionalMap(selector.get("matchLabels"), "selector.matchLabels");
        YamlNode value = labels == null ? null : labels.get(options.serviceLabel());
        if (value == null) {
            return new Placement(
                    List.of(),
                    "the selector has no label '" + options.serviceLabel()
                            + "' to name the service (see --service-label)",
                    selector,
                    true,
                    false);
        }
        String service = Values.string(value, "selector.matchLabels." + options.serviceLabel());
        boolean whole = labels != null && labels.entries().size() == 1 && !selector.has("matchExpressions");
        String problem = whole
                ? null
                : "the selector picks some workloads of service '" + service
                        + "' by further labels; a Trustline policy applies to the whole service";
        return checked(new Placement(List.of(service), problem, selector, whole, false));
    }

    private Placement checked(Placement p) {
        for (String s : p.services) {
            if (!ImportOptions.SERVICE.matcher(s).matches()) {
                return new Placement(
                        List.of(), "'" + s + "' is not a service name Trustline accepts", p.at, true, false);
            }
        }
        return p;
    }

    private void requestAuthentication(Resource r) throws InvalidInput {
        for (YamlMap.Entry e : r.spec.entries().values()) {
            if (!Set.of("selector", "targetRef", "targetRefs", "jwtRules").contains(e.key())) {
                throw new InvalidInput(e.value(), "spec." + e.key() + ": not a field of a RequestAuthentication");
            }
        }
        Placement p = place(r);
        if (p.services.isEmpty() || !p.wholeService) {
            // Accepting the issuers on more workloads than Istio would let their tokens in where Istio refuses them;
            // leaving them out, a sidecar would not look for their tokens at all.
            report.add(
                    r.file,
                    p.at,
                    Effect.FATAL,
                    "selector",
                    p.problem + "; neither leaving its issuers out (their tokens would go unseen) nor applying them"
                            + " to more workloads keeps Istio's decisions");
            return;
        }
        for (String service : p.services) {
            String name = policyName(r, p, service);
            JwtConverter.Result jwt = new JwtConverter(report, r.file).convert(r.spec, name);
            spaceDelimited.computeIfAbsent(service, s -> new LinkedHashSet<>()).addAll(jwt.spaceDelimited());
            jwksFiles.putAll(jwt.jwksFiles());
            Map<String, Object> spec = new LinkedHashMap<>();
            spec.put("service", service);
            spec.put("jwt", jwt.issuers());
            add(r, service, name, spec);
        }
    }

    private void authorizationPolicy(Resource r) throws InvalidInput {
        YamlNode actionNode = r.spec.get("action");
        String action = actionNode == null ? "ALLOW" : Values.string(actionNode, "action");
        YamlNode at = actionNode == null ? r.node : actionNode;
        switch (action) {
            case "CUSTOM" -> {
                report.add(
                        r.file,
                        at,
                        Effect.FATAL,
                        "action",
                        "CUSTOM delegates the decision to the extension provider, which Trustline has no"
                                + " counterpart for; leaving the policy out would allow what the provider denies."
                                + " Remove it from the input once its checks are replaced");
                return;
            }
            case "AUDIT" -> {
                report.add(
                        r.file,
                        at,
                        Effect.DROPPED,
                        "action",
                        "AUDIT only marks requests for an audit plugin and never changes a decision;"
                                + " Trustline's mode: audit is a dry run of a rule, not the same thing, so the policy"
                                + " is left out (decisions are unchanged)");
                // The service is still one Istio knows policies for: it gets Istio's implicit allow if it has no ALLOW.
                for (String service : place(r).services) {
                    documents.computeIfAbsent(service, s -> new ArrayList<>());
                    firstResource.putIfAbsent(service, r);
                }
                return;
            }
            case "ALLOW", "DENY" -> {}
            default -> throw new InvalidInput(at, "action: '" + action + "' (expected: ALLOW, DENY, AUDIT or CUSTOM)");
        }
        for (YamlMap.Entry e : r.spec.entries().values()) {
            if (!Set.of("selector", "targetRef", "targetRefs", "action", "provider", "rules")
                    .contains(e.key())) {
                throw new InvalidInput(e.value(), "spec." + e.key() + ": not a field of an AuthorizationPolicy");
            }
        }
        boolean deny = action.equals("DENY");
        Placement p = place(r);
        if (!deny) {
            servicesWithAllow.addAll(p.services);
            unplacedAllow |= p.services.isEmpty();
        }
        if (p.services.isEmpty()) {
            report.add(
                    r.file,
                    p.at,
                    deny ? Effect.FATAL : Effect.DROPPED,
                    "selector",
                    p.problem
                            + (deny
                                    ? "; leaving this DENY policy out would allow what Istio denies"
                                    : "; the policy is left out, so fewer requests are allowed than in Istio"));
            return;
        }
        if (!p.wholeService) {
            if (!deny) {
                report.add(
                        r.file,
                        p.at,
                        Effect.DROPPED,
                        "selector",
                        p.problem + "; the ALLOW policy is left out, so fewer requests are allowed than in Istio");
                return;
            }
            report.add(
                    r.file,
                    p.at,
                    Effect.DROPPED,
                    "selector",
                    p.problem + "; the DENY policy is applied to every workload of the service");
        }
        List<YamlNode> rules = Values.items(r.spec.get("rules"), "rules");
        for (String service : p.services) {
            RuleConverter converter = new RuleConverter(
                    report, r.file, options, r.namespace, spaceDelimited.getOrDefault(service, Set.of()));
            List<Map<String, Object>> out = new ArrayList<>();
            for (int i = 0; i < rules.size(); i++) {
                out.addAll(converter.convert(rules.get(i), i, deny));
            }
            Map<String, Object> spec = new LinkedHashMap<>();
            spec.put("service", service);
            if (!out.isEmpty()) {
                spec.put("rules", out);
            }
            add(r, service, policyName(r, p, service), spec);
        }
    }

    /** {@code <namespace>.<name>}, and {@code .<service>} when one resource becomes a policy per service. */
    private static String policyName(Resource r, Placement p, String service) {
        String base = r.namespace + "." + r.name;
        return p.services.size() > 1 || p.namespaceWide ? base + "." + service : base;
    }

    private void add(Resource r, String service, String name, Map<String, Object> spec) {
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("apiVersion", "trustline.io/v1");
        doc.put("kind", "Policy");
        doc.put("metadata", Map.of("name", name));
        doc.put("spec", spec);
        documents.computeIfAbsent(service, s -> new ArrayList<>()).add("# from " + r.ref() + "\n" + render(doc));
        firstResource.putIfAbsent(service, r);
        policies++;
    }

    /** Istio allows what no DENY denies when no ALLOW policy applies; Trustline needs that written out. */
    private void defaultAllow() {
        for (String service : List.copyOf(documents.keySet())) {
            if (servicesWithAllow.contains(service)) {
                continue;
            }
            Resource r = requireNonNull(firstResource.get(service), service);
            if (unplacedAllow) {
                report.add(
                        r.file,
                        r.node,
                        Effect.NOTE,
                        "",
                        "service '" + service + "': no allow-all written, as an ALLOW policy that could not"
                                + " be placed may apply to it in Istio");
                continue;
            }
            String name = DEFAULT_ALLOW + "." + service;
            report.add(
                    r.file,
                    r.node,
                    Effect.NOTE,
                    "",
                    "service '" + service + "': no Istio ALLOW policy applies to it, so Istio allows every"
                            + " request that no DENY policy denies; Trustline denies by default, so policy " + name
                            + " allows them explicitly");
            Map<String, Object> rule = new LinkedHashMap<>();
            rule.put("name", "allow-all");
            rule.put("action", "allow");
            Map<String, Object> spec = new LinkedHashMap<>();
            spec.put("service", service);
            spec.put("rules", List.of(rule));
            Map<String, Object> doc = new LinkedHashMap<>();
            doc.put("apiVersion", "trustline.io/v1");
            doc.put("kind", "Policy");
            doc.put("metadata", Map.of("name", name));
            doc.put("spec", spec);
            documents
                    .computeIfAbsent(service, s -> new ArrayList<>())
                    .add("# Istio's implicit allow: no ALLOW policy applies to " + service + "\n" + render(doc));
            policies++;
        }
    }

    private String render(Map<String, Object> doc) {
        try {
            String text = yaml.writeValueAsString(doc);
            return text.endsWith("\n") ? text : text + "\n";
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a policy of maps, lists and strings always renders", e);
        }
    }

    private Result result() {
        Map<String, String> files = new LinkedHashMap<>();
        documents.forEach((service, docs) -> files.put(
                service + ".yaml",
                "# Converted from Istio by trustline-policy import-istio: policy <namespace>.<name> is the Istio"
                        + " resource\n# of that name, rule-N its rules[N]. The import's report lists what was not"
                        + " converted.\n"
                        + String.join("---\n", docs)));
        files.putAll(jwksFiles);
        return new Result(files, report.findings(), policies);
    }
}
