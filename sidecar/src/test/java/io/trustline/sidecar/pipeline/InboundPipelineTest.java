package io.trustline.sidecar.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import com.linecorp.armeria.common.HttpMethod;
import com.linecorp.armeria.common.HttpRequest;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.server.HttpService;
import com.linecorp.armeria.server.ServiceRequestContext;
import com.linecorp.armeria.server.SimpleDecoratingHttpService;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class InboundPipelineTest {

    private final List<String> calls = new ArrayList<>();

    /** A stand-in in the slot of {@code S} that records when a request passes it. */
    private <S> Stage<S> recording(String name) {
        return Stage.inSlot(delegate -> new SimpleDecoratingHttpService(delegate) {
            @Override
            public HttpResponse serve(ServiceRequestContext ctx, HttpRequest req) throws Exception {
                calls.add(name);
                return unwrap().serve(ctx, req);
            }
        });
    }

    @Test
    void stagesRunInTheDesignedOrder() throws Exception {
        final HttpService proxy = (ctx, req) -> {
            calls.add("proxy");
            return HttpResponse.of(200);
        };
        final HttpService chain = InboundPipeline.build(
                proxy,
                new InboundPipeline.Stages(
                        recording("telemetry"),
                        recording("overload"),
                        recording("peerIdentity"),
                        recording("hygiene"),
                        recording("peerRateLimits"),
                        recording("requestLimits"),
                        recording("cors"),
                        recording("jwt"),
                        recording("authorization"),
                        recording("deprecation"),
                        recording("userRateLimits")));
        final HttpRequest req = HttpRequest.of(HttpMethod.GET, "/");
        chain.serve(ServiceRequestContext.of(req), req);
        assertThat(calls)
                .containsExactly(
                        "telemetry",
                        "overload",
                        "peerIdentity",
                        "hygiene",
                        "peerRateLimits",
                        "requestLimits",
                        "cors",
                        "jwt",
                        "authorization",
                        "deprecation",
                        "userRateLimits",
                        "proxy");
    }

    @Test
    void anEmptyOverloadSlotPassesRequestsStraightOn() throws Exception {
        final HttpService proxy = (ctx, req) -> {
            calls.add("proxy");
            return HttpResponse.of(200);
        };
        final HttpService chain = InboundPipeline.build(
                proxy,
                new InboundPipeline.Stages(
                        recording("telemetry"),
                        Stage.noOverloadProtection(),
                        recording("peerIdentity"),
                        recording("hygiene"),
                        recording("peerRateLimits"),
                        recording("requestLimits"),
                        recording("cors"),
                        recording("jwt"),
                        recording("authorization"),
                        recording("deprecation"),
                        recording("userRateLimits")));
        final HttpRequest req = HttpRequest.of(HttpMethod.GET, "/");
        chain.serve(ServiceRequestContext.of(req), req);
        assertThat(calls).hasSize(11).doesNotContain("overload").startsWith("telemetry", "peerIdentity");
    }
}
