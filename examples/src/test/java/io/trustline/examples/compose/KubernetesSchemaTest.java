package io.trustline.examples.compose;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import java.io.IOException;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The Kubernetes manifests against the Kubernetes API's own object model (fabric8's generated classes): every field
 * name must be one the API defines for that kind, at that place, with a value of the right type. The models accept
 * unknown fields into a side map, so the test walks each object and fails on any it finds there. Not checked here:
 * required fields and value constraints (the API server's validation), the Kustomization file (not an API object),
 * and anything that needs a cluster (admission, RBAC in effect, image pulls).
 */
class KubernetesSchemaTest {

    private static final Path KUBERNETES = Path.of("kubernetes");
    private static final Map<String, Class<?>> KINDS = Map.of(
            "v1/Namespace", Namespace.class,
            "v1/ConfigMap", ConfigMap.class,
            "v1/Service", Service.class,
            "v1/ServiceAccount", ServiceAccount.class,
            "v1/PersistentVolumeClaim", PersistentVolumeClaim.class,
            "apps/v1/Deployment", Deployment.class,
            "batch/v1/Job", Job.class,
            "rbac.authorization.k8s.io/v1/Role", Role.class,
            "rbac.authorization.k8s.io/v1/RoleBinding", RoleBinding.class);

    private static final YAMLMapper YAML = new YAMLMapper();
    private static final ObjectMapper STRICT = JsonMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .build();

    @Test
    void everyManifestUsesOnlyFieldsTheKubernetesApiDefines() throws IOException {
        final List<String> problems = new ArrayList<>();
        int documents = 0;
        try (Stream<Path> files = Files.list(KUBERNETES)) {
            for (Path file :
                    files.filter(f -> f.toString().endsWith(".yaml")).sorted().toList()) {
                if (file.getFileName().toString().equals("kustomization.yaml")) {
                    continue;
                }
                for (JsonNode doc : YAML.readValues(new YAMLFactory().createParser(file.toFile()), JsonNode.class)
                        .readAll()) {
                    if (doc == null || doc.isNull()) {
                        continue;
                    }
                    documents++;
                    final String kind = doc.path("apiVersion").asText() + "/"
                            + doc.path("kind").asText();
                    final String where = file.getFileName() + " " + kind + " "
                            + doc.path("metadata").path("name").asText();
                    final Class<?> type = KINDS.get(kind);
                    if (type == null) {
                        problems.add(where + ": a kind this test does not know");
                        continue;
                    }
                    try {
                        unknownFields(STRICT.treeToValue(doc, type), "", problems, where, new IdentityHashMap<>());
                    } catch (JsonProcessingException e) {
                        problems.add(where + ": " + e.getOriginalMessage());
                    }
                }
            }
        }
        assertThat(documents).isGreaterThanOrEqualTo(20);
        assertThat(problems).isEmpty();
    }

    @Test
    void aMisspelledFieldIsFound() throws IOException {
        final JsonNode doc = YAML.readTree("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\n"
                + "spec:\n  replicas: 1\n  template:\n    spec:\n      containers:\n"
                + "        - name: app\n          image: app\n          imagePullPolicyy: Never\n");
        final List<String> problems = new ArrayList<>();
        unknownFields(STRICT.treeToValue(doc, Deployment.class), "", problems, "x", new IdentityHashMap<>());
        assertThat(problems).singleElement().asString().contains("imagePullPolicyy");
    }

    /** Walks fabric8 model objects and reports every entry of their additionalProperties maps. */
    private static void unknownFields(
            Object value, String path, List<String> problems, String where, Map<Object, Boolean> seen) {
        if (value == null || seen.put(value, Boolean.TRUE) != null) {
            return;
        }
        if (value instanceof Collection<?> items) {
            int i = 0;
            for (Object item : items) {
                unknownFields(item, path + "[" + i++ + "]", problems, where, seen);
            }
            return;
        }
        if (value instanceof Map<?, ?> map) {
            map.forEach((k, v) -> unknownFields(v, path + "." + k, problems, where, seen));
            return;
        }
        if (!value.getClass().getName().startsWith("io.fabric8.kubernetes.api.model")) {
            return;
        }
        for (Method m : value.getClass().getMethods()) {
            if (m.getParameterCount() != 0 || !m.getName().startsWith("get") || m.getDeclaringClass() == Object.class) {
                continue;
            }
            final Object child;
            try {
                child = m.invoke(value);
            } catch (ReflectiveOperationException e) {
                continue;
            }
            if (m.getName().equals("getAdditionalProperties")) {
                ((Map<?, ?>) child).keySet().forEach(k -> problems.add(where + ": unknown field " + path + "." + k));
            } else {
                unknownFields(child, path + "." + decapitalize(m.getName().substring(3)), problems, where, seen);
            }
        }
    }

    private static String decapitalize(String s) {
        return s.isEmpty() ? s : Character.toLowerCase(s.charAt(0)) + s.substring(1);
    }
}
