package io.trustline.sidecar.config;

import static java.util.Objects.requireNonNull;

import io.trustline.policy.error.PolicyError;
import io.trustline.policy.yaml.Location;
import io.trustline.policy.yaml.Problems;
import io.trustline.policy.yaml.YamlDocuments;
import io.trustline.policy.yaml.YamlNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Reads {@code sidecar.yaml} with the policy module's located YAML reader, so the sidecar's config and the policies
 * report mistakes the same way: every problem of the file in one run, each as {@code file:line:column: message},
 * unknown keys with "did you mean". Environment variables may be used anywhere as {@code ${VAR}} or {@code
 * ${VAR:-default}}; they are substituted in the text before parsing (so a column after a substitution refers to the
 * original line only approximately). Relative paths are resolved against the config file's directory.
 */
public final class ConfigLoader {

    private static final Pattern ENV_REF = Pattern.compile("\\$\\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?}");

    private final Function<String, String> environment;

    public ConfigLoader() {
        this(System::getenv);
    }

    /** Uses {@code environment} to look variables up (tests pass a map). */
    public ConfigLoader(Function<String, String> environment) {
        this.environment = environment;
    }

    /** Reads and checks {@code file}; throws with every problem found. */
    public SidecarConfig load(Path file) throws ConfigException {
        final String text;
        try {
            text = Files.readString(file);
        } catch (IOException e) {
            throw new ConfigException(file + ": " + FileReadErrors.describe(file, e));
        }
        return parse(file, text);
    }

    /** Parses {@code text} as if read from {@code file} (used for error locations and relative paths). */
    public SidecarConfig parse(Path file, String text) throws ConfigException {
        final Problems unset = new Problems(file.toString());
        final String substituted = substitute(text, unset);
        final Problems problems = new Problems(file.toString());
        final List<YamlNode> docs = YamlDocuments.read(substituted, problems);
        SidecarConfig config = null;
        if (docs.size() > 1) {
            problems.add(docs.get(1).location(), "a second document (expected: one sidecar.yaml document, no '---')");
        } else if (docs.isEmpty() && problems.count() == 0) {
            problems.add(new Location(1, 1), "the config file is empty");
        } else if (!docs.isEmpty()) {
            // An absolute path to a file always has a parent.
            final Path baseDir = requireNonNull(file.toAbsolutePath().getParent(), "parent of the config file");
            config = new SidecarConfigReader(new ConfigValues(problems, baseDir)).read(docs.get(0));
        }
        if (problems.count() > 0 || unset.count() > 0 || config == null) {
            // A line with an unset variable was read with the reference left in place; what else is wrong with that
            // line follows from it, so only the variable is reported there.
            final Set<Integer> unsetLines =
                    unset.errors().stream().map(PolicyError::line).collect(Collectors.toSet());
            throw new ConfigException(Stream.concat(
                            unset.errors().stream(),
                            problems.errors().stream().filter(e -> !unsetLines.contains(e.line())))
                    .sorted()
                    .map(PolicyError::toString)
                    .toList());
        }
        return config;
    }

    /** Replaces {@code ${VAR}} references line by line; an unset variable without a default is a located problem. */
    private String substitute(String text, Problems problems) {
        final String[] lines = text.split("\n", -1);
        final StringBuilder out = new StringBuilder(text.length());
        for (int i = 0; i < lines.length; i++) {
            final Matcher m = ENV_REF.matcher(lines[i]);
            final StringBuilder sb = new StringBuilder();
            while (m.find()) {
                String value = environment.apply(m.group(1));
                if (value == null) {
                    value = m.group(2);
                }
                if (value == null) {
                    problems.add(
                            new Location(i + 1, m.start() + 1),
                            "environment variable " + m.group(1) + " is not set (write ${" + m.group(1)
                                    + ":-default} for a default)");
                    value = m.group();
                }
                m.appendReplacement(sb, Matcher.quoteReplacement(value));
            }
            m.appendTail(sb);
            out.append(sb);
            if (i < lines.length - 1) {
                out.append('\n');
            }
        }
        return out.toString();
    }
}
