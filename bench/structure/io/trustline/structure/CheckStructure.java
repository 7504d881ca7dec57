package io.trustline.structure;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
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
import java.util.stream.Stream;

/**
 * Prints the package cycles inside each Maven module (from jdeps on its compiled classes), the uses of
 * another module's {@code internal} packages, and the main source files longer than {@value #MAX_LINES}
 * lines. Exits 1 when it finds any, 2 when a module is not built. Run through {@code
 * bench/check-structure.sh} after a build.
 *
 * <p>The sidecar's {@code PackageCyclesTest} compiles this file as a test source and calls {@link
 * #classEdges}, {@link #packageGraph}, {@link #cycles} and {@link #describe}, so the build and this
 * script find cycles with the same code. It therefore needs nothing but the JDK.
 */
public final class CheckStructure {

    static final int MAX_LINES = 600;
    private static final int EXAMPLES_PER_EDGE = 3;

    public static void main(String[] args) throws IOException {
        Path root = Path.of(args.length > 0 ? args[0] : ".").toAbsolutePath().normalize();
        boolean found = false;
        boolean unbuilt = false;
        List<Path> modules;
        try (Stream<Path> s = Files.list(root)) {
            modules = s.filter(m ->
                            Files.isRegularFile(m.resolve("pom.xml")) && Files.isDirectory(m.resolve("src/main/java")))
                    .sorted()
                    .toList();
        }
        for (Path module : modules) {
            String name = module.getFileName().toString();
            Path classes = module.resolve("target/classes");
            if (!Files.isDirectory(classes)) {
                System.out.println(name + ": not built (expected " + root.relativize(classes)
                        + "; run ./mvnw -B -q -DskipTests package)");
                unbuilt = true;
                continue;
            }
            List<String[]> edges = classEdges(classes);
            found |= printCycles(name, packageGraph(edges));
            found |= printInternalUses(name, edges.stream().filter(e -> e[2] != null).toList());
        }
        found |= printLongFiles(root, modules);
        System.exit(unbuilt ? 2 : found ? 1 : 0);
    }

    /**
     * Class-to-class dependencies of one output directory on Trustline classes, as jdeps reports them: {from, to,
     * null} inside the directory, {from, to, where} on another module's class.
     */
    public static List<String[]> classEdges(Path classes) {
        ToolProvider jdeps = ToolProvider.findFirst("jdeps")
                .orElseThrow(() -> new IllegalStateException("no jdeps: run with a JDK, not a JRE"));
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int rc = jdeps.run(
                new PrintWriter(out), new PrintWriter(err), "-verbose:class", "-filter:none", classes.toString());
        if (rc != 0) {
            throw new IllegalStateException("jdeps failed on " + classes + ": " + err);
        }
        String archive = classes.getFileName().toString();
        List<String[]> edges = new ArrayList<>();
        for (String line : out.toString().split("\n")) {
            // "   a.b.From   -> c.d.To   classes"; another module's class is "not found" (no class path is given).
            String[] t = line.trim().split("\\s+");
            if (line.startsWith(" ") && t.length >= 4 && t[1].equals("->")) {
                String where = String.join(" ", List.of(t).subList(3, t.length));
                if (where.equals(archive)) {
                    edges.add(new String[] {t[0], t[2], null});
                } else if (t[2].startsWith("io.trustline.")) {
                    edges.add(new String[] {t[0], t[2], where});
                }
            }
        }
        return edges;
    }

    private static boolean printCycles(String module, Map<String, Map<String, Set<String>>> graph) {
        List<String> lines = describe(graph, cycles(graph));
        if (lines.isEmpty()) {
            System.out.println(module + ": no package cycles");
            return false;
        }
        lines.forEach(l -> System.out.println(l.startsWith(" ") ? l : module + ": " + l));
        return true;
    }

