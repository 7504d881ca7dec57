package io.trustline.examples.demo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Reads the demo sidecars' access logs (one JSON line per call, written by each sidecar to its own file) to show the
 * operator's side of a step: which policy and rule decided, for which peer and user, and any audit-mode would-deny.
 * The caller only ever saw the reason code.
 */
final class AccessLogs {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** One inbound call as a sidecar logged it. */
    record Entry(
            String service,
            String decision,
            String reason,
            @Nullable String policy,
            @Nullable String rule,
            @Nullable String peer,
            @Nullable String principal,
            @Nullable String auditRule,
            @Nullable String rateLimit) {}

    private final Map<String, Path> files;

    /** {@code files}: service name to its sidecar's access log. */
    AccessLogs(Map<String, Path> files) {
        this.files = Map.copyOf(files);
    }

    /** The inbound entries of {@code traceId}, one per sidecar that logged it, in the order of {@code services}. */
    List<Entry> inbound(String traceId, List<String> services) {
        final List<Entry> entries = new ArrayList<>();
        for (String service : services) {
            final Path file = files.get(service);
            if (file == null || !Files.exists(file)) {
                continue;
            }
            final List<String> lines;
            try {
                lines = Files.readAllLines(file);
            } catch (IOException e) {
                continue;
            }
            for (String line : lines) {
                final Entry e = parse(service, line, traceId);
                if (e != null) {
                    entries.add(e);
                }
            }
        }
        return entries;
    }

    private static @Nullable Entry parse(String service, String line, String traceId) {
        final JsonNode n;
        try {
            n = JSON.readTree(line);
        } catch (IOException e) {
            return null;
        }
        if (n == null
                || !traceId.equals(n.path("trace_id").asText())
                || !"inbound".equals(n.path("direction").asText())
                || !"access".equals(n.path("type").asText())) {
            return null;
        }
        return new Entry(
                service,
                n.path("decision").asText(),
                n.path("reason").asText(),
                text(n, "policy"),
                text(n, "rule"),
                text(n, "peer"),
                text(n, "principal"),
                n.path("audit_would_deny").asBoolean() ? text(n, "audit_policy") + "/" + text(n, "audit_rule") : null,
                text(n, "rate_limit"));
    }

    private static @Nullable String text(JsonNode n, String field) {
        final JsonNode v = n.get(field);
        return v == null || v.isNull() ? null : v.asText();
    }
}
