package io.trustline.policy.yaml;

/**
 * A YAML value with the position it was read from. Jackson's tree model drops locations, so the
 * policy reader builds this small tree from the streaming parser instead: every validation error
 * can then point at the exact key or value it is about.
 */
public sealed interface YamlNode permits YamlMap, YamlList, YamlScalar {

    Location location();

    /** A short noun for error messages: "a mapping", "a list", "a string", ... */
    String kind();
}
