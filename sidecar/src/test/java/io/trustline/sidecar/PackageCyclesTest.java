package io.trustline.sidecar;

import static org.assertj.core.api.Assertions.assertThat;

import io.trustline.structure.CheckStructure;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Keeps the sidecar's packages free of cycles, so the wall is kept by the build rather than by a script someone must
 * remember. The dependencies are jdeps's, read from the compiled main classes: stages depend on {@code request},
 * {@code refusal} and {@code metrics}, never on each other or on telemetry. The cycle finding is {@code
 * bench/check-structure.sh}'s own ({@link CheckStructure}, compiled here as a test source), so the two cannot
 * disagree.
 */
class PackageCyclesTest {

    @Test
    void sidecarPackagesHaveNoCycle() throws Exception {
        final Map<String, Map<String, Set<String>>> graph =
                CheckStructure.packageGraph(CheckStructure.classEdges(mainClasses()));

        assertThat(graph).as("packages found by jdeps").containsKeys("io.trustline.sidecar.request");
        assertThat(CheckStructure.describe(graph, CheckStructure.cycles(graph)))
                .as("package cycles")
                .isEmpty();
    }

    @Test
    void findsACycleThatClosesThroughThreePackages() {
        final Map<String, Map<String, Set<String>>> graph = CheckStructure.packageGraph(List.of(
                edge("a.Proxy", "b.Refusal"),
                edge("b.Handler", "c.Request"),
                edge("c.Request", "a.Proxy"),
                edge("c.Request", "d.Leaf")));

        assertThat(CheckStructure.cycles(graph)).containsExactly(Set.of("a", "b", "c"));
        assertThat(CheckStructure.describe(graph, CheckStructure.cycles(graph)))
                .contains("package cycle among [a, b, c]", "  b -> c: Handler -> Request");
    }

    @Test
    void findsNoCycleInALayeredGraph() {
        final Map<String, Map<String, Set<String>>> graph = CheckStructure.packageGraph(List.of(
                edge("telemetry.Telemetry", "request.Outcome"),
                edge("stage.Service", "request.Outcome"),
                edge("request.Outcome", "refusal.Refusal")));

        assertThat(CheckStructure.cycles(graph)).isEmpty();
    }

    @Test
    void ignoresDependenciesOnAnotherModule() {
        final Map<String, Map<String, Set<String>>> graph = CheckStructure.packageGraph(
                List.of(edge("a.Proxy", "b.Refusal"), new String[] {"b.Refusal", "a.Proxy", "trustline-ca.jar"}));

        assertThat(CheckStructure.cycles(graph)).isEmpty();
    }

    /** A class dependency inside the directory jdeps read. */
    private static String[] edge(String fromClass, String toClass) {
        return new String[] {fromClass, toClass, null};
    }

    private static Path mainClasses() throws URISyntaxException {
        final Path classes = Path.of(Sidecar.class
                .getProtectionDomain()
                .getCodeSource()
                .getLocation()
                .toURI());
        assertThat(Files.isDirectory(classes))
                .as("compiled main classes at %s", classes)
                .isTrue();
        return classes;
    }
}
