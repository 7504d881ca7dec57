package io.trustline.sidecar.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import com.linecorp.armeria.common.HttpData;
import com.linecorp.armeria.common.HttpHeaders;
import com.linecorp.armeria.common.HttpObject;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpResponseWriter;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.ResponseHeaders;
import java.util.List;
import org.junit.jupiter.api.Test;

class AppResponseFilterTest {

    private static List<HttpObject> filtered(boolean http1App, HttpObject... objects) {
        final HttpResponseWriter res = HttpResponse.streaming();
        for (HttpObject o : objects) {
            res.write(o);
        }
        res.close();
        return AppResponseFilter.apply(res, http1App).collect().join();
    }

    private static ResponseHeaders ok(long length) {
        return ResponseHeaders.builder(HttpStatus.OK).contentLength(length).build();
    }

    @Test
    void theChunkThatCompletesTheDeclaredLengthEndsTheStream() {
        final List<HttpObject> out = filtered(true, ok(5), HttpData.ofUtf8("ab"), HttpData.ofUtf8("cde"));
        assertThat(out).hasSize(3);
        assertThat(out.get(1).isEndOfStream()).isFalse();
        assertThat(out.get(2).isEndOfStream()).isTrue();
        assertThat(((HttpData) out.get(2)).toStringUtf8()).isEqualTo("cde");
    }

    @Test
    void withoutALengthOrWithoutABodyNothingIsMarked() {
        final List<HttpObject> chunked = filtered(
                true, ResponseHeaders.of(HttpStatus.OK), HttpData.ofUtf8("ab"), HttpHeaders.of("x-checksum", "1"));
        assertThat(chunked).noneMatch(HttpObject::isEndOfStream);
        assertThat(chunked.get(2)).isEqualTo(HttpHeaders.of("x-checksum", "1"));

        // A HEAD answer or a 304: a length, and no body to complete it.
        assertThat(filtered(true, ok(1000))).hasSize(1);
        // A length the chunks do not reach: a cut body is never marked complete.
        assertThat(filtered(true, ok(100), HttpData.ofUtf8("0123456789"))).noneMatch(HttpObject::isEndOfStream);
        assertThat(filtered(true, ok(0))).noneMatch(HttpObject::isEndOfStream);
    }

    @Test
    void anHttp2AppsBodyIsLeftAloneForItMayStillHaveTrailers() {
        final List<HttpObject> out = filtered(false, ok(2), HttpData.ofUtf8("ok"), HttpHeaders.of("grpc-status", "0"));
        assertThat(out).hasSize(3).noneMatch(HttpObject::isEndOfStream);
    }

    @Test
    void finalHeadersAreScrubbedAndInformationalOnesAreNotCounted() {
        final List<HttpObject> out = filtered(
                true,
                ResponseHeaders.of(HttpStatus.CONTINUE),
                ResponseHeaders.builder(HttpStatus.OK)
                        .contentLength(2)
                        .add("server", "nginx/1.25.3")
                        .add("x-powered-by", "PHP/8.2")
                        .build(),
                HttpData.ofUtf8("ok"));
        assertThat(((ResponseHeaders) out.get(0)).status()).isEqualTo(HttpStatus.CONTINUE);
        final ResponseHeaders headers = (ResponseHeaders) out.get(1);
        assertThat(headers.contains("server")).isFalse();
        assertThat(headers.contains("x-powered-by")).isFalse();
        assertThat(out.get(2).isEndOfStream()).isTrue();
    }
}
