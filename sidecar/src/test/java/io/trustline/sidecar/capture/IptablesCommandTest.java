package io.trustline.sidecar.capture;

import static org.assertj.core.api.Assertions.assertThat;

import io.trustline.sidecar.Main;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * {@code trustline-sidecar iptables --print} through the real command line, against golden files read by a person:
 * the chain layout of Istio's {@code istio-iptables}, the sidecar's own traffic, loopback, DNS, the admin and probe
 * ports and the configured exclusions never captured.
 */
class IptablesCommandTest {

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    @Test
    void printsIstioShapedRulesThatExemptTheProxyGroupAdminAndProbePorts() throws IOException {
        assertThat(run("iptables", "--proxy-gid", "1337")).isZero();
        assertThat(out.toString()).isEqualTo(golden("gid-defaults-ipv4.golden"));
    }

    @Test
    void printsIpv6RulesWithOnlyTheIpv6ExcludedBlocks() throws IOException {
        assertThat(run(
                        "iptables",
                        "--print",
                        "--family",
                        "ipv6",
                        "--proxy-uid",
                        "1337",
                        "--proxy-gid",
                        "1337",
                        "--exclude-outbound-cidrs",
                        "10.0.0.0/8,fd00::/8",
                        "--exclude-outbound-ports",
                        "5432",
                        "--exclude-inbound-ports",
                        "22"))
                .isZero();
        assertThat(out.toString()).isEqualTo(golden("uid-gid-exclusions-ipv6.golden"));
    }

    @Test
    void capturesOnlyTheListedInboundPortsAndNeverTheProbePort() throws IOException {
        assertThat(run(
                        "iptables",
                        "--proxy-uid",
                        "1337",
                        "--exclude-outbound-cidrs",
                        "10.0.0.0/8,fd00::/8",
                        "--include-inbound-ports",
                        "8080,9090,15020"))
                .isZero();
        assertThat(out.toString()).isEqualTo(golden("uid-inbound-ports-ipv4.golden"));
    }

    @Test
    void anEmptyInboundPortListLeavesIncomingTrafficAlone() throws IOException {
        assertThat(run("iptables", "--proxy-gid", "1337", "--include-inbound-ports", ""))
                .isZero();
        assertThat(out.toString()).isEqualTo(golden("no-inbound-ipv4.golden")).doesNotContain("PREROUTING");
    }

    @Test
    void refusesRulesThatWouldCaptureTheSidecarsOwnConnections() {
        assertThat(run("iptables", "--print")).isEqualTo(2);
        assertThat(out.toString()).isEmpty();
        assertThat(err.toString()).contains("expected: --proxy-uid or --proxy-gid");
    }

    @Test
    void refusesMalformedPortsAndAddressBlocksNamingTheValue() {
        assertThat(run("iptables", "--proxy-gid", "1337", "--exclude-outbound-ports", "80,http"))
                .isEqualTo(2);
        assertThat(err.toString()).contains("--exclude-outbound-ports: 'http' (expected: a port number, 1-65535)");

        assertThat(run("iptables", "--proxy-gid", "1337", "--exclude-outbound-cidrs", "10.0.0.0/33"))
                .isEqualTo(2);
        assertThat(err.toString()).contains("exclude outbound CIDR: '10.0.0.0/33'");

        assertThat(run("iptables", "--proxy-gid", "1337", "--inbound-port", "15001"))
                .isEqualTo(2);
        assertThat(err.toString()).contains("inbound port: 15001 (expected: another port than the outbound port)");

        assertThat(run("iptables", "--proxy-gid", "1337", "--family", "ipx")).isEqualTo(2);
        assertThat(err.toString()).contains("--family: 'ipx' (expected: ipv4, ipv6)");
        assertThat(out.toString()).isEmpty();
    }

    @Test
    void runningTheSidecarStillRequiresAConfigFile() {
        assertThat(run()).isEqualTo(2);
        assertThat(err.toString()).contains("Missing required option: '--config=<config>'");
    }

    private int run(String... args) {
        return new CommandLine(new Main())
                .setOut(new PrintWriter(out, true))
                .setErr(new PrintWriter(err, true))
                .execute(args);
    }

    private static String golden(String name) throws IOException {
        try (InputStream in = IptablesCommandTest.class.getResourceAsStream(name)) {
            assertThat(in).as(name).isNotNull();
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
