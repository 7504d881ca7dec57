package io.trustline.policy.yaml;

import java.util.List;

/** A YAML sequence. */
public record YamlList(List<YamlNode> items, Location location) implements YamlNode {

    public YamlList {
        items = List.copyOf(items);
    }

    @Override
    public String kind() {
        return "a list";
    }
}
