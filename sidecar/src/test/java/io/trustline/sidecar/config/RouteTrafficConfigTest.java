package io.trustline.sidecar.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** A route's {@code timeout}, {@code retries} and {@code limits}: their defaults, and each mistake at its place. */
class RouteTrafficConfigTest {

    private static final Path FILE = Path.of("/etc/trustline/sidecar.yaml");

    /** A valid file ending in one route (line 12, its keys at column 7); each case adds keys to that route. */
    private static final String VALID = String.join(
            "\n",
            "service: orders",
            "namespace: shop",
            "trustDomain: example.org",
            "identity: {certFile: cert.pem, keyFile: key.pem, bundleFile: bundle.pem}",
            "inbound:",
            "  app: 127.0.0.1:8080",
            "policy: {dir: ./policies}",
            "outbound:",
            "  routes:",
            "    inventory:",
            "      endpoints: [10.0.0.7:15006, 10.0.0.8:15006]",
            "      identity: spiffe://example.org/ns/shop/sa/inventory",
            "");

    private static RouteConfig route(String extra) throws ConfigException {
        return new ConfigLoader(Map.<String, String>of()::get)
                .parse(FILE, VALID + extra)
                .outbound()
                .routes()
                .get("inventory");
    }

    @Test
    void withoutTheKeysARouteHasNoTimeoutNoLimitsAndNoRetries() throws Exception {
        final RouteConfig r = route("");
        assertThat(r.timeout()).isNull();
        assertThat(r.limits().limited()).isFalse();
        final RetriesConfig retries = r.retries();
        assertThat(retries.attempts()).isEqualTo(1);
        assertThat(retries.enabled()).isFalse();
        assertThat(retries.perTryTimeout()).isNull();
        assertThat(retries.methods()).containsExactly("GET", "HEAD", "OPTIONS");
        assertThat(retries.bufferBytes()).isEqualTo(65536);
        assertThat(retries.on().statuses()).containsExactly(502, 503, 504);
        assertThat(retries.on().connectFailure()).isTrue();
        assertThat(retries.on().grpcStatuses()).isEmpty();
        assertThat(retries.on().grpcStatusCodes()).isEmpty();
        assertThat(retries.backoff().base()).isEqualTo(Duration.ofMillis(25));
        assertThat(retries.backoff().max()).isEqualTo(Duration.ofMillis(250));
        assertThat(retries.budget().ratio()).isEqualTo(0.2);
        assertThat(retries.budget().minPerSecond()).isEqualTo(10);
        assertThat(retries.budget().window()).isEqualTo(Duration.ofSeconds(10));
    }

    @Test
    void readsEveryKey() throws Exception {
        final RouteConfig r = route("      timeout: 3s\n"
                + "      retries:\n"
                + "        attempts: 3\n"
                + "        perTryTimeout: 1s\n"
                + "        backoff: {base: 10ms, max: 1s}\n"
                + "        on: {statuses: [503], connectFailure: false, grpcStatuses: [unavailable, RESOURCE_EXHAUSTED]}\n"
                + "        methods: [get, PUT]\n"
                + "        bufferBytes: 1024\n"
                + "        budget: {ratio: 0.5, minPerSecond: 0, window: 30s}\n"
                + "      limits: {maxConcurrent: 8, maxPending: 2, pendingTimeout: 250ms}\n");
        assertThat(r.timeout()).isEqualTo(Duration.ofSeconds(3));
        final RetriesConfig retries = r.retries();
        assertThat(retries.attempts()).isEqualTo(3);
        assertThat(retries.perTryTimeout()).isEqualTo(Duration.ofSeconds(1));
        assertThat(retries.backoff())
                .isEqualTo(new RetriesConfig.Backoff(Duration.ofMillis(10), Duration.ofSeconds(1)));
        assertThat(retries.on().statuses()).containsExactly(503);
        assertThat(retries.on().connectFailure()).isFalse();
        assertThat(retries.on().grpcStatusCodes()).containsExactly("14", "8");
        assertThat(retries.methods()).containsExactly("GET", "PUT");
        assertThat(retries.bufferBytes()).isEqualTo(1024);
        assertThat(retries.budget()).isEqualTo(new RetriesConfig.Budget(0.5, 0, Duration.ofSeconds(30)));
        assertThat(r.limits()).isEqualTo(new RouteLimitsConfig(8, 2, Duration.ofMillis(250)));
    }

