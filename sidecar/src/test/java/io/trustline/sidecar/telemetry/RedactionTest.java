package io.trustline.sidecar.telemetry;

import static org.assertj.core.api.Assertions.assertThat;

import com.linecorp.armeria.common.HttpMethod;
import com.linecorp.armeria.common.RequestHeaders;
import io.trustline.sidecar.config.SidecarConfig.AccessLogConfig;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RedactionTest {

    private static final String JWT = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJib2IifQ.c2ln";

    private static Redaction redaction(List<String> headers, boolean query, List<String> sensitive) {
        return new Redaction(
                new AccessLogConfig(null, null, headers, query, sensitive, List.of("session"), null, null));
    }

    @Test
    void logsOnlyTheListedHeadersAndRedactsCredentials() {
        final Redaction r =
                redaction(List.of("user-agent", "authorization", "x-tenant", "cookie"), false, List.of("x-tenant"));
        final RequestHeaders h = RequestHeaders.builder(HttpMethod.GET, "/")
                .add("user-agent", "grpc-java/1.83")
                .add("authorization", "Bearer " + JWT)
                .add("x-tenant", "acme")
                .add("cookie", "sid=1")
                .add("x-other", "not listed")
                .build();
        assertThat(r.headers(h))
                .containsExactlyInAnyOrderEntriesOf(Map.of(
                        "user-agent", "grpc-java/1.83",
                        "authorization", "[redacted]",
                        "x-tenant", "[redacted]",
                        "cookie", "[redacted]"));
    }

    @Test
    void aTokenInAnUnexpectedHeaderIsRedactedToo() {
        final Redaction r = redaction(List.of("x-forwarded-token"), false, List.of());
        final RequestHeaders h = RequestHeaders.builder(HttpMethod.GET, "/")
                .add("x-forwarded-token", JWT)
                .build();
        assertThat(r.headers(h)).containsEntry("x-forwarded-token", "[redacted]");
    }

    @Test
    void noHeadersConfiguredMeansNoHeadersField() {
        assertThat(redaction(List.of(), false, List.of()).headers(RequestHeaders.of(HttpMethod.GET, "/")))
                .isNull();
    }

    @Test
    void queryIsLoggedOnlyWhenAskedAndSensitiveParametersAreRedacted() {
        assertThat(redaction(List.of(), false, List.of()).query("a=1")).isNull();
        final Redaction r = redaction(List.of(), true, List.of());
        assertThat(r.query("page=2&access_token=abc&Code=xyz&session=s1&flag&q=" + JWT))
                .isEqualTo("page=2&access_token=[redacted]&Code=[redacted]&session=[redacted]&flag&q=[redacted]");
        assertThat(r.query(null)).isNull();
    }
}
