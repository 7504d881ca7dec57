package io.trustline.policy.yaml;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import io.trustline.policy.error.PolicyError;
import io.trustline.policy.error.PolicyParseException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads YAML text into {@link YamlNode} trees that keep line and column. A file may hold several
 * documents separated by {@code ---}; empty documents are skipped. Syntax errors, duplicate keys and
 * anchors/aliases (which would let one node appear at two places, and so make "where" ambiguous)
 * are reported as located {@link PolicyError}s.
 */
public final class YamlDocuments {

    private static final YAMLFactory FACTORY = YAMLFactory.builder().build();

    private YamlDocuments() {}

    /**
     * Parses {@code content}; {@code file} is only used in error messages.
     *
     * @throws PolicyParseException with every problem found
     */
    public static List<YamlNode> read(String file, String content) throws PolicyParseException {
        Problems problems = new Problems(file);
        List<YamlNode> docs = read(content, problems);
        if (problems.count() > 0) {
            throw new PolicyParseException(problems.errors());
        }
        return docs;
    }

    /**
     * Parses {@code content}, adding problems to {@code problems} and returning the documents that
     * could be read, so that a caller can go on validating them (a duplicate key does not hide the
     * other errors of the file). A syntax error ends reading: the document it is in is dropped.
     */
    public static List<YamlNode> read(String content, Problems problems) {
        List<PolicyError> errors = new ArrayList<>();
        String file = problems.file();
        List<YamlNode> docs = new ArrayList<>();
        try (JsonParser p = FACTORY.createParser(content)) {
            JsonToken t;
            while ((t = p.nextToken()) != null) {
                YamlNode node = readValue(p, t, file, errors);
                if (!(node instanceof YamlScalar s && s.type() == YamlScalar.Type.NULL)) {
                    docs.add(node);
                }
            }
        } catch (JsonProcessingException e) {
            errors.add(syntaxError(file, e));
        } catch (IOException e) {
            errors.add(PolicyError.ofFile(file, "cannot read: " + e.getMessage()));
        }
        for (PolicyError e : errors) {
            problems.add(new Location(e.line(), e.column()), e.message());
        }
        return docs;
    }

    private static YamlNode readValue(JsonParser p, JsonToken t, String file, List<PolicyError> errors)
            throws IOException {
        Location loc = locationOf(p.currentTokenLocation());
        if (p instanceof YAMLParser yp && yp.isCurrentAlias()) {
            errors.add(error(file, loc, "YAML aliases are not supported (expected: write the value out)"));
        }
        switch (t) {
            case START_OBJECT: {
                Map<String, YamlMap.Entry> entries = new LinkedHashMap<>();
                JsonToken k;
                while ((k = p.nextToken()) == JsonToken.FIELD_NAME) {
                    String key = p.currentName();
                    Location keyLoc = locationOf(p.currentTokenLocation());
                    YamlNode value = readValue(p, p.nextToken(), file, errors);
                    YamlMap.Entry previous = entries.get(key);
                    if (previous != null) {
                        errors.add(error(
                                file,
                                keyLoc,
                                "duplicate key '" + key + "' (first at line "
                                        + previous.keyLocation().line() + ")"));
                    } else {
                        entries.put(key, new YamlMap.Entry(key, keyLoc, value));
                    }
                }
                if (k != JsonToken.END_OBJECT) {
                    throw new IllegalStateException("unexpected token in mapping: " + k);
                }
                return new YamlMap(entries, loc);
            }
            case START_ARRAY: {
                List<YamlNode> items = new ArrayList<>();
                JsonToken i;
                while ((i = p.nextToken()) != JsonToken.END_ARRAY) {
                    if (i == null) {
                        throw new IllegalStateException("unterminated list");
                    }
                    items.add(readValue(p, i, file, errors));
                }
                return new YamlList(items, loc);
            }
            case VALUE_STRING:
                return new YamlScalar(p.getText(), YamlScalar.Type.STRING, loc);
            case VALUE_NUMBER_INT:
                return new YamlScalar(p.getText(), YamlScalar.Type.INTEGER, loc);
            case VALUE_NUMBER_FLOAT:
                return new YamlScalar(p.getText(), YamlScalar.Type.FLOAT, loc);
            case VALUE_TRUE:
            case VALUE_FALSE:
                return new YamlScalar(p.getText(), YamlScalar.Type.BOOLEAN, loc);
            case VALUE_NULL:
                return new YamlScalar("", YamlScalar.Type.NULL, loc);
            default:
                // Binary/embedded values (!!binary) have no place in a policy.
                errors.add(error(file, loc, "unsupported YAML value (" + t + ")"));
                return new YamlScalar("", YamlScalar.Type.NULL, loc);
        }
    }

    private static PolicyError syntaxError(String file, JsonProcessingException e) {
        // SnakeYAML knows the exact problem and where it is; Jackson's location is the context's.
        if (e.getCause() instanceof org.yaml.snakeyaml.error.MarkedYAMLException m
                && m.getProblemMark() != null
                && m.getProblem() != null) {
            Location at = new Location(
                    m.getProblemMark().getLine() + 1, m.getProblemMark().getColumn() + 1);
            String context = m.getContext() == null ? "" : " (" + m.getContext().strip() + ")";
            return error(file, at, "invalid YAML: " + m.getProblem().strip() + context);
        }
        Location loc = locationOf(e.getLocation());
        String msg = e.getOriginalMessage();
        if (msg == null) {
            msg = "invalid YAML";
        }
        // SnakeYAML's messages repeat the position and echo the source; keep the first line.
        int nl = msg.indexOf('\n');
        if (nl > 0) {
            msg = msg.substring(0, nl);
        }
        return error(file, loc, "invalid YAML: " + msg.strip());
    }

    private static PolicyError error(String file, Location loc, String message) {
        return new PolicyError(file, loc.line(), loc.column(), message);
    }

    static Location locationOf(JsonLocation l) {
        if (l == null || l.getLineNr() < 1) {
            return Location.UNKNOWN;
        }
        return new Location(l.getLineNr(), Math.max(1, l.getColumnNr()));
    }
}
