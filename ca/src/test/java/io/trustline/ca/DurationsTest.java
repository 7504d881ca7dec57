package io.trustline.ca;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class DurationsTest {

    static Stream<Arguments> accepted() {
        return Stream.of(
                Arguments.of("500ms", Duration.ofMillis(500)),
                Arguments.of("30s", Duration.ofSeconds(30)),
                Arguments.of("5m", Duration.ofMinutes(5)),
                Arguments.of("1h", Duration.ofHours(1)),
                Arguments.of("1d", Duration.ofDays(1)),
                Arguments.of("1h30m", Duration.ofMinutes(90)),
                Arguments.of("2d12h", Duration.ofHours(60)),
                Arguments.of("1m30s250ms", Duration.ofMillis(90_250)),
                Arguments.of("1d1h1m1s1ms", Duration.ofMillis(90_061_001)),
                Arguments.of("90s", Duration.ofSeconds(90)),
                Arguments.of("0", Duration.ZERO),
                Arguments.of("0s", Duration.ZERO),
                Arguments.of(" 30s ", Duration.ofSeconds(30)),
                Arguments.of("PT5M", Duration.ofMinutes(5)),
                Arguments.of("P1D", Duration.ofDays(1)),
                Arguments.of("PT1H30M", Duration.ofMinutes(90)),
                Arguments.of("PT0.5S", Duration.ofMillis(500)),
                Arguments.of("pt30s", Duration.ofSeconds(30)));
    }

    @ParameterizedTest(name = "[{index}] '{0}'")
    @MethodSource("accepted")
    void parsesEveryAcceptedSpelling(String text, Duration expected) {
        assertThat(Durations.parse(text)).isEqualTo(expected);
    }

    static Stream<Arguments> refused() {
        return Stream.of(
                Arguments.of("1x", "'1x': unknown unit 'x' (expected: ms, s, m, h, d, or ISO-8601 like PT30S)"),
                Arguments.of("5M", "'5M': unknown unit 'M' (expected: ms, s, m, h, d, or ISO-8601 like PT30S)"),
                Arguments.of("1w", "'1w': unknown unit 'w' (expected: ms, s, m, h, d, or ISO-8601 like PT30S)"),
                Arguments.of(
                        "30 minutes",
                        "'30 minutes': missing unit after 30 (expected: ms, s, m, h, d, or ISO-8601 like PT30S)"),
                Arguments.of("10", "'10': missing unit after 10 (expected: ms, s, m, h, d, or ISO-8601 like PT30S)"),
                Arguments.of("", "'': empty (expected: a duration such as 500ms, 30s, 5m, 1h30m, 1d, or PT30S)"),
                Arguments.of(
                        "-5s", "'-5s': negative (expected: a duration such as 500ms, 30s, 5m, 1h30m, 1d, or PT30S)"),
                Arguments.of(
                        "-PT5M",
                        "'-PT5M': negative (expected: a duration such as 500ms, 30s, 5m, 1h30m, 1d, or PT30S)"),
                Arguments.of(
                        "PT-5M",
                        "'PT-5M': negative (expected: a duration such as 500ms, 30s, 5m, 1h30m, 1d, or PT30S)"),
                Arguments.of(
                        "PT5X",
                        "'PT5X': not an ISO-8601 duration (expected: a duration such as 500ms, 30s, 5m, 1h30m, 1d,"
                                + " or PT30S)"),
                Arguments.of(
                        "s",
                        "'s': expected a number at 's' (expected: a duration such as 500ms, 30s, 5m, 1h30m, 1d, or"
                                + " PT30S)"),
                Arguments.of("30m1h", "'30m1h': 'h' after 'm' (expected: each unit once, largest first, e.g. 1h30m)"),
                Arguments.of("1m1m", "'1m1m': 'm' after 'm' (expected: each unit once, largest first, e.g. 1h30m)"),
                Arguments.of("99999999999999999999s", "'99999999999999999999s': too large (expected: at most"),
                Arguments.of("200000000000d", "'200000000000d': too large (expected: at most"),
                Arguments.of(
                        "1.5h", "'1.5h': missing unit after 1 (expected: ms, s, m, h, d, or ISO-8601 like PT30S)"));
    }

    @ParameterizedTest(name = "[{index}] '{0}'")
    @MethodSource("refused")
    void refusesWithAMessageNamingTheValueAndTheGrammar(String text, String message) {
        assertThatThrownBy(() -> Durations.parse(text))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith(message);
    }

    @Test
    void formatsLargestUnitFirstAndReadsItBack() {
        assertThat(Durations.format(Duration.ZERO)).isEqualTo("0");
        assertThat(Durations.format(Duration.ofMillis(500))).isEqualTo("500ms");
        assertThat(Durations.format(Duration.ofSeconds(90))).isEqualTo("1m30s");
        assertThat(Durations.format(Duration.ofHours(24))).isEqualTo("1d");
        assertThat(Durations.format(Duration.ofMillis(90_061_001))).isEqualTo("1d1h1m1s1ms");
        for (Duration d : new Duration[] {Duration.ofMillis(1), Duration.ofMinutes(61), Duration.ofDays(400)}) {
            assertThat(Durations.parse(Durations.format(d))).isEqualTo(d);
        }
    }
}
