package io.trustline.sidecar.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.linecorp.armeria.client.ClientRequestContext;
import com.linecorp.armeria.client.UnprocessedRequestException;
import com.linecorp.armeria.client.WebClient;
import com.linecorp.armeria.common.AggregatedHttpResponse;
import com.linecorp.armeria.common.ClosedSessionException;
import com.linecorp.armeria.common.HttpData;
import com.linecorp.armeria.common.HttpMethod;
import com.linecorp.armeria.common.HttpRequest;
import com.linecorp.armeria.common.HttpRequestWriter;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpResponseWriter;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.MediaType;
import com.linecorp.armeria.common.RequestHeaders;
import com.linecorp.armeria.common.ResponseHeaders;
import com.linecorp.armeria.common.logging.RequestLogBuilder;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.trustline.sidecar.metrics.MetricNames;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CompletionException;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Which failed requests {@link AppRetryingClient} sends to the app again, against a fake app that fails each attempt as
 * scripted and fills the request log as Armeria's HTTP client does (the end-to-end race, with real sockets, is
 * {@link AppKeepAliveRaceEndToEndTest}).
 */
class AppRetryingClientTest {

    private MeterRegistry meters;
    private ScriptedApp app;
    private WebClient client;

    @BeforeEach
    void setUp() {
        meters = new SimpleMeterRegistry();
        app = new ScriptedApp();
        client = WebClient.builder("http://127.0.0.1:1")
                .decorator((delegate, ctx, req) -> app.serve(ctx, req))
                .decorator(AppRetryingClient.newDecorator(meters))
                .build();
    }

    private AggregatedHttpResponse call(HttpRequest req) {
        return client.execute(req).aggregate().join();
    }

    private double retries(String reason) {
        return meters.get(MetricNames.INBOUND_APP_RETRIES)
                .tag(MetricNames.REASON, reason)
                .counter()
                .count();
    }

    @Test
    void anyMethodWithoutABodyIsSentAgainWhenArmeriaReportsItNeverSent() {
        app.script(Outcome.NOT_SENT, Outcome.ANSWER);

        final AggregatedHttpResponse res = call(HttpRequest.of(HttpMethod.POST, "/orders"));

        assertThat(res.status()).isEqualTo(HttpStatus.OK);
        assertThat(app.attempts).isEqualTo(2);
        assertThat(app.received).containsExactly("POST /orders");
        assertThat(retries("upstream.connect_failed")).isEqualTo(1);
        assertThat(retries("upstream.reset")).isZero();
    }

    @ParameterizedTest
    @EnumSource(
            value = HttpMethod.class,
            names = {"GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"})
    void anIdempotentRequestWithoutABodyIsSentAgainWhenTheConnectionClosedBeforeAnyHeader(HttpMethod method) {
        app.script(Outcome.CLOSED_BEFORE_HEADERS, Outcome.ANSWER);

        final AggregatedHttpResponse res = call(HttpRequest.of(method, "/items/1"));

        assertThat(res.status()).isEqualTo(HttpStatus.OK);
        assertThat(app.received).hasSize(2);
        assertThat(retries("upstream.reset")).isEqualTo(1);
    }

    @ParameterizedTest
    @EnumSource(
            value = HttpMethod.class,
            names = {"POST", "PATCH"})
    void aRequestThatMayHaveChangedSomethingIsNotSentAgainAfterTheConnectionClosed(HttpMethod method) {
        app.script(Outcome.CLOSED_BEFORE_HEADERS, Outcome.ANSWER);

        assertThatThrownBy(() -> call(HttpRequest.of(method, "/orders")))
                .isInstanceOf(CompletionException.class)
                .hasCauseInstanceOf(ClosedSessionException.class);
        assertThat(app.received).hasSize(1);
        assertThat(retries("upstream.reset")).isZero();
    }

    @Test
    void aRequestWithABodyGoesThePlainPathAndIsNeverSentAgain() {
        app.script(Outcome.NOT_SENT, Outcome.ANSWER);
        final HttpRequestWriter streamed = HttpRequest.streaming(RequestHeaders.builder(HttpMethod.PUT, "/items/1")
                .contentType(MediaType.PLAIN_TEXT_UTF_8)
                .build());
        streamed.write(HttpData.ofUtf8("one"));
        streamed.close();

        assertThatThrownBy(() -> call(streamed)).hasCauseInstanceOf(UnprocessedRequestException.class);
        assertThat(app.attempts).isEqualTo(1);

        app.script(Outcome.CLOSED_BEFORE_HEADERS, Outcome.ANSWER);
        assertThatThrownBy(() -> call(HttpRequest.of(HttpMethod.PUT, "/items/2", MediaType.PLAIN_TEXT_UTF_8, "two")))
                .hasCauseInstanceOf(ClosedSessionException.class);
        assertThat(app.attempts).isEqualTo(2);
        assertThat(app.received).containsExactly("PUT /items/2");
        assertThat(retries("upstream.connect_failed") + retries("upstream.reset"))
                .isZero();
    }

