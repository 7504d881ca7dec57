package io.trustline.sidecar.refusal;

import static org.assertj.core.api.Assertions.assertThat;

import io.trustline.ca.SvidValidationException;
import io.trustline.policy.engine.AuthzReason;
import io.trustline.policy.engine.CorsCheck;
import io.trustline.policy.engine.RequestLimitsCheck;
import io.trustline.sidecar.connection.SlowClientReason;
import io.trustline.sidecar.request.JwtReason;
import io.trustline.sidecar.request.RateLimitOutcome;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** The closed set maps every code of the other modules and of the sidecar's own reason enums one to one. */
class ReasonCodeTest {

    @Test
    void mapsEveryAuthorizationReasonToTheCodeThePolicyModuleSpells() {
        for (AuthzReason r : AuthzReason.values()) {
            assertThat(ReasonCode.of(r).code()).as(r.name()).isEqualTo(r.code());
        }
    }

    @Test
    void mapsEveryCorsOutcomeWithAReasonToThatCodeAndTheOthersToNone() {
        for (CorsCheck.Outcome o : CorsCheck.Outcome.values()) {
            final ReasonCode code = ReasonCode.of(o);
            if (o.reason() == null) {
                assertThat(code).as(o.name()).isNull();
            } else {
                assertThat(code).as(o.name()).isNotNull();
                assertThat(code.code()).as(o.name()).isEqualTo(o.reason());
            }
        }
    }

    @Test
    void mapsEverySvidReasonToTheCodeTheCaSpells() {
        for (SvidValidationException.Reason r : SvidValidationException.Reason.values()) {
            assertThat(ReasonCode.of(r).code()).as(r.name()).isEqualTo(r.code());
        }
    }

    @Test
    void mapsEachRequestLimitToTheCodeThePolicyModuleSpells() {
        assertThat(ReasonCode.of(RequestLimitsCheck.Exceeded.QUERY_TOO_LONG))
                .isEqualTo(ReasonCode.REQUEST_QUERY_TOO_LONG);
        assertThat(ReasonCode.of(RequestLimitsCheck.Exceeded.TOO_MANY_QUERY_PARAMS))
                .isEqualTo(ReasonCode.REQUEST_TOO_MANY_QUERY_PARAMS);
        assertThat(ReasonCode.of(RequestLimitsCheck.Exceeded.TOO_MANY_HEADERS))
                .isEqualTo(ReasonCode.REQUEST_TOO_MANY_HEADERS);
        for (RequestLimitsCheck.Exceeded e : RequestLimitsCheck.Exceeded.values()) {
            assertThat(ReasonCode.of(e).code()).as(e.name()).isEqualTo(e.reason());
        }
    }

    @Test
    void givesEveryJwtSlowClientAndRateLimitReasonItsOwnCode() {
        assertThat(Arrays.stream(JwtReason.values()).map(JwtReason::code)).doesNotHaveDuplicates();
        assertThat(Arrays.stream(SlowClientReason.values()).map(SlowClientReason::code))
                .doesNotHaveDuplicates();
        assertThat(Arrays.stream(RateLimitOutcome.Kind.values()).map(RateLimitOutcome.Kind::reason))
                .containsExactly(ReasonCode.RATELIMIT_EXCEEDED, ReasonCode.RATELIMIT_PENALTY_BOX);
    }

    @Test
    void aJwtRefusalCarriesItsReasonsCode() {
        for (JwtReason r : JwtReason.values()) {
            assertThat(r.refusal().reason()).as(r.name()).isEqualTo(r.code());
        }
    }
}
