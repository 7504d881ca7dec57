package io.trustline.examples.compose;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import io.trustline.sidecar.config.ConfigLoader;
import io.trustline.sidecar.config.SidecarConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * What can be checked of docker-compose.yml and the Kubernetes manifests without Docker or a cluster: they parse,
 * they have the shape the docs promise (a sidecar in each service's network namespace behind a root capture init
 * step, sidecars and apps under different users, apps calling by name, two inventory replicas, only the edge
 * published, Jaeger with OTLP), the sidecar configs load with the real config loader, and the copies of policies and
 * sidecar configs in the manifests are the files themselves. {@code docker compose config} itself needs Docker.
 */
class ExampleManifestsTest {

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private static final Path ROOT = Path.of("..");
    private static final Path COMPOSE = ROOT.resolve("docker-compose.yml");
    private static final Path KUBERNETES = Path.of("kubernetes");
    private static final List<String> SERVICES = List.of("frontend", "orders", "inventory");
    /** The compose services that own a network namespace (an app), each with its capture step and sidecar. */
    private static final Map<String, String> PODS =
            Map.of("frontend", "frontend", "orders", "orders", "inventory-1", "inventory", "inventory-2", "inventory");
    /** The sidecars' uid and gid, which the capture rules exempt; the apps run as the images' 65532. */
    private static final String PROXY_ID = "1337";

    private static final List<String> CAPTURE_ARGS =
            List.of("iptables", "--apply", "--proxy-uid", PROXY_ID, "--proxy-gid", PROXY_ID);
    /** A join token is {@code <16 hex>.<secret>}: none may be written into a manifest. */
    private static final Pattern TOKEN = Pattern.compile("\\b[0-9a-f]{16}\\.[A-Za-z0-9_-]{20,}");

    @Test
    void everyServiceHasASidecarInItsNetworkNamespaceAndOnlyTheEdgeIsPublished() throws IOException {
        final JsonNode services = composeServices();
        for (String pod : PODS.keySet()) {
            final JsonNode sidecar = services.get(pod + "-sidecar");
            assertThat(sidecar).as(pod + "-sidecar").isNotNull();
            assertThat(sidecar.path("network_mode").asText()).isEqualTo("service:" + pod);
            assertThat(sidecar.has("ports"))
                    .as(pod + "-sidecar publishes nothing")
                    .isFalse();
            assertThat(services.get(pod).path("command").toString()).contains("127.0.0.1:8080");
        }
        assertThat(services.get("frontend").get("ports").toString()).contains("${SHOP_PORT:-8080}:15006");
        assertThat(services.get("orders").has("ports")).isFalse();
        assertThat(services.get("inventory-1").has("ports")).isFalse();
        assertThat(services.get("inventory-2").has("ports")).isFalse();
        assertThat(services.get("ca").has("ports")).isFalse();
    }

    @Test
    void eachPodIsCapturedByARootInitStepThatItsSidecarWaitsFor() throws IOException {
        final JsonNode services = composeServices();
        for (String pod : PODS.keySet()) {
            final JsonNode capture = services.get(pod + "-capture");
            assertThat(capture).as(pod + "-capture").isNotNull();
            assertThat(capture.path("image").asText()).contains("trustline/trustline-sidecar:");
            assertThat(capture.path("network_mode").asText()).isEqualTo("service:" + pod);
            assertThat(capture.path("user").asText()).isEqualTo("0:0");
            assertThat(strings(capture.path("cap_add"))).containsExactly("NET_ADMIN");
            assertThat(strings(capture.path("command"))).isEqualTo(CAPTURE_ARGS);
            assertThat(capture.path("restart").asText()).isEqualTo("no");

            final JsonNode sidecar = services.get(pod + "-sidecar");
            assertThat(sidecar.path("user").asText()).isEqualTo(PROXY_ID + ":" + PROXY_ID);
            assertThat(sidecar.path("depends_on")
                            .path(pod + "-capture")
                            .path("condition")
                            .asText())
                    .isEqualTo("service_completed_successfully");
            // The app keeps the images' user, which the rules capture.
            assertThat(services.get(pod).has("user"))
                    .as(pod + " runs as the image's user")
                    .isFalse();
            assertThat(services.get(pod).has("cap_add")).isFalse();
        }
    }

