package io.trustline.policy.model;

import java.util.Locale;

/** What a rule does when it matches. */
public enum Action {
    ALLOW,
    DENY;

    public static Action parse(String s) {
        return switch (s) {
            case "allow" -> ALLOW;
            case "deny" -> DENY;
            default -> throw new IllegalArgumentException("action: '" + s + "' (expected: allow or deny)");
        };
    }

    public String yamlName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
