package io.trustline.sidecar.config;

import static org.assertj.core.api.Assertions.assertThat;

import io.trustline.policy.yaml.Problems;
import io.trustline.policy.yaml.YamlDocuments;
import io.trustline.policy.yaml.YamlMap;
import io.trustline.policy.yaml.YamlNode;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Every key {@code sidecar.yaml} accepts appears in the configuration reference of docs/sidecar.md. The accepted keys
 * come from the code: each section accepts exactly its record's components ({@link ConfigValues#keys}), so walking the
 * records from {@link SidecarConfig} lists them all. The reference documents a key in one of its YAML blocks, or, for
 * the per-listener limits, as a row of the limits table.
 */
class ConfigReferenceDocsTest {

    private static final Path DOC = Path.of("..", "docs", "sidecar.md");
    private static final Pattern YAML_BLOCK = Pattern.compile("```yaml\n(.*?)```", Pattern.DOTALL);
    private static final Pattern TABLE_KEY = Pattern.compile("(?m)^\\| `([A-Za-z.]+)` \\|");
    private static final Pattern LIMITS_KEY = Pattern.compile("(inbound|outbound)\\.limits\\.(.+)");

    @Test
    void everyAcceptedKeyIsInTheConfigurationReference() throws Exception {
        final String reference = section(Files.readString(DOC), "## Configuration reference");
        final Set<String> documented = yamlPaths(reference);
        final Set<String> limitsRows = new LinkedHashSet<>();
        final Matcher rows = TABLE_KEY.matcher(section(reference, "**`limits`**"));
        while (rows.find()) {
            limitsRows.add(rows.group(1));
        }
        final List<String> missing = new ArrayList<>();
        for (String key : acceptedKeys()) {
            final Matcher limits = LIMITS_KEY.matcher(key);
            final boolean inTable = limits.matches() && limitsRows.contains(limits.group(2));
            if (!inTable && documented.stream().noneMatch(d -> documents(d, key))) {
                missing.add(key);
            }
        }
        assertThat(missing)
                .as("keys sidecar.yaml accepts but docs/sidecar.md does not show")
                .isEmpty();
    }

    @Test
    void theWalkFindsKeysAtEveryDepth() {
        // Guards the test itself: an empty or shallow walk would pass trivially.
        assertThat(acceptedKeys())
                .contains(
                        "service",
                        "identity.certFile",
                        "inbound.limits.slowClients.minBodyRate",
                        "outbound.routes.<name>.identity",
                        "accessLog.securityEvents.window",
                        "shutdown.drainTimeout");
    }

    /** Whether the documented path {@code d} shows {@code key} ({@code <name>} stands for any route name). */
    private static boolean documents(String d, String key) {
        final String regex = Pattern.quote(key).replace("<name>", "\\E[^.]+\\Q");
        return d.matches(regex) || d.matches(regex + "\\..*");
    }

    static List<String> acceptedKeys() {
        final List<String> keys = new ArrayList<>();
        walk(SidecarConfig.class, "", keys);
        return keys;
    }

    private static void walk(Class<? extends Record> type, String prefix, List<String> out) {
        for (RecordComponent c : type.getRecordComponents()) {
            final String key = prefix + c.getName();
            final Class<? extends Record> section = recordOf(c.getType());
            final Class<? extends Record> mapValue = mapValueRecord(c.getGenericType());
            if (section != null) {
                walk(section, key + '.', out);
            } else if (mapValue != null) {
                walk(mapValue, key + ".<name>.", out);
            } else {
                out.add(key);
            }
        }
    }

    /** A section: a record of this package (values such as HostPort and SpiffeId are records too, but scalars). */
    @SuppressWarnings("unchecked")
    private static Class<? extends Record> recordOf(Class<?> type) {
        return type.isRecord() && type.getPackage() == SidecarConfig.class.getPackage()
                ? (Class<? extends Record>) type
                : null;
    }

    private static Class<? extends Record> mapValueRecord(Type type) {
        if (type instanceof ParameterizedType p && p.getRawType() == Map.class) {
            final Type value = p.getActualTypeArguments()[1];
            return value instanceof Class<?> c ? recordOf(c) : null;
        }
        return null;
    }

    /** The text from {@code heading} to the next heading of the same or a higher level. */
    private static String section(String text, String heading) {
        final int start = text.indexOf(heading);
        assertThat(start).as("heading %s in %s", heading, DOC).isNotNegative();
        final String level = heading.startsWith("#") ? heading.substring(0, heading.indexOf(' ') + 1) : "## ";
        int end = text.length();
        final Matcher next =
                Pattern.compile("(?m)^#{2," + (level.length() - 1) + "} ").matcher(text);
        if (next.find(start + heading.length())) {
            end = next.start();
        }
        return text.substring(start, end);
    }

    private static Set<String> yamlPaths(String text) {
        final Set<String> paths = new LinkedHashSet<>();
        final Matcher blocks = YAML_BLOCK.matcher(text);
        while (blocks.find()) {
            final Problems problems = new Problems(DOC.toString());
            for (YamlNode doc : YamlDocuments.read(blocks.group(1), problems)) {
                flatten(doc, "", paths);
            }
            assertThat(problems.errors()).as("YAML blocks of %s", DOC).isEmpty();
        }
        return paths;
    }

    private static void flatten(YamlNode node, String prefix, Set<String> out) {
        if (node instanceof YamlMap m) {
            for (YamlMap.Entry e : m.entries().values()) {
                final String key = prefix + e.key();
                out.add(key);
                flatten(e.value(), key + '.', out);
            }
        }
    }
}