    /**
     * Package to package to the class dependencies behind the edge ({@code "From -> To"}), for the edges
     * inside one output directory (those of {@link #classEdges} without a {@code where}).
     */
    public static Map<String, Map<String, Set<String>>> packageGraph(List<String[]> classEdges) {
        Map<String, Map<String, Set<String>>> graph = new TreeMap<>();
        for (String[] e : classEdges) {
            if (e[2] != null) {
                continue;
            }
            String from = packageOf(e[0]);
            String to = packageOf(e[1]);
            graph.computeIfAbsent(from, k -> new TreeMap<>());
            graph.computeIfAbsent(to, k -> new TreeMap<>());
            if (!from.equals(to)) {
                graph.get(from)
                        .computeIfAbsent(to, k -> new TreeSet<>())
                        .add(simpleName(e[0]) + " -> " + simpleName(e[1]));
            }
        }
        return graph;
    }

    /** The strongly connected components with more than one package (Tarjan): each holds at least one cycle. */
    public static List<Set<String>> cycles(Map<String, Map<String, Set<String>>> graph) {
        List<Set<String>> cycles = new ArrayList<>();
        for (Set<String> component : new Tarjan(graph).components()) {
            if (component.size() > 1) {
                cycles.add(component);
            }
        }
        return cycles;
    }

    /**
     * Each cycle as a line {@code package cycle among [a, b]}, then one indented line per edge inside it with
     * the class dependencies that close it ({@code "  a -> b: From -> To"}); empty when there is no cycle.
     */
    public static List<String> describe(Map<String, Map<String, Set<String>>> graph, List<Set<String>> cycles) {
        List<String> lines = new ArrayList<>();
        for (Set<String> cycle : cycles) {
            lines.add("package cycle among " + cycle);
            for (String from : cycle) {
                graph.get(from).forEach((to, classEdges) -> {
                    if (cycle.contains(to)) {
                        List<String> ex = new ArrayList<>(classEdges);
                        String more = ex.size() > EXAMPLES_PER_EDGE ? ", ... (" + ex.size() + " in all)" : "";
                        lines.add("  " + from + " -> " + to + ": "
                                + String.join(", ", ex.subList(0, Math.min(EXAMPLES_PER_EDGE, ex.size()))) + more);
                    }
                });
            }
        }
        return lines;
    }

    /** A module's {@code internal} packages are not an API: another module must not depend on them. */
    private static boolean printInternalUses(String module, List<String[]> foreignEdges) {
        Set<String> uses = new TreeSet<>();
        for (String[] e : foreignEdges) {
            if (e[1].contains(".internal.")) {
                uses.add(e[0] + " -> " + e[1]);
            }
        }
        if (uses.isEmpty()) {
            System.out.println(module + ": no use of another module's internal packages");
            return false;
        }
        System.out.println(module + ": uses another module's internal packages:");
        uses.forEach(u -> System.out.println("  " + u));
        return true;
    }

    private static boolean printLongFiles(Path root, List<Path> modules) throws IOException {
        Map<String, Long> longFiles = new TreeMap<>();
        for (Path module : modules) {
            try (Stream<Path> files = Files.walk(module.resolve("src/main/java"))) {
                for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
                    long lines;
                    try (Stream<String> l = Files.lines(f)) {
                        lines = l.count();
                    }
                    if (lines > MAX_LINES) {
                        longFiles.put(root.relativize(f).toString(), lines);
                    }
                }
            }
        }
        if (longFiles.isEmpty()) {
            System.out.println("main classes: none over " + MAX_LINES + " lines");
            return false;
        }
        System.out.println("main classes over " + MAX_LINES + " lines:");
        longFiles.forEach((f, n) -> System.out.println("  " + f + ": " + n));
        return true;
    }

    private static String packageOf(String className) {
        int dot = className.lastIndexOf('.');
        return dot < 0 ? "" : className.substring(0, dot);
    }

    private static String simpleName(String className) {
        return className.substring(className.lastIndexOf('.') + 1);
    }

    /** Tarjan's strongly connected components: every package cycle is inside one component. */
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
                Set<String> component = new TreeSet<>();
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
