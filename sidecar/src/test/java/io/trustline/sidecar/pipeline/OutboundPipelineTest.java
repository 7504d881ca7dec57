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

class OutboundPipelineTest {

    private final List<String> calls = new ArrayList<>();

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
    void telemetryWrapsOverloadProtectionWhichWrapsTheForward() throws Exception {
        final HttpService forward = (ctx, req) -> {
            calls.add("forward");
            return HttpResponse.of(200);
        };
        final HttpService chain = OutboundPipeline.build(
                forward, new OutboundPipeline.Stages(recording("telemetry"), recording("overload")));
        final HttpRequest req = HttpRequest.of(HttpMethod.GET, "/");
        chain.serve(ServiceRequestContext.of(req), req);
        assertThat(calls).containsExactly("telemetry", "overload", "forward");
    }
}