    @Test
    void aResponseThatFailedAfterItsHeadersIsNotSentAgainEvenWhenTheFailureIsKnownFirst() {
        app.script(Outcome.CLOSED_AFTER_HEADERS, Outcome.ANSWER);

        assertThatThrownBy(() -> call(HttpRequest.of(HttpMethod.GET, "/report")))
                .hasCauseInstanceOf(ClosedSessionException.class);
        assertThat(app.received).containsExactly("GET /report");
        assertThat(retries("upstream.reset")).isZero();
    }

    @Test
    void aRequestIsSentAgainOnceAndTheCallerGetsTheSecondFailure() {
        app.script(Outcome.CLOSED_BEFORE_HEADERS, Outcome.NOT_SENT, Outcome.ANSWER);

        assertThatThrownBy(() -> call(HttpRequest.of(HttpMethod.GET, "/items")))
                .hasCauseInstanceOf(UnprocessedRequestException.class);
        assertThat(app.attempts).isEqualTo(2);
        assertThat(retries("upstream.reset")).isEqualTo(1);
        assertThat(retries("upstream.connect_failed"))
                .as("the last attempt's failure is not a retry")
                .isZero();
    }

    @Test
    void theAppNeverSeesArmeriasRetryMarkButTheCallersOwnHeaderGoesThrough() {
        app.script(Outcome.CLOSED_BEFORE_HEADERS, Outcome.ANSWER);
        call(HttpRequest.of(HttpMethod.GET, "/a"));
        assertThat(app.retryCounts).containsExactly((String) null, null);

        app.script(Outcome.CLOSED_BEFORE_HEADERS, Outcome.ANSWER);
        call(HttpRequest.of(RequestHeaders.builder(HttpMethod.GET, "/b")
                .add("armeria-retry-count", "3")
                .build()));
        assertThat(app.retryCounts).containsExactly(null, null, "3", "3");
    }

    private enum Outcome {
        /** 200 with a body. */
        ANSWER,
        /** Armeria found the connection closed before writing the request. */
        NOT_SENT,
        /** The request was written, and the connection closed without a byte of answer. */
        CLOSED_BEFORE_HEADERS,
        /** The app's headers and part of its body arrived, then the connection closed; the failure is logged first. */
        CLOSED_AFTER_HEADERS
    }

    /** A fake app: each attempt takes the next scripted outcome; the script is replaced, not the counts. */
    private static final class ScriptedApp {

        /** The requests that reached the app, as {@code METHOD path}. */
        final List<String> received = new ArrayList<>();

        final List<@Nullable String> retryCounts = new ArrayList<>();
        private final Deque<Outcome> script = new ArrayDeque<>();
        int attempts;

        void script(Outcome... outcomes) {
            script.clear();
            script.addAll(List.of(outcomes));
        }

        HttpResponse serve(ClientRequestContext ctx, HttpRequest req) {
            final Outcome outcome = script.remove();
            attempts++;
            final RequestLogBuilder log = ctx.logBuilder();
            if (outcome == Outcome.NOT_SENT) {
                return HttpResponse.ofFailure(UnprocessedRequestException.of(ClosedSessionException.get()));
            }
            received.add(req.method() + " " + req.path());
            retryCounts.add(req.headers().get("armeria-retry-count"));
            log.requestFirstBytesTransferred();
            log.endRequest();
            switch (outcome) {
                case CLOSED_BEFORE_HEADERS -> {
                    log.endResponse(ClosedSessionException.get());
                    return HttpResponse.ofFailure(ClosedSessionException.get());
                }
                case CLOSED_AFTER_HEADERS -> {
                    final ResponseHeaders headers = ResponseHeaders.of(HttpStatus.OK);
                    log.responseHeaders(headers);
                    log.endResponse(ClosedSessionException.get());
                    final HttpResponseWriter res = HttpResponse.streaming();
                    res.write(headers);
                    res.write(HttpData.ofUtf8("0123456789"));
                    res.close(ClosedSessionException.get());
                    return res;
                }
                default -> {
                    final ResponseHeaders headers = ResponseHeaders.of(HttpStatus.OK);
                    log.responseHeaders(headers);
                    log.endResponse();
                    return HttpResponse.of(headers, HttpData.ofUtf8("ok"));
                }
            }
        }
    }
}
