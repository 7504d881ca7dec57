package io.trustline.sidecar.connection;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class TransferCodingCheckTest {

    @ParameterizedTest(name = "[{0}]")
    @ValueSource(strings = {"chunked", "CHUNKED", "Chunked"})
    void exactlyOneChunkedIsAcceptable(String value) {
        assertThat(TransferCodingCheck.acceptable(request(value))).isTrue();
    }

    @ParameterizedTest(name = "[{0}]")
    @ValueSource(
            strings = {"", ",", "gzip", "identity", "gzip, chunked", "chunked, gzip", "chunked,", "chunked, chunked"})
    void anythingElseIsNot(String value) {
        assertThat(TransferCodingCheck.acceptable(request(value))).isFalse();
    }

    @Test
    void noHeaderIsAcceptableAndTwoChunkedLinesAreNot() {
        assertThat(TransferCodingCheck.acceptable(new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/")))
                .isTrue();
        final HttpRequest twice = request("chunked");
        twice.headers().add("transfer-encoding", "chunked");
        assertThat(TransferCodingCheck.acceptable(twice)).isFalse();
    }

    private static HttpRequest request(String transferEncoding) {
        final HttpRequest req = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, "/");
        req.headers().add("transfer-encoding", transferEncoding);
        return req;
    }
}