    @Test
    void theAppsCallEachOtherByNameAndEveryRouteTakesOnlyTheServicePort() throws Exception {
        final JsonNode services = composeServices();
        for (String pod : PODS.keySet()) {
            assertThat(services.get(pod).path("command").toString())
                    .as(pod + " calls by name, not the outbound listener")
                    .doesNotContain("15001")
                    .doesNotContain("--outbound");
        }
        assertThat(strings(services.get("frontend").path("command"))).containsSequence("--orders", "orders:8080");
        assertThat(strings(services.get("orders").path("command"))).containsSequence("--inventory", "inventory:8080");
        for (String service : List.of("frontend", "orders")) {
            final SidecarConfig config =
                    new ConfigLoader(name -> null).load(Path.of("compose/sidecars/" + service + ".yaml"));
            assertThat(config.outbound().routes()).isNotEmpty();
            config.outbound()
                    .routes()
                    .forEach((name, route) -> assertThat(route.servicePort())
                            .as(service + " route " + name)
                            .isEqualTo(8080));
        }
    }

    @Test
    void inventoryRunsTwoReplicasUnderOneNameAndOrdersRoutesToEveryAddressOfIt() throws IOException {
        final JsonNode services = composeServices();
        for (String replica : List.of("inventory-1", "inventory-2")) {
            assertThat(strings(services.get(replica)
                            .path("networks")
                            .path("default")
                            .path("aliases")))
                    .as(replica + " answers to the name inventory")
                    .containsExactly("inventory");
            assertThat(services.get(replica + "-sidecar").path("volumes").toString())
                    .contains("compose/sidecars/inventory.yaml:/config/sidecar.yaml:ro");
        }
        assertThat(services.has("inventory")).as("no single inventory service").isFalse();
        final JsonNode route = YAML.readTree(
                        Path.of("compose/sidecars/orders.yaml").toFile())
                .path("outbound")
                .path("routes")
                .path("inventory");
        assertThat(route.has("address"))
                .as("orders' inventory route: one endpoint")
                .isFalse();
        assertThat(route.path("dns").path("name").asText()).isEqualTo("inventory");
        assertThat(route.path("dns").path("port").asInt()).isEqualTo(15006);
    }

    @Test
    void jaegerTakesOtlpAndServesItsUiAndTheSidecarsExportToIt() throws IOException {
        final JsonNode services = composeServices();
        final JsonNode jaeger = services.get("jaeger");
        // The public image by default; JAEGER_IMAGE names a locally built one where nothing can be pulled.
        assertThat(jaeger.path("image").asText()).startsWith("${JAEGER_IMAGE:-jaegertracing/all-in-one:");
        assertThat(jaeger.path("environment").path("COLLECTOR_OTLP_ENABLED").asText())
                .isEqualTo("true");
        assertThat(jaeger.get("ports").toString()).contains("${JAEGER_UI_PORT:-16686}:16686");
        for (Map.Entry<String, String> pod : PODS.entrySet()) {
            final JsonNode env = services.get(pod.getKey() + "-sidecar").path("environment");
            assertThat(env.path("OTEL_EXPORTER_OTLP_ENDPOINT").asText()).isEqualTo("http://jaeger:4317");
            assertThat(env.path("OTEL_SERVICE_NAME").asText()).isEqualTo(pod.getValue());
        }
    }

    @Test
    void joinTokensComeFromTheInitStepIntoOneVolumePerSidecar() throws IOException {
        final String text = Files.readString(COMPOSE);
        assertThat(TOKEN.matcher(text).find())
                .as("a join token written in the compose file")
                .isFalse();
        final JsonNode services = composeServices();
        final String init = services.get("ca-init").get("volumes").toString();
        for (String service : SERVICES) {
            assertThat(init).contains("identity-" + service + ":/identity/" + service);
        }
        // The sidecars' files go to their own user; the CA's stay with the images' user.
        assertThat(strings(services.get("ca-init").path("command")))
                .containsSequence("--owner", "65532:65532")
                .containsSequence("--identity-owner", PROXY_ID + ":" + PROXY_ID);
        for (Map.Entry<String, String> pod : PODS.entrySet()) {
            final String service = pod.getValue();
            final String mounts =
                    services.get(pod.getKey() + "-sidecar").get("volumes").toString();
            assertThat(mounts).contains("identity-" + service + ":/identity:ro");
            for (String other : SERVICES) {
                if (!other.equals(service)) {
                    assertThat(mounts).doesNotContain("identity-" + other);
                }
            }
        }
        assertThat(services.get("ca")
                        .path("depends_on")
                        .path("ca-init")
                        .path("condition")
                        .asText())
                .isEqualTo("service_completed_successfully");
    }

