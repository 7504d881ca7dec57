package io.trustline.ca.cli;

import io.trustline.ca.Durations;
import java.time.Duration;
import picocli.CommandLine;
import picocli.CommandLine.ITypeConverter;

/**
 * Reads a command-line duration in {@link Durations}' grammar; zero is refused, as every duration option of the
 * Trustline tools is a lifetime or an age. Shared by the CA's and the demo's command lines.
 */
public final class DurationConverter implements ITypeConverter<Duration> {

    @Override
    public Duration convert(String value) {
        final Duration duration;
        try {
            duration = Durations.parse(value);
        } catch (IllegalArgumentException e) {
            // picocli then prints just the message, not the exception class.
            throw new CommandLine.TypeConversionException(e.getMessage());
        }
        if (duration.isZero()) {
            throw new CommandLine.TypeConversionException("'" + value + "': zero (expected: > 0)");
        }
        return duration;
    }
}
