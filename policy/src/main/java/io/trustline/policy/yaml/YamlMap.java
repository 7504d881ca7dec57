package io.trustline.policy.yaml;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/** A YAML mapping with string keys, in file order; each entry remembers where its key is. */
public record YamlMap(Map<String, Entry> entries, Location location) implements YamlNode {

    /** One key: value pair; {@code keyLocation} is where unknown-field errors point. */
    public record Entry(String key, Location keyLocation, YamlNode value) {}

    public YamlMap {
        entries = Collections.unmodifiableMap(new LinkedHashMap<>(entries));
    }

    public @Nullable YamlNode get(String key) {
        Entry e = entries.get(key);
        return e == null ? null : e.value();
    }

    public boolean has(String key) {
        return entries.containsKey(key);
    }

    @Override
    public String kind() {
        return "a mapping";
    }
}