    @Test
    void everyFileTheComposeFileMountsExists() throws IOException {
        final JsonNode services = composeServices();
        final List<String> missing = new ArrayList<>();
        services.fields()
                .forEachRemaining(e -> e.getValue().path("volumes").forEach(v -> {
                    final String source = v.asText().split(":")[0];
                    if (source.startsWith("./") && !Files.exists(ROOT.resolve(source))) {
                        missing.add(e.getKey() + ": " + source);
                    }
                }));
        assertThat(missing).isEmpty();
    }

    /** Where a Compose CLI is installed ({@code docker compose} or {@code docker-compose}), it must accept the file. */
    @Test
    void composeAcceptsTheFileWhereItIsInstalled() throws Exception {
        final List<String> command = composeCommand();
        assumeTrue(
                command != null, "neither `docker compose` nor `docker-compose` is installed: compose config not run");
        final List<String> args = new ArrayList<>(command);
        args.addAll(List.of("-f", COMPOSE.toString(), "config", "-q"));
        final Process p = new ProcessBuilder(args).redirectErrorStream(true).start();
        final String output = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(String.join(" ", args) + "\n" + output).isZero();
    }

    private static List<String> composeCommand() {
        for (List<String> candidate : List.of(List.of("docker", "compose"), List.of("docker-compose"))) {
            try {
                final List<String> version = new ArrayList<>(candidate);
                version.add("version");
                final Process p =
                        new ProcessBuilder(version).redirectErrorStream(true).start();
                p.getInputStream().readAllBytes();
                if (p.waitFor(30, java.util.concurrent.TimeUnit.SECONDS) && p.exitValue() == 0) {
                    return candidate;
                }
            } catch (IOException | InterruptedException e) {
                // Not installed; try the next one.
            }
        }
        return null;
    }

    @ParameterizedTest
    @ValueSource(strings = {"frontend", "orders", "inventory"})
    void theSidecarConfigsLoadWithTheSidecarsOwnLoader(String service) throws Exception {
        final Path file = Path.of("compose/sidecars/" + service + ".yaml");
        final SidecarConfig config = new ConfigLoader(name -> null).load(file);
        assertThat(config.service()).isEqualTo(service);
        assertThat(config.spiffeId().toString()).isEqualTo("spiffe://example.org/ns/shop/sa/" + service);
        assertThat(config.identity().fromCa()).isTrue();
        assertThat(config.inbound().app().toString()).isEqualTo("127.0.0.1:8080");
        assertThat(config.admin().listen().isLoopback()).isTrue();
    }

    @Test
    void theKubernetesPoliciesAreThePolicyFiles() throws IOException {
        final Map<String, JsonNode> configMaps = configMaps();
        for (String service : SERVICES) {
            assertThat(configMaps
                            .get("policies-" + service)
                            .path("data")
                            .path(service + ".yaml")
                            .asText())
                    .as("policies-" + service)
                    .isEqualTo(Files.readString(Path.of("policies/" + service + "/" + service + ".yaml")));
            assertThat(configMaps
                            .get("sidecar-" + service)
                            .path("data")
                            .path("sidecar.yaml")
                            .asText())
                    .as("sidecar-" + service)
                    .isEqualTo(Files.readString(Path.of("compose/sidecars/" + service + ".yaml")));
        }
    }

    @Test
    void eachShopPodRunsItsAppWithTheSidecarAsSecondContainer() throws IOException {
        for (JsonNode doc : documents()) {
            if (!"Deployment".equals(doc.path("kind").asText())
                    || !SERVICES.contains(doc.path("metadata").path("name").asText())) {
                continue;
            }
            final String name = doc.path("metadata").path("name").asText();
            final JsonNode pod = doc.path("spec").path("template").path("spec");
            assertThat(pod.path("containers")).hasSize(2);
            assertThat(pod.path("containers").get(0).path("name").asText()).isEqualTo("app");
            assertThat(pod.path("containers").get(1).path("name").asText()).isEqualTo("sidecar");
            assertThat(pod.path("volumes").toString()).contains(name + "-join-token", "policies-" + name);
        }
        assertThat(documents())
                .filteredOn(d -> "Deployment".equals(d.path("kind").asText()))
                .extracting(d -> d.path("metadata").path("name").asText())
                .containsExactlyInAnyOrder("ca", "jaeger", "auth", "frontend", "orders", "inventory");
    }

