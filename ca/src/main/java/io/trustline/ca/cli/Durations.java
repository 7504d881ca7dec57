package io.trustline.ca.cli;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine;
import picocli.CommandLine.ITypeConverter;

/** Parses durations written as {@code 90s}, {@code 30m}, {@code 1h}, {@code 7d} or ISO-8601 {@code PT1H}. */
final class Durations implements ITypeConverter<Duration> {

    private static final Pattern SHORT = Pattern.compile("(\\d+)(ms|s|m|h|d)");

    @Override
    public Duration convert(String value) {
        try {
            return parse(value);
        } catch (IllegalArgumentException e) {
            // picocli then prints just the message, not the exception class.
            throw new CommandLine.TypeConversionException(e.getMessage());
        }
    }

    static Duration parse(String value) {
        final Matcher matcher = SHORT.matcher(value);
        final Duration duration;
        if (matcher.matches()) {
            final long amount = Long.parseLong(matcher.group(1));
            duration = switch (matcher.group(2)) {
                case "ms" -> Duration.ofMillis(amount);
                case "s" -> Duration.ofSeconds(amount);
                case "m" -> Duration.ofMinutes(amount);
                case "h" -> Duration.ofHours(amount);
                default -> Duration.ofDays(amount);
            };
        } else {
            try {
                duration = Duration.parse(value);
            } catch (DateTimeParseException e) {
                throw new IllegalArgumentException("duration: " + value + " (expected: e.g. 90s, 30m, 1h, 7d)");
            }
        }
        if (duration.isZero() || duration.isNegative()) {
            throw new IllegalArgumentException("duration: " + value + " (expected: > 0)");
        }
        return duration;
    }
}
