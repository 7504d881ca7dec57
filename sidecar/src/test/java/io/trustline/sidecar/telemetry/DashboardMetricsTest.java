package io.trustline.sidecar.telemetry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.linecorp.armeria.client.WebClient;
import com.linecorp.armeria.common.HttpMethod;
import com.linecorp.armeria.common.RequestHeaders;
import io.trustline.sidecar.Sidecar;
import io.trustline.sidecar.testing.TestMesh;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Grafana dashboard and the alert rules shipped in {@code examples/observability/} name only metrics the sidecar
 * really exports: every query is parsed for its metric names, and each must appear in the {@code /metrics} output of
 * real sidecars after real traffic (not in a hand-written list, which could drift with the code).
 */
class DashboardMetricsTest {

    private static final Path OBSERVABILITY = Path.of("..", "examples", "observability");

    /** PromQL words that are not metric names (aggregations, set operators, modifiers). */
    private static final Set<String> KEYWORDS = Set.of(
            "by",
            "without",
            "on",
            "ignoring",
            "group_left",
            "group_right",
            "bool",
            "and",
            "or",
            "unless",
            "offset",
            "sum",
            "min",
            "max",
            "avg",
            "count",
            "topk",
            "bottomk",
            "quantile",
            "stddev",
            "stdvar");

    private static final Pattern IDENTIFIER = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");

    @TempDir
    static Path dir;

    static TestMesh mesh;
    static Set<String> exported;

    @BeforeAll
    static void startAndSendTraffic() throws Exception {
        // A rate limit and a penalty box, so that their meters exist as they do in any mesh that uses them.
        Files.writeString(
                TestMesh.policyDir(dir, TestMesh.BACKEND).resolve("limits.yaml"),
                "apiVersion: trustline.io/v1\n"
                        + "kind: Policy\n"
                        + "metadata: {name: backend-limits}\n"
                        + "spec:\n"
                        + "  service: backend\n"
                        + "  rateLimits:\n"
                        + "    - {name: per-caller, key: principal, rate: 100/s, burst: 200}\n"
                        + "  penalty: {key: principal, failures: [authz], threshold: 3, window: 1m, duration: 5m}\n");
        mesh = TestMesh.start(dir, "", "accessLog: {file: access.log}\n");
        final WebClient outbound = WebClient.of("http://127.0.0.1:" + mesh.frontend.outboundPort());
        for (String path : List.of("/echo/dashboard", "/echo/admin/dashboard")) {
            outbound.execute(RequestHeaders.builder(HttpMethod.GET, path)
                            .authority("backend")
                            .build())
                    .aggregate()
                    .join();
        }
        exported = new TreeSet<>();
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            exported.clear();
            for (Sidecar s : List.of(mesh.backend, mesh.frontend)) {
                PrometheusSamples.scrape(s.adminPort()).samples().forEach(sample -> exported.add(sample.name()));
            }
            assertThat(exported).contains("trustline_requests_total");
        });
    }

    @AfterAll
    static void stop() throws Exception {
        mesh.close();
    }

    @Test
    void everyDashboardQueryNamesExportedMetrics() throws Exception {
        final JsonNode dashboard = new ObjectMapper()
                .readTree(OBSERVABILITY.resolve("trustline-dashboard.json").toFile());
        final List<String> queries = new ArrayList<>();
        dashboard.findValues("expr").forEach(e -> queries.add(e.asText()));
        dashboard.path("templating").path("list").forEach(v -> {
            if (v.path("query").has("query")) {
                queries.add(v.path("query").path("query").asText());
            }
        });
        assertThat(queries).hasSizeGreaterThan(15);
        assertNamesExported(queries);
    }

    @Test
    void everyAlertRuleNamesExportedMetrics() throws Exception {
        final JsonNode alerts = new ObjectMapper(new YAMLFactory())
                .readTree(OBSERVABILITY.resolve("trustline-alerts.yaml").toFile());
        final List<String> queries = new ArrayList<>();
        alerts.findValues("expr").forEach(e -> queries.add(e.asText()));
        assertThat(queries).isNotEmpty();
        assertNamesExported(queries);
    }

    @Test
    void metricNamesAreFoundInAQuery() {
        assertThat(metricNames(
                        "sum by (reason) (rate(trustline_requests_total{decision=\"deny\", reason=~\"a|b\"}[5m]))"
                                + " / on (job) group_left max(process_cpu_usage) - time()"))
                .containsExactly("process_cpu_usage", "trustline_requests_total");
        assertThat(metricNames("label_values(trustline_requests_total, source_workload)"))
                .containsExactly("trustline_requests_total");
    }

    private static void assertNamesExported(List<String> queries) {
        for (String query : queries) {
            final Set<String> names = metricNames(query);
            assertThat(names).as("metrics in %s", query).isNotEmpty();
            assertThat(exported).as("metrics exported, for %s", query).containsAll(names);
        }
    }

    /** The metric names of a PromQL query (or a Grafana {@code label_values(metric, label)} query). */
    static Set<String> metricNames(String query) {
        String q = query.replaceAll("label_values\\(\\s*([a-zA-Z_:][a-zA-Z0-9_:]*)\\s*,[^)]*\\)", "$1");
        q = q.replaceAll("\"(\\\\.|[^\"\\\\])*\"", "\"\"") // string literals
                .replaceAll("\\{[^}]*}", " ") // label matchers
                .replaceAll("\\[[^]]*]", " ") // ranges
                .replaceAll("\\b(by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)", " ") // label lists
                .replaceAll("\\$\\w+", " "); // dashboard variables
        final Set<String> names = new TreeSet<>();
        final Matcher m = IDENTIFIER.matcher(q);
        while (m.find()) {
            final String word = m.group();
            final String rest = q.substring(m.end()).stripLeading();
            if (KEYWORDS.contains(word) || rest.startsWith("(") || Character.isDigit(word.charAt(0))) {
                continue;
            }
            if (m.start() > 0 && (Character.isDigit(q.charAt(m.start() - 1)) || q.charAt(m.start() - 1) == '.')) {
                continue; // 1e3, 0.5
            }
            names.add(word);
        }
        return names;
    }
}