    /**
     * The sidecar's memory request and limit leave room over what it was measured to hold under load with the image's
     * flags (167-187 MB RSS, docs/performance.md): a limit at the measured RSS gets the sidecar OOM-killed, and every
     * call of the pod with it.
     */
    @Test
    void eachShopSidecarIsGivenMoreMemoryThanItWasMeasuredToUse() throws IOException {
        final long measuredRssBytes = 187L * 1000 * 1000;
        int sidecars = 0;
        for (JsonNode doc : documents()) {
            if (!"Deployment".equals(doc.path("kind").asText())
                    || !SERVICES.contains(doc.path("metadata").path("name").asText())) {
                continue;
            }
            for (JsonNode c : doc.path("spec").path("template").path("spec").path("containers")) {
                if (!"sidecar".equals(c.path("name").asText())) {
                    continue;
                }
                sidecars++;
                final JsonNode resources = c.path("resources");
                assertThat(mebibytes(resources.path("requests").path("memory").asText()))
                        .as(
                                "%s sidecar's memory request",
                                doc.path("metadata").path("name").asText())
                        .isGreaterThanOrEqualTo(measuredRssBytes);
                assertThat(mebibytes(resources.path("limits").path("memory").asText()))
                        .as(
                                "%s sidecar's memory limit",
                                doc.path("metadata").path("name").asText())
                        .isGreaterThanOrEqualTo(measuredRssBytes * 13 / 10);
            }
        }
        assertThat(sidecars).isEqualTo(SERVICES.size());
    }

    private static long mebibytes(String quantity) {
        assertThat(quantity).as("a memory quantity in Mi").matches("[0-9]+Mi");
        return Long.parseLong(quantity.substring(0, quantity.length() - 2)) * 1024 * 1024;
    }

    @Test
    void eachShopPodCapturesItsTrafficInAnInitContainerAndRunsItsSidecarAsItsOwnUser() throws IOException {
        for (JsonNode doc : documents()) {
            if (!"Deployment".equals(doc.path("kind").asText())
                    || !SERVICES.contains(doc.path("metadata").path("name").asText())) {
                continue;
            }
            final String name = doc.path("metadata").path("name").asText();
            final JsonNode pod = doc.path("spec").path("template").path("spec");
            assertThat(pod.path("initContainers")).as(name).hasSize(1);
            final JsonNode init = pod.path("initContainers").get(0);
            assertThat(init.path("image").asText()).startsWith("trustline/trustline-sidecar:");
            assertThat(strings(init.path("args"))).isEqualTo(CAPTURE_ARGS);
            assertThat(init.path("securityContext").path("runAsUser").asInt(-1)).isZero();
            assertThat(strings(init.path("securityContext").path("capabilities").path("add")))
                    .containsExactly("NET_ADMIN");
            assertThat(strings(init.path("securityContext").path("capabilities").path("drop")))
                    .containsExactly("ALL");

            // The sidecar reads its 0440 identity files through the pod's fsGroup.
            assertThat(pod.path("securityContext").path("fsGroup").asText()).isEqualTo(PROXY_ID);
            assertThat(pod.path("volumes").toString()).contains("\"defaultMode\":288");

            final JsonNode app = pod.path("containers").get(0);
            final JsonNode sidecar = pod.path("containers").get(1);
            assertThat(sidecar.path("securityContext").path("runAsUser").asText())
                    .isEqualTo(PROXY_ID);
            assertThat(sidecar.path("securityContext").path("runAsGroup").asText())
                    .isEqualTo(PROXY_ID);
            assertThat(app.path("securityContext").path("runAsUser").asInt()).isEqualTo(65532);
            assertThat(app.path("securityContext").path("runAsGroup").asInt()).isEqualTo(65532);
            assertThat(app.path("args").toString())
                    .as(name + " calls by name")
                    .doesNotContain("15001")
                    .doesNotContain("--outbound");
        }
    }

