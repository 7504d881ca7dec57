package io.trustline.sidecar.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import com.linecorp.armeria.client.UnprocessedRequestException;
import com.linecorp.armeria.common.ClosedSessionException;
import com.linecorp.armeria.common.HttpMethod;
import com.linecorp.armeria.common.stream.ClosedStreamException;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.trustline.sidecar.metrics.MetricNames;
import java.io.IOException;
import java.net.ConnectException;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;

class AppResendTest {

    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private final AppResend resend = new AppResend(meters);

    private double count(String reason) {
        return meters.get(MetricNames.INBOUND_APP_RETRIES)
                .tag(MetricNames.REASON, reason)
                .counter()
                .count();
    }

    @Test
    void anyMethodIsSentAgainWhenArmeriaReportsItNeverSent() {
        final UnprocessedRequestException notSent = UnprocessedRequestException.of(new ConnectException("refused"));
        for (HttpMethod m : new HttpMethod[] {HttpMethod.GET, HttpMethod.POST, HttpMethod.PATCH}) {
            assertThat(resend.sendAgain(m, notSent)).as(m.name()).isTrue();
        }
        assertThat(resend.sendAgain(HttpMethod.POST, new CompletionException(notSent)))
                .as("wrapped, as a future hands it on")
                .isTrue();
        assertThat(count("upstream.connect_failed")).isEqualTo(4);
        assertThat(count("upstream.reset")).isZero();
    }

    @Test
    void onlyAnIdempotentMethodIsSentAgainWhenTheConnectionClosedBeforeTheAnswer() {
        for (HttpMethod m : AppResend.IDEMPOTENT) {
            assertThat(resend.sendAgain(m, ClosedSessionException.get()))
                    .as(m.name())
                    .isTrue();
        }
        assertThat(resend.sendAgain(HttpMethod.GET, ClosedStreamException.get()))
                .isTrue();
        assertThat(AppResend.IDEMPOTENT)
                .containsExactlyInAnyOrder(
                        HttpMethod.GET,
                        HttpMethod.HEAD,
                        HttpMethod.OPTIONS,
                        HttpMethod.TRACE,
                        HttpMethod.PUT,
                        HttpMethod.DELETE);
        for (HttpMethod m : new HttpMethod[] {HttpMethod.POST, HttpMethod.PATCH, HttpMethod.CONNECT}) {
            assertThat(resend.sendAgain(m, ClosedSessionException.get()))
                    .as(m.name())
                    .isFalse();
            assertThat(resend.sendAgain(m, ClosedStreamException.get()))
                    .as(m.name())
                    .isFalse();
        }
        assertThat(count("upstream.reset")).isEqualTo(AppResend.IDEMPOTENT.size() + 1);
    }

    @Test
    void otherFailuresAreNotSentAgain() {
        assertThat(resend.sendAgain(HttpMethod.GET, new IOException("reset by peer")))
                .isFalse();
        assertThat(resend.sendAgain(HttpMethod.GET, new IllegalStateException("x")))
                .isFalse();
        assertThat(count("upstream.reset")).isZero();
        assertThat(count("upstream.connect_failed")).isZero();
    }
}
