package io.trustline.policy.model;

import java.util.Locale;

/** Whether a check's refusals are enforced or only recorded (dry run). */
public enum Mode {
    /** Refusals are enforced. */
    ENFORCE,
    /** The check runs and its would-be refusal is recorded; the request goes through. */
    AUDIT;

    public static Mode parse(String s) {
        return switch (s) {
            case "enforce" -> ENFORCE;
            case "audit" -> AUDIT;
            default -> throw new IllegalArgumentException("mode: '" + s + "' (expected: enforce or audit)");
        };
    }

    /** The spelling used in files: {@code enforce} or {@code audit}. */
    public String yamlName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