    @Test
    void retriesAreOptInAndOneAttemptSwitchesThemOff() throws Exception {
        assertThat(route("").retries().enabled()).isFalse();
        assertThat(route("      retries: {attempts: 2}\n").retries().enabled()).isTrue();
        assertThat(route("      retries: {attempts: 1}\n").retries().enabled()).isFalse();
    }

    static Stream<Arguments> mistakes() {
        return Stream.of(
                mistake(
                        "a mistyped retries key",
                        "      retries: {attemps: 3}\n",
                        "13:17: unknown field 'attemps' in outbound.routes.inventory.retries (did you mean"
                                + " 'attempts'?)"),
                mistake(
                        "a mistyped key in the budget",
                        "      retries: {budget: {ration: 0.1}}\n",
                        "13:26: unknown field 'ration' in outbound.routes.inventory.retries.budget (did you mean"
                                + " 'ratio'?)"),
                mistake(
                        "zero attempts",
                        "      retries: {attempts: 0}\n",
                        "13:27: outbound.routes.inventory.retries.attempts: 0 (expected: 1-10, 1 switches retries"
                                + " off)"),
                mistake(
                        "a negative timeout",
                        "      timeout: -1s\n",
                        "13:16: outbound.routes.inventory.timeout: '-1s': negative (expected: a duration such as 500ms, 30s,"
                                + " 5m, 1h30m, 1d, or PT30S)"),
                mistake(
                        "a zero timeout",
                        "      timeout: 0\n",
                        "13:16: outbound.routes.inventory.timeout: 0 (expected: >= 1ms)"),
                mistake(
                        "a ratio above one",
                        "      retries: {budget: {ratio: 1.5}}\n",
                        "13:33: outbound.routes.inventory.retries.budget.ratio: 1.5 (expected: 0-1)"),
                mistake(
                        "a ratio in quotes",
                        "      retries: {budget: {ratio: '0.2'}}\n",
                        "13:33: outbound.routes.inventory.retries.budget.ratio: a string (0.2) (expected: a number"
                                + " such as 0.2)"),
                mistake(
                        "a status outside 100-599, reported at the item",
                        "      retries: {on: {statuses: [503, 600]}}\n",
                        "13:38: outbound.routes.inventory.retries.on.statuses: an integer (600) (expected: 100-599)"),
                mistake(
                        "an unknown gRPC status name",
                        "      retries: {on: {grpcStatuses: [UNAVAILABLE, UNAVAILIBLE]}}\n",
                        "13:50: outbound.routes.inventory.retries.on.grpcStatuses: a string (UNAVAILIBLE)"
                                + " (expected: gRPC status names, e.g. UNAVAILABLE)"),
                mistake(
                        "an unknown method",
                        "      retries: {methods: [GET, FETCH]}\n",
                        "13:32: outbound.routes.inventory.retries.methods: a string (FETCH) (expected: HTTP"
                                + " methods, e.g. GET, PUT)"),
                mistake(
                        "a backoff whose max is below its base",
                        "      retries: {backoff: {base: 1s, max: 100ms}}\n",
                        "13:42: outbound.routes.inventory.retries.backoff.max: 100ms (expected: >= base, 1s)"),
                mistake(
                        "a negative buffer",
                        "      retries: {bufferBytes: -1}\n",
                        "13:30: outbound.routes.inventory.retries.bufferBytes: -1 (expected: 0-2147483647)"),
                mistake(
                        "no concurrency limit",
                        "      limits: {maxConcurrent: 0}\n",
                        "13:31: outbound.routes.inventory.limits.maxConcurrent: 0 (expected: >= 1)"),
                mistake(
                        "waiting without a limit",
                        "      limits: {maxPending: 5}\n",
                        "13:28: outbound.routes.inventory.limits.maxPending: 5 (expected: with maxConcurrent"
                                + " only)"),
                mistake(
                        "a mistyped limits key",
                        "      limits: {maxConcurent: 5}\n",
                        "13:16: unknown field 'maxConcurent' in outbound.routes.inventory.limits (did you mean"
                                + " 'maxConcurrent'?)"));
    }

    private static Arguments mistake(String note, String extra, String... errors) {
        return Arguments.of(note, extra, List.of(errors));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("mistakes")
    void reportsEveryMistakeAtItsPlace(String note, String extra, List<String> expected) {
        final ConfigException e = catchThrowableOfType(
                ConfigException.class,
                () -> new ConfigLoader(Map.<String, String>of()::get).parse(FILE, VALID + extra));
        assertThat(e).as(note).isNotNull();
        assertThat(e.errors())
                .as(note)
                .containsExactlyElementsOf(
                        expected.stream().map(m -> FILE + ":" + m).toList());
    }
}
