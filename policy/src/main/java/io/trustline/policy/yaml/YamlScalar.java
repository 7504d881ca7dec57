package io.trustline.policy.yaml;

/**
 * A YAML scalar. {@code type} keeps what the YAML resolver made of it, so that {@code burst: lots}
 * and {@code forwardToken: "yes"} are type errors rather than silently coerced.
 */
public record YamlScalar(String text, Type type, Location location) implements YamlNode {

    public enum Type {
        STRING,
        INTEGER,
        FLOAT,
        BOOLEAN,
        NULL
    }

    @Override
    public String kind() {
        return switch (type) {
            case STRING -> "a string";
            case INTEGER -> "an integer";
            case FLOAT -> "a number";
            case BOOLEAN -> "a boolean";
            case NULL -> "nothing";
        };
    }
}
