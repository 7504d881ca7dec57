package io.trustline.sidecar.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import javax.tools.Diagnostic;
import javax.tools.DiagnosticCollector;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.SimpleJavaFileObject;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The pipelines' slots are pinned by types: wiring that hands any stage to another's slot does not compile. Compiles,
 * with the test's own class path, one method per pair of slots with the two arguments swapped, and one method with
 * the right wiring; only the right one may compile.
 */
class StageSlotsTest {

    private static final List<String> INBOUND_SLOTS = List.of(
            "Stage<io.trustline.sidecar.telemetry.TelemetryService>",
            "Stage<io.trustline.sidecar.overload.ConcurrencyLimitingService>",
            "Stage<io.trustline.sidecar.inbound.PeerIdentityService>",
            "Stage<io.trustline.sidecar.inbound.RequestHygieneService>",
            "Stage<InboundPipeline.PeerRateLimits>",
            "Stage<io.trustline.sidecar.edge.RequestLimitsService>",
            "Stage<io.trustline.sidecar.edge.CorsService>",
            "Stage<io.trustline.sidecar.jwt.JwtAuthenticationService>",
            "Stage<io.trustline.sidecar.inbound.AuthorizationService>",
            "Stage<io.trustline.sidecar.edge.DeprecationService>",
            "Stage<InboundPipeline.UserRateLimits>");

    private static final List<String> OUTBOUND_SLOTS = List.of(
            "Stage<io.trustline.sidecar.telemetry.TelemetryService>",
            "Stage<io.trustline.sidecar.overload.ConcurrencyLimitingService>");

    @TempDir
    Path out;

    @Test
    void swappingAnyTwoInboundSlotsDoesNotCompile() throws Exception {
        assertOnlyTheRightWiringCompiles("InboundPipeline", INBOUND_SLOTS);
    }

    @Test
    void swappingTheOutboundSlotsDoesNotCompile() throws Exception {
        assertOnlyTheRightWiringCompiles("OutboundPipeline", OUTBOUND_SLOTS);
    }

    private void assertOnlyTheRightWiringCompiles(String pipeline, List<String> slots) throws Exception {
        final StringBuilder src = new StringBuilder("package io.trustline.sidecar.pipeline;\nclass Wiring {\n");
        final List<String> params = new ArrayList<>();
        for (int i = 0; i < slots.size(); i++) {
            params.add(slots.get(i) + " s" + i);
        }
        final String signature = String.join(", ", params);
        // Line 3: the right wiring; then one line per swapped pair.
        src.append(method(pipeline, "right", signature, order(slots.size(), -1, -1)));
        final List<String> swaps = new ArrayList<>();
        for (int a = 0; a < slots.size(); a++) {
            for (int b = a + 1; b < slots.size(); b++) {
                swaps.add("swap_" + a + "_" + b);
                src.append(method(pipeline, "swap_" + a + "_" + b, signature, order(slots.size(), a, b)));
            }
        }
        src.append("}\n");

        final JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        final DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
        final JavaFileObject file =
                new SimpleJavaFileObject(URI.create("string:///Wiring.java"), JavaFileObject.Kind.SOURCE) {
                    @Override
                    public CharSequence getCharContent(boolean ignoreEncodingErrors) {
                        return src;
                    }
                };
        final List<String> options = List.of(
                "-classpath",
                System.getProperty("java.class.path") + File.pathSeparator + classesOfThisModule(),
                "-d",
                out.toString(),
                "-Xmaxerrs",
                "10000",
                "-proc:none");
        javac.getTask(null, null, diagnostics, options, null, List.of(file)).call();

        final Set<Long> failedLines = new TreeSet<>();
        for (Diagnostic<? extends JavaFileObject> d : diagnostics.getDiagnostics()) {
            if (d.getKind() == Diagnostic.Kind.ERROR) {
                failedLines.add(d.getLineNumber());
            }
        }
        assertThat(failedLines)
                .as("the right wiring compiles: %s", diagnostics.getDiagnostics())
                .doesNotContain(3L);
        final Set<Long> swapLines = new TreeSet<>();
        for (int i = 0; i < swaps.size(); i++) {
            swapLines.add(4L + i);
        }
        assertThat(failedLines).as("every swapped wiring fails").containsExactlyElementsOf(swapLines);
    }

    private static String method(String pipeline, String name, String signature, List<Integer> order) {
        final List<String> args = new ArrayList<>();
        for (int i : order) {
            args.add("s" + i);
        }
        return String.format(
                Locale.ROOT,
                "static %s.Stages %s(%s) { return new %s.Stages(%s); }\n",
                pipeline,
                name,
                signature,
                pipeline,
                String.join(", ", args));
    }

    private static List<Integer> order(int n, int a, int b) {
        final List<Integer> order = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            order.add(i == a ? b : i == b ? a : i);
        }
        return order;
    }

    /** Where the main classes are, in case the test class path is a manifest-only jar. */
    private static String classesOfThisModule() throws Exception {
        return Path.of(Stage.class
                        .getProtectionDomain()
                        .getCodeSource()
                        .getLocation()
                        .toURI())
                .toString();
    }
}
