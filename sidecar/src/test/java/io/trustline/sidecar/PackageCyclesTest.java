package io.trustline.sidecar;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.spi.ToolProvider;
import org.junit.jupiter.api.Test;

/**
 * Keeps the sidecar's packages free of cycles, so the wall is kept by the build rather than by a script someone must
 * remember ({@code bench/check-structure.sh} prints the same, for every module). The dependencies are jdeps's, read
 * from the compiled main classes: stages depend on {@code request}, {@code refusal} and {@code metrics}, never on
 * each other or on telemetry.
 */
class PackageCyclesTest {

    @Test
    void sidecarPackagesHaveNoCycle() throws Exception {
        final Map<String, Map<String, Set<String>>> graph = packageGraph(mainClasses());

        assertThat(graph).as("packages found by jdeps").containsKeys("io.trustline.sidecar.request");
        assertThat(describe(graph, cycles(graph))).as("package cycles").isEmpty();
    }

    @Test
    void findsACycleThatClosesThroughThreePackages() {
        final Map<String, Map<String, Set<String>>> graph = new TreeMap<>();
        edge(graph, "a.Proxy", "b.Refusal");
        edge(graph, "b.Handler", "c.Request");
        edge(graph, "c.Request", "a.Proxy");
        edge(graph, "c.Request", "d.Leaf");

        assertThat(cycles(graph)).containsExactly(Set.of("a", "b", "c"));
        assertThat(describe(graph, cycles(graph))).contains("  b -> c: Handler -> Request");
    }

    @Test
    void findsNoCycleInALayeredGraph() {
        final Map<String, Map<String, Set<String>>> graph = new TreeMap<>();
        edge(graph, "telemetry.Telemetry", "request.Outcome");
        edge(graph, "stage.Service", "request.Outcome");
        edge(graph, "request.Outcome", "refusal.Refusal");

        assertThat(cycles(graph)).isEmpty();
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

    /** Package to package to the class dependencies behind the edge, for classes inside {@code classes} only. */
    private static Map<String, Map<String, Set<String>>> packageGraph(Path classes) {
        final ToolProvider jdeps = ToolProvider.findFirst("jdeps").orElseThrow();
        final StringWriter out = new StringWriter();
        final StringWriter err = new StringWriter();
        final int rc = jdeps.run(
                new PrintWriter(out), new PrintWriter(err), "-verbose:class", "-filter:none", classes.toString());
        assertThat(rc).as("jdeps exit code; stderr: %s", err).isZero();

        final String archive = classes.getFileName().toString();
        final Map<String, Map<String, Set<String>>> graph = new TreeMap<>();
        for (String line : out.toString().split("\n")) {
            // "   a.b.From   -> c.d.To   classes": only the lines whose target is in the same directory.
            final String[] t = line.trim().split("\\s+");
            if (line.startsWith(" ") && t.length == 4 && t[1].equals("->") && t[3].equals(archive)) {
                edge(graph, t[0], t[2]);
            }
        }
        return graph;
    }

    private static void edge(Map<String, Map<String, Set<String>>> graph, String fromClass, String toClass) {
        final String from = packageOf(fromClass);
        final String to = packageOf(toClass);
        graph.computeIfAbsent(from, k -> new TreeMap<>());
        graph.computeIfAbsent(to, k -> new TreeMap<>());
        if (!from.equals(to)) {
            graph.get(from)
                    .computeIfAbsent(to, k -> new TreeSet<>())
                    .add(simpleName(fromClass) + " -> " + simpleName(toClass));
        }
    }

    /** The strongly connected components with more than one package (Tarjan): each holds at least one cycle. */
    private static List<Set<String>> cycles(Map<String, Map<String, Set<String>>> graph) {
        final List<Set<String>> cycles = new ArrayList<>();
        for (Set<String> component : new Tarjan(graph).components()) {
            if (component.size() > 1) {
                cycles.add(component);
            }
        }
        return cycles;
    }

    private static List<String> describe(Map<String, Map<String, Set<String>>> graph, List<Set<String>> cycles) {
        final List<String> lines = new ArrayList<>();
        for (Set<String> cycle : cycles) {
            lines.add("package cycle among " + cycle);
            for (String from : cycle) {
                graph.get(from).forEach((to, classEdges) -> {
                    if (cycle.contains(to)) {
                        lines.add("  " + from + " -> " + to + ": " + String.join(", ", classEdges));
                    }
                });
            }
        }
        return lines;
    }

    private static String packageOf(String className) {
        final int dot = className.lastIndexOf('.');
        return dot < 0 ? "" : className.substring(0, dot);
    }

    private static String simpleName(String className) {
        return className.substring(className.lastIndexOf('.') + 1);
    }

    private static final class Tarjan {

        private final Map<String, Map<String, Set<String>>> graph;
        private final Map<String, Integer> index = new HashMap<>();
        private final Map<String, Integer> low = new HashMap<>();
        private final Deque<String> stack = new ArrayDeque<>();
        private final Set<String> onStack = new TreeSet<>();
        private final List<Set<String>> components = new ArrayList<>();

        Tarjan(Map<String, Map<String, Set<String>>> graph) {
            this.graph = graph;
        }

        List<Set<String>> components() {
            for (String v : graph.keySet()) {
                if (!index.containsKey(v)) {
                    visit(v);
                }
            }
            return components;
        }

        private void visit(String v) {
            index.put(v, index.size());
            low.put(v, index.get(v));
            stack.push(v);
            onStack.add(v);
            for (String w : graph.get(v).keySet()) {
                if (!index.containsKey(w)) {
                    visit(w);
                    low.put(v, Math.min(low.get(v), low.get(w)));
                } else if (onStack.contains(w)) {
                    low.put(v, Math.min(low.get(v), index.get(w)));
                }
            }
            if (low.get(v).equals(index.get(v))) {
                final Set<String> component = new TreeSet<>();
                String w;
                do {
                    w = stack.pop();
                    onStack.remove(w);
                    component.add(w);
                } while (!w.equals(v));
                components.add(component);
            }
        }
    }
}
