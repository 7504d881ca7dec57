package io.trustline.sidecar.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * One broken {@code sidecar.yaml} per mistake operators make, each with the exact messages and positions the loader
 * must report: all of them, in file order.
 */
class ConfigMistakesTest {

    private static final Path FILE = Path.of("/etc/trustline/sidecar.yaml");

    /** A valid file; each case changes one thing in it. */
    private static final String VALID = String.join(
            "\n",
            "service: orders",
            "namespace: shop",
            "trustDomain: example.org",
            "identity: {certFile: cert.pem, keyFile: key.pem, bundleFile: bundle.pem}",
            "inbound:",
            "  app: 127.0.0.1:8080",
            "  appProtocol: http",
            "  mtls: strict",
            "policy: {dir: ./policies}",
            "");

    static Stream<Arguments> mistakes() {
        return Stream.of(
                mistake(
                        "mistyped top-level key: reported where it is, no 'missing inbound' at the end",
                        VALID.replace("inbound:", "inbond:"),
                        "5:1: unknown field 'inbond' in the document (did you mean 'inbound'?)"),
                mistake(
                        "mistyped nested key",
                        VALID.replace("  mtls: strict", "  mtsl: strict"),
                        "8:3: unknown field 'mtsl' in inbound (did you mean 'mtls'?)"),
                mistake(
                        "mistyped key three levels down",
                        VALID.replace(
                                "  mtls: strict", "  mtls: strict\n  limits:\n    slowClients: {headerTimeout: 5s}"),
                        "10:19: unknown field 'headerTimeout' in inbound.limits.slowClients"
                                + " (did you mean 'headersTimeout'?)"),
                mistake(
                        "grpc as the app protocol",
                        VALID.replace("appProtocol: http", "appProtocol: grpc"),
                        "7:16: inbound.appProtocol: 'grpc' (expected: http, h2c); did you mean 'h2c'? gRPC apps are"
                                + " reached over HTTP/2 in cleartext"),
                mistake(
                        "duration without a unit",
                        VALID.replace("  mtls: strict", "  mtls: strict\n  limits: {idleTimeout: 30}"),
                        "9:25: inbound.limits.idleTimeout: 30 (expected: a duration with a unit; did you mean '30s'"
                                + " or '30ms'?)"),
                mistake(
                        "an app idle timeout without a unit",
                        VALID.replace("  mtls: strict", "  appIdleTimeout: 4\n  mtls: strict"),
                        "8:19: inbound.appIdleTimeout: 4 (expected: a duration with a unit; did you mean '4s' or"
                                + " '4ms'?)"),
                mistake(
                        "Istio's mtls mode mapping",
                        VALID.replace("mtls: strict", "mtls: {mode: STRICT}"),
                        "8:9: inbound.mtls: a mapping (expected: strict or permissive; write 'mtls: strict', not"
                                + " Istio's 'mtls: {mode: STRICT}')"),
                mistake(
                        "mTLS switched off",
                        VALID.replace("mtls: strict", "mtls: disable"),
                        "8:9: inbound.mtls: 'disable' (expected: strict, permissive); there is no mode without mTLS;"
                                + " permissive also accepts plaintext (migration only)"),
                mistake(
                        "a number in quotes",
                        VALID.replace("  mtls: strict", "  mtls: strict\n  limits: {maxHeaderBytes: \"16384\"}"),
                        "9:28: inbound.limits.maxHeaderBytes: '16384' is a string (expected: a whole number; write"
                                + " 16384 without quotes)"),
                mistake(
                        "a bare port where an address belongs",
                        VALID.replace("app: 127.0.0.1:8080", "app: 8080"),
                        "6:8: inbound.app: 8080 (expected: host:port; did you mean '127.0.0.1:8080'?)"),
                mistake(
                        "the policy directory written as a string",
                        VALID.replace("policy: {dir: ./policies}", "policy: ./policies"),
                        "9:9: policy: a string (./policies) (expected: a mapping; did you mean"
                                + " 'policy: {dir: ./policies}'?)"),
                mistake(
                        "a boolean in quotes",
                        VALID + "admin: {allowNonLoopback: \"true\"}\n",
                        "10:27: admin.allowNonLoopback: 'true' is a string (expected: true or false; write it"
                                + " without quotes)"),
                mistake(
                        "a value out of range, checked by the section's record",
                        VALID.replace("  mtls: strict", "  mtls: strict\n  limits: {maxHeaderBytes: 100}"),
                        "9:28: inbound.limits.maxHeaderBytes: 100 (expected: >= 1024)"),
                mistake(
                        "a route identity that is not a SPIFFE ID",
                        VALID + "outbound:\n  routes:\n    inventory: {address: 10.0.0.7:15006, identity: inventory}\n",
                        "12:52: outbound.routes.inventory.identity: scheme must be 'spiffe://' (lowercase) in"
                                + " 'inventory'; did you mean 'spiffe://example.org/ns/shop/sa/inventory'?"),
                mistake(
                        "a route without endpoints",
                        VALID + "outbound:\n  routes:\n"
                                + "    inventory: {identity: spiffe://example.org/ns/shop/sa/inventory}\n",
                        "12:16: outbound.routes.inventory: no endpoints (expected: one of address, endpoints, dns,"
                                + " file)"),
                mistake(
                        "a route with two endpoint sources",
                        VALID + "outbound:\n  routes:\n    inventory:\n      address: 10.0.0.7:15006\n"
                                + "      endpoints: [10.0.0.7:15006, 10.0.0.8:15006]\n"
                                + "      identity: spiffe://example.org/ns/shop/sa/inventory\n",
                        "14:7: outbound.routes.inventory.endpoints: address is set too (expected: exactly one of"
                                + " address, endpoints, dns, file)"),
                mistake(
                        "a bare port in a route's endpoint list",
                        VALID + "outbound:\n  routes:\n    inventory:\n      endpoints: [10.0.0.7:15006, 15006]\n"
                                + "      identity: spiffe://example.org/ns/shop/sa/inventory\n",
                        "13:35: outbound.routes.inventory.endpoints: 15006 (expected: host:port; did you mean"
                                + " '10.0.0.7:15006'?)"),
                mistake(
                        "a DNS source without its port",
                        VALID + "outbound:\n  routes:\n    inventory:\n"
                                + "      dns: {name: inventory.shop.svc.cluster.local}\n"
                                + "      identity: spiffe://example.org/ns/shop/sa/inventory\n",
                        "13:12: missing required field 'outbound.routes.inventory.dns.port'"),
                mistake(
                        "a DNS TTL that is not whole seconds",
                        VALID + "outbound:\n  routes:\n    inventory:\n"
                                + "      dns: {name: inventory.shop.svc.cluster.local, port: 15006, minTtl: 1500ms}\n"
                                + "      identity: spiffe://example.org/ns/shop/sa/inventory\n",
                        "13:74: outbound.routes.inventory.dns.minTtl: 1s500ms (expected: whole seconds, >= 1s)"),
                mistake(
                        "an ejection share above 100 percent",
                        VALID + "outbound:\n  routes:\n    inventory:\n      endpoints: [10.0.0.7:15006]\n"
                                + "      identity: spiffe://example.org/ns/shop/sa/inventory\n"
                                + "      outlierDetection: {maxEjectedPercent: 150}\n",
                        "15:45: outbound.routes.inventory.outlierDetection.maxEjectedPercent: 150 (expected: 0-100)"),
                mistake(
                        "both identity sources",
                        VALID.replace("bundleFile: bundle.pem}", "bundleFile: bundle.pem, ca: 127.0.0.1:15012}"),
                        "4:11: identity: set either ca, caBundle and joinTokenFile (certificates from the Trustline"
                                + " CA) or certFile, keyFile and bundleFile (from files)"),
                mistake(
                        "the admin port on the inbound port",
                        VALID + "admin: {listen: 127.0.0.1:15006}\n",
                        "10:17: admin.listen: 127.0.0.1:15006 (expected: another port than inbound.listen; the admin"
                                + " port never shares the network port)"),
                mistake(
                        "a duplicate key",
                        VALID + "service: payments\n",
                        "10:1: duplicate key 'service' (first at line 1)"),
                mistake(
                        "an unset environment variable",
                        VALID.replace("127.0.0.1:8080", "127.0.0.1:${APP_PORT}"),
                        "6:18: environment variable APP_PORT is not set (write ${APP_PORT:-default} for a default)"),
                mistake(
                        "a switch where a duration belongs",
                        VALID + "shutdown: {drainTimeout: true}\n",
                        "10:26: shutdown.drainTimeout: a boolean (true) (expected: a duration such as 30s)"),
                mistake(
                        "several mistakes in one file: every one, in file order",
                        VALID.replace("namespace: shop", "namespce: shop")
                                .replace("appProtocol: http", "appProtocol: grpc")
                                .replace("app: 127.0.0.1:8080", "app: 8080"),
                        "2:1: unknown field 'namespce' in the document (did you mean 'namespace'?)",
                        "6:8: inbound.app: 8080 (expected: host:port; did you mean '127.0.0.1:8080'?)",
                        "7:16: inbound.appProtocol: 'grpc' (expected: http, h2c); did you mean 'h2c'? gRPC apps are"
                                + " reached over HTTP/2 in cleartext"),
                mistake("an empty file", "", "1:1: the config file is empty"));
    }

