package io.trustline.sidecar.config;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.trustline.ca.SpiffeId;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;

/**
 * Reads {@code sidecar.yaml}. Environment variables may be used anywhere as {@code ${VAR}} or {@code ${VAR:-default}};
 * they are substituted in the text before parsing (so a column after a substitution refers to the original line
 * only approximately). Relative paths are resolved against the config file's directory. Unknown fields, wrong types
 * and invalid values are errors reported as {@code file:line:column: message}.
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

    public SidecarConfig load(Path file) throws ConfigException {
        final String text;
        try {
            text = Files.readString(file);
        } catch (IOException e) {
            throw new ConfigException(
                    file + ": cannot read the config file (" + e.getClass().getSimpleName() + ')');
        }
        return parse(file, text);
    }

    /** Parses {@code text} as if read from {@code file} (used for error locations and relative paths). */
    public SidecarConfig parse(Path file, String text) throws ConfigException {
        final String substituted = substitute(file, text);
        // An absolute path to a file always has a parent.
        final Path baseDir = requireNonNull(file.toAbsolutePath().getParent(), "parent of the config file");
        final ObjectMapper mapper = newMapper(baseDir);
        try {
            final SidecarConfig config = mapper.readValue(substituted, SidecarConfig.class);
            if (config == null) {
                throw new ConfigException(file + ":1:1: the config file is empty");
            }
            return config;
        } catch (JsonProcessingException e) {
            throw new ConfigException(format(file, substituted, e));
        }
    }

    private String substitute(Path file, String text) throws ConfigException {
        final List<String> errors = new ArrayList<>();
        final String[] lines = text.split("\n", -1);
        final StringBuilder out = new StringBuilder(text.length());
        for (int i = 0; i < lines.length; i++) {
            final String line = lines[i];
            final Matcher m = ENV_REF.matcher(line);
            final StringBuilder sb = new StringBuilder();
            while (m.find()) {
                String value = environment.apply(m.group(1));
                if (value == null) {
                    value = m.group(2);
                }
                if (value == null) {
                    errors.add(file + ":" + (i + 1) + ':' + (m.start() + 1) + ": environment variable " + m.group(1)
                            + " is not set (write ${" + m.group(1) + ":-default} for a default)");
                    value = "";
                }
                m.appendReplacement(sb, Matcher.quoteReplacement(value));
            }
            m.appendTail(sb);
            out.append(sb);
            if (i < lines.length - 1) {
                out.append('\n');
            }
        }
        if (!errors.isEmpty()) {
            throw new ConfigException(errors);
        }
        return out.toString();
    }

    private static ObjectMapper newMapper(Path baseDir) {
        final SimpleModule module = new SimpleModule("trustline-config");
        module.addDeserializer(Duration.class, new FromString<>(Durations::parse));
        module.addDeserializer(SpiffeId.class, new FromString<>(SpiffeId::parse));
        module.addDeserializer(
                Path.class, new FromString<>(s -> baseDir.resolve(s).normalize()));
        return new ObjectMapper(new YAMLFactory())
                .registerModule(module)
                .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
                .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY)
                .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
    }

    private static String format(Path file, String text, JsonProcessingException e) {
        final JsonLocation loc = e.getLocation();
        String where = loc == null ? file + ":1:1" : file + ":" + loc.getLineNr() + ':' + loc.getColumnNr();
        if (e instanceof UnrecognizedPropertyException && loc != null) {
            // Jackson reports an unknown field where it stopped reading (after its value); point at the name.
            final int[] at = locateKey(text, ((UnrecognizedPropertyException) e).getPropertyName(), loc.getLineNr());
            if (at != null) {
                where = file + ":" + at[0] + ':' + at[1];
            }
        }
        return where + ": " + describe(e);
    }

    /** Finds {@code key:} on {@code line} or the few lines before it; returns {line, column}, 1-based. */
    private static int @Nullable [] locateKey(String text, String key, int line) {
        final String[] lines = text.split("\n", -1);
        final Pattern p = Pattern.compile("(^|[\\s{,])(" + Pattern.quote(key) + ")\\s*:");
        for (int i = Math.min(line, lines.length); i >= Math.max(1, line - 5); i--) {
            final Matcher m = p.matcher(lines[i - 1]);
            if (m.find()) {
                return new int[] {i, m.start(2) + 1};
            }
        }
        return null;
    }

    private static String describe(JsonProcessingException e) {
        final String path = e instanceof JsonMappingException ? path((JsonMappingException) e) : "";
        final String prefix = path.isEmpty() ? "" : path + ": ";
        if (e instanceof UnrecognizedPropertyException) {
            final UnrecognizedPropertyException u = (UnrecognizedPropertyException) e;
            final String known = u.getKnownPropertyIds().stream()
                    .map(Object::toString)
                    .sorted()
                    .collect(Collectors.joining(", "));
            return "unknown field '" + u.getPropertyName() + "'" + (path.contains(".") ? " in " + parent(path) : "")
                    + " (expected one of: " + known + ')';
        }
        if (e instanceof ValueInstantiationException || e instanceof InvalidFormatException) {
            final Throwable cause = rootCause(e);
            if (cause instanceof IllegalArgumentException || cause instanceof NullPointerException) {
                // Records name their own section in their messages ("identity: ..."); don't say it twice.
                final String last = path.substring(path.lastIndexOf('.') + 1);
                final String msg = String.valueOf(cause.getMessage());
                return !last.isEmpty() && msg.startsWith(last) ? msg : prefix + msg;
            }
        }
        if (e instanceof MismatchedInputException) {
            final String msg = e.getOriginalMessage();
            if (msg.startsWith("Missing required creator property")) {
                final Matcher m = Pattern.compile("'([^']+)'").matcher(msg);
                return (m.find() ? (prefix + "missing required field '" + m.group(1) + "'") : prefix + msg);
            }
            final Class<?> target = ((MismatchedInputException) e).getTargetType();
            if (target != null) {
                return prefix + "wrong type (expected: " + friendly(target) + ')';
            }
        }
        final Throwable cause = rootCause(e);
        if (cause != e && cause instanceof IllegalArgumentException) {
            return prefix + cause.getMessage();
        }
        return prefix + e.getOriginalMessage();
    }

    private static String friendly(Class<?> type) {
        if (type == String.class) {
            return "a string";
        }
        if (Number.class.isAssignableFrom(type) || type.isPrimitive()) {
            return "a number";
        }
        if (Map.class.isAssignableFrom(type) || type.isRecord()) {
            return "a mapping";
        }
        if (List.class.isAssignableFrom(type)) {
            return "a list";
        }
        return type.getSimpleName();
    }

    private static String path(JsonMappingException e) {
        final StringBuilder sb = new StringBuilder();
        for (JsonMappingException.Reference ref : e.getPath()) {
            if (ref.getFieldName() != null) {
                if (sb.length() > 0) {
                    sb.append('.');
                }
                sb.append(ref.getFieldName());
            } else if (ref.getIndex() >= 0) {
                sb.append('[').append(ref.getIndex()).append(']');
            }
        }
        return sb.toString();
    }

    private static String parent(String path) {
        final int dot = path.lastIndexOf('.');
        return dot < 0 ? path : path.substring(0, dot);
    }

    private static Throwable rootCause(Throwable t) {
        Throwable cause = t;
        while (cause.getCause() != null && cause.getCause() != cause) {
            cause = cause.getCause();
        }
        return cause;
    }

    /** Deserializes a value type from its string form; a parse failure keeps the value's location. */
    private static final class FromString<T> extends JsonDeserializer<T> {
        private final Function<String, T> parser;

        FromString(Function<String, T> parser) {
            this.parser = parser;
        }

        @Override
        public T deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
            final String text = p.getValueAsString();
            if (text == null) {
                return (T) ctxt.handleUnexpectedToken(String.class, p);
            }
            try {
                return parser.apply(text);
            } catch (IllegalArgumentException e) {
                throw JsonMappingException.from(p, e.getMessage(), e);
            }
        }
    }
}
