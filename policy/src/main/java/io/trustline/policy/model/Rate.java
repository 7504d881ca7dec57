package io.trustline.policy.model;

import static java.util.Objects.requireNonNull;

import java.time.Duration;

/**
 * A token-bucket refill rate as written in policies: {@code N/s}, {@code N/m} or {@code N/h}, with
 * N a positive whole number.
 *
 * @param tokens how many tokens are added per {@code period}
 * @param period one second, one minute or one hour
 */
public record Rate(long tokens, Duration period) {

    public Rate {
        requireNonNull(period, "period");
        if (tokens < 1) {
            throw new IllegalArgumentException("tokens: " + tokens + " (expected: > 0)");
        }
        if (!period.equals(Duration.ofSeconds(1))
                && !period.equals(Duration.ofMinutes(1))
                && !period.equals(Duration.ofHours(1))) {
            throw new IllegalArgumentException("period: " + period + " (expected: 1s, 1m or 1h)");
        }
    }

    /**
     * Parses {@code "100/s"}, {@code "10/m"} or {@code "1000/h"}.
     *
     * @throws IllegalArgumentException {@code "rate: '10/x' (expected: N/s, N/m or N/h)"}
     */
    public static Rate parse(String spec) {
        requireNonNull(spec, "spec");
        int slash = spec.indexOf('/');
        if (slash > 0
                && slash == spec.length() - 2
                && spec.substring(0, slash).chars().allMatch(Character::isDigit)) {
            Duration period = switch (spec.charAt(slash + 1)) {
                case 's' -> Duration.ofSeconds(1);
                case 'm' -> Duration.ofMinutes(1);
                case 'h' -> Duration.ofHours(1);
                default -> null;
            };
            if (period != null && slash <= 12) {
                long n = Long.parseLong(spec.substring(0, slash));
                if (n > 0) {
                    return new Rate(n, period);
                }
            }
        }
        throw new IllegalArgumentException("rate: '" + spec + "' (expected: N/s, N/m or N/h with N > 0)");
    }

    /** Tokens per second, for bucket arithmetic. */
    public double perSecond() {
        return (double) tokens / period.toSeconds();
    }

    /** Nanoseconds for one token to be added back. */
    public long nanosPerToken() {
        return Math.max(1, period.toNanos() / tokens);
    }

    @Override
    public String toString() {
        String unit = period.toSeconds() == 1 ? "s" : period.toSeconds() == 60 ? "m" : "h";
        return tokens + "/" + unit;
    }
}