    @Test
    void inventoryRunsTwoReplicasBehindAHeadlessService() throws IOException {
        final List<JsonNode> docs = documents();
        assertThat(docs)
                .filteredOn(d -> "Deployment".equals(d.path("kind").asText())
                        && "inventory".equals(d.path("metadata").path("name").asText()))
                .singleElement()
                .satisfies(
                        d -> assertThat(d.path("spec").path("replicas").asInt()).isEqualTo(2));
        // Headless: the name resolves to every ready pod's address, which orders' route (dns) balances over.
        assertThat(docs)
                .filteredOn(d -> "Service".equals(d.path("kind").asText())
                        && "inventory".equals(d.path("metadata").path("name").asText()))
                .singleElement()
                .satisfies(d ->
                        assertThat(d.path("spec").path("clusterIP").asText()).isEqualTo("None"));
    }

    @Test
    void theCaKeepsItsDataOnAPersistentVolumeAndNoSecretIsCommitted() throws IOException {
        final List<JsonNode> docs = documents();
        assertThat(docs).anySatisfy(d -> {
            assertThat(d.path("kind").asText()).isEqualTo("PersistentVolumeClaim");
            assertThat(d.path("metadata").path("name").asText()).isEqualTo("ca-data");
        });
        assertThat(docs).noneSatisfy(d -> assertThat(d.path("kind").asText()).isEqualTo("Secret"));
        try (Stream<Path> files = Files.list(KUBERNETES)) {
            for (Path f : files.toList()) {
                assertThat(TOKEN.matcher(Files.readString(f)).find())
                        .as(f.toString())
                        .isFalse();
            }
        }
    }

    /**
     * Trustline's images have no shell (examples/images/build-base.sh): a container of one that starts {@code sh}, or a
     * {@code kubectl exec} into one that does, fails on a cluster. They run their own commands, with arguments.
     */
    @Test
    void noTrustlineContainerRunsAShellAndNoExecIntoOneDoes() throws IOException {
        final List<JsonNode> containers = new ArrayList<>();
        for (JsonNode d : documents()) {
            final JsonNode pod = d.path("spec").path("template").path("spec");
            pod.path("initContainers").forEach(containers::add);
            pod.path("containers").forEach(containers::add);
        }
        assertThat(containers)
                .filteredOn(c -> c.path("image").asText().startsWith("trustline/"))
                .isNotEmpty()
                .allSatisfy(c -> assertThat(strings(c.path("command")))
                        .as(c.path("name").asText())
                        .isEmpty());
        try (Stream<Path> files = Files.list(KUBERNETES)) {
            for (Path f : files.toList()) {
                final String text = Files.readString(f);
                assertThat(Pattern.compile("exec\\b[^\\n]*--\\s*(\\\\\\s*)?(sh|bash)\\b")
                                .matcher(text)
                                .find())
                        .as(f.toString())
                        .isFalse();
                assertThat(text).as(f.toString()).doesNotContain("$(cat /app/jib-classpath-file)");
            }
        }
    }

    /** The compose file's services, read with SnakeYAML itself, which resolves the file's merge keys ({@code <<}). */
    private static JsonNode composeServices() throws IOException {
        final Object compose = new org.yaml.snakeyaml.Yaml().load(Files.readString(COMPOSE));
        return YAML.valueToTree(compose).get("services");
    }

    private static List<String> strings(JsonNode array) {
        final List<String> out = new ArrayList<>();
        array.forEach(e -> out.add(e.asText()));
        return out;
    }

    private static Map<String, JsonNode> configMaps() throws IOException {
        final Map<String, JsonNode> maps = new java.util.HashMap<>();
        for (JsonNode d : documents()) {
            if ("ConfigMap".equals(d.path("kind").asText())) {
                maps.put(d.path("metadata").path("name").asText(), d);
            }
        }
        return maps;
    }

    private static List<JsonNode> documents() throws IOException {
        final List<JsonNode> docs = new ArrayList<>();
        try (Stream<Path> files = Files.list(KUBERNETES)) {
            for (Path f :
                    files.filter(p -> p.toString().endsWith(".yaml")).sorted().toList()) {
                try (YAMLParser parser = new YAMLFactory().createParser(f.toFile())) {
                    YAML.readValues(parser, JsonNode.class).forEachRemaining(d -> {
                        if (d != null && !d.isNull() && !d.isMissingNode()) {
                            docs.add(d);
                        }
                    });
                }
            }
        }
        return docs;
    }
}
