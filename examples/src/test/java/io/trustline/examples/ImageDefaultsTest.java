package io.trustline.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;

/**
 * The memory defaults a user gets from the images (Jib's configuration in this module's pom.xml) are the measured ones
 * (docs/performance.md, "Memory"), so they cannot silently regress: the sidecar's heap is capped and fixed, its flags
 * replace (not merge with) the other images' MaxRAMPercentage, every image caps glibc's malloc arenas, the bench
 * sidecars run with the same flags, and the README and the docs state them in the block a user copies. The event-loop
 * count is the sidecar config's {@code eventLoops} (one by default), not a flag of the image.
 */
class ImageDefaultsTest {

    /** The memory flags measured in docs/performance.md; the image may add to them, not drop one. */
    private static final List<String> SIDECAR_MEMORY_FLAGS = List.of(
            "-Xms48m",
            "-Xmx48m",
            "-Xmn16m",
            "-XX:+UseSerialGC",
            "-Xss512k",
            "-XX:MaxMetaspaceSize=128m",
            "-XX:ReservedCodeCacheSize=64m",
            "-XX:TrimNativeHeapInterval=10000",
            "-Dio.netty.allocator.type=pooled",
            "-Dio.netty.allocator.numDirectArenas=1",
            "-Dio.netty.allocator.numHeapArenas=1",
            "-Dio.netty.allocator.maxOrder=7");

    /** The pages that give the sidecar's flags to users, each in a fenced block of its own. */
    private static final List<String> DOCS_WITH_THE_FLAGS =
            List.of("docs/performance.md", "docs/deployment.md", "docs/sidecar.md", "README.md");

    private static final Pattern FENCED_BLOCK = Pattern.compile("(?ms)^```[a-z]*\n(.*?)^```");

    private static Element jib;

    @BeforeAll
    static void readPom() throws Exception {
        final Document pom = DocumentBuilderFactory.newInstance()
                .newDocumentBuilder()
                .parse(Path.of("pom.xml").toFile());
        for (Element plugin : descendants(pom.getDocumentElement(), "plugin")) {
            // The profiles name the plugin again, without configuration: the one with it is in pluginManagement.
            if ("jib-maven-plugin".equals(text(child(plugin, "artifactId")))
                    && child(plugin, "configuration") != null) {
                jib = plugin;
            }
        }
        assertThat(jib).as("jib-maven-plugin in examples/pom.xml").isNotNull();
    }

    @Test
    void sidecarImageRunsWithAFixedSmallHeapAndTheMeasuredMemoryFlags() {
        final Element flags = child(child(execution("image-sidecar"), "container"), "jvmFlags");
        assertThat(flags).as("image-sidecar's jvmFlags").isNotNull();
        // Without it Maven merges the list with the shared one, and -XX:MaxRAMPercentage=50 would come back.
        assertThat(flags.getAttribute("combine.self")).isEqualTo("override");
        final List<String> values = texts(flags, "jvmFlag");
        assertThat(values).containsAll(SIDECAR_MEMORY_FLAGS).doesNotHaveDuplicates();
        assertThat(values).noneMatch(flag -> flag.contains("RAMPercentage"));
        // The sidecar's config sizes its event loops; a flag here would only size Armeria's housekeeping group and
        // suggest to a reader that it is the knob.
        assertThat(values).noneMatch(flag -> flag.contains("numCommonWorkers"));
    }

    @Test
    void everyImageCapsTheMallocArenas() {
        final Map<String, String> environment = new TreeMap<>();
        final Element shared = child(child(jib, "configuration"), "container");
        children(child(shared, "environment")).forEach(e -> environment.put(e.getTagName(), text(e)));
        assertThat(environment).containsEntry("MALLOC_ARENA_MAX", "2");
        for (String id : List.of("image-ca", "image-sidecar", "image-shop")) {
            assertThat(child(child(execution(id), "container"), "environment"))
                    .as(id + " keeps the shared environment")
                    .isNull();
        }
    }

    @Test
    void benchSidecarsRunWithTheImageFlags() throws IOException {
        assertThat(Files.readString(Path.of("..", "bench/sidecar/jvm.sh")))
                .contains(SIDECAR_MEMORY_FLAGS)
                .contains("MALLOC_ARENA_MAX=2");
    }

    /**
     * Each page has one fenced block holding every flag: a flag dropped from that block fails, even where other
     * blocks (the measurements' "before" commands) quote some of the flags again.
     */
    @Test
    void theDocsGiveTheImageFlagsInOneBlock() throws IOException {
        for (String file : DOCS_WITH_THE_FLAGS) {
            final String text = Files.readString(Path.of("..", file));
            assertThat(FENCED_BLOCK.matcher(text).results().map(block -> block.group(1)))
                    .as(file + ": a fenced block with every flag")
                    .anyMatch(block -> SIDECAR_MEMORY_FLAGS.stream().allMatch(block::contains));
            assertThat(text).as(file).contains("MALLOC_ARENA_MAX=2").contains("eventLoops");
        }
    }

    private static Element execution(String id) {
        for (Element execution : descendants(jib, "execution")) {
            if (id.equals(text(child(execution, "id")))) {
                return child(execution, "configuration");
            }
        }
        throw new AssertionError("no Jib execution " + id);
    }

    private static List<Element> descendants(Element parent, String name) {
        final List<Element> found = new ArrayList<>();
        final var nodes = parent.getElementsByTagName(name);
        for (int i = 0; i < nodes.getLength(); i++) {
            found.add((Element) nodes.item(i));
        }
        return found;
    }

    private static List<Element> children(Element parent) {
        final List<Element> found = new ArrayList<>();
        if (parent == null) {
            return found;
        }
        for (Node n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element e) {
                found.add(e);
            }
        }
        return found;
    }

    private static Element child(Element parent, String name) {
        return children(parent).stream()
                .filter(e -> e.getTagName().equals(name))
                .findFirst()
                .orElse(null);
    }

    private static List<String> texts(Element parent, String name) {
        return children(parent).stream()
                .filter(e -> e.getTagName().equals(name))
                .map(ImageDefaultsTest::text)
                .toList();
    }

    private static String text(Element e) {
        return e == null ? null : e.getTextContent().trim();
    }
}