    private static Arguments mistake(String note, String yaml, String... errors) {
        return Arguments.of(note, yaml, List.of(errors));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("mistakes")
    void reportsEveryMistakeAtItsPlace(String note, String yaml, List<String> expected) {
        final ConfigException e = catchThrowableOfType(
                ConfigException.class, () -> new ConfigLoader(Map.<String, String>of()::get).parse(FILE, yaml));
        assertThat(e).as(note).isNotNull();
        assertThat(e.errors())
                .as(note)
                .containsExactlyElementsOf(
                        expected.stream().map(m -> FILE + ":" + m).toList());
    }

    @Test
    void theValidFileIsAccepted() throws Exception {
        assertThat(new ConfigLoader(Map.<String, String>of()::get)
                        .parse(FILE, VALID)
                        .inbound()
                        .app()
                        .port())
                .isEqualTo(8080);
    }

    @Test
    void choicesAreReadInAnyCase() throws Exception {
        final SidecarConfig c = new ConfigLoader(Map.<String, String>of()::get)
                .parse(
                        FILE,
                        VALID.replace("mtls: strict", "mtls: STRICT").replace("appProtocol: http", "appProtocol: H2C"));
        assertThat(c.inbound().mtls()).isEqualTo(SidecarConfig.MtlsMode.STRICT);
        assertThat(c.inbound().appProtocol()).isEqualTo(SidecarConfig.AppProtocol.H2C);
    }
}
