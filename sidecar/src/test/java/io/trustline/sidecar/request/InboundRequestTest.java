package io.trustline.sidecar.request;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.linecorp.armeria.common.HttpMethod;
import com.linecorp.armeria.common.HttpRequest;
import com.linecorp.armeria.server.ServiceRequestContext;
import io.trustline.policy.path.PathNormalizer;
import io.trustline.sidecar.refusal.ReasonCode;
import io.trustline.sidecar.refusal.RefusalException;
import io.trustline.sidecar.refusal.RefusalKind;
import org.junit.jupiter.api.Test;

class InboundRequestTest {

    @Test
    void aStageReadingTheViewBeforeHygieneIsRefusedAsInternalNeverGivenTheRawPath() {
        final ServiceRequestContext ctx = ServiceRequestContext.of(HttpRequest.of(HttpMethod.GET, "/api/secret"));
        assertThatThrownBy(() -> InboundRequest.of(ctx)).isInstanceOfSatisfying(RefusalException.class, e -> {
            assertThat(e.refusal().kind()).isEqualTo(RefusalKind.INTERNAL);
            assertThat(e.refusal().reason()).isEqualTo(ReasonCode.INTERNAL_REQUEST_VIEW_MISSING);
        });
    }

    @Test
    void theViewHygienePutIsTheOneLaterStagesRead() {
        final ServiceRequestContext ctx = ServiceRequestContext.of(HttpRequest.of(HttpMethod.GET, "/x"));
        InboundRequest.put(ctx, new InboundRequest(PathNormalizer.normalize("/a/../b?q=%20")));
        assertThat(InboundRequest.of(ctx).normalizedPath()).isEqualTo("/b");
        assertThat(InboundRequest.of(ctx).query()).isEqualTo("q=%20");
        assertThat(InboundRequest.of(ctx).withQuery(null).path().pathAndQuery()).isEqualTo("/b");
    }

    @Test
    void anInvalidPathCannotBecomeAView() {
        assertThatThrownBy(() -> new InboundRequest(PathNormalizer.normalize("/a%2Fb")))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
