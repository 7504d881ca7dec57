package io.trustline.sidecar.outbound.endpoints;

import static org.assertj.core.api.Assertions.assertThat;

import com.linecorp.armeria.client.Endpoint;
import com.linecorp.armeria.client.endpoint.DynamicEndpointGroup;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The layer over Armeria's outlier detection: it follows the rotation the outlier group keeps, counts each ejection
 * once, and never lets more than {@code maxEjectedPercent} of the source's endpoints be out at once. The source and the
 * outlier group are real Armeria dynamic groups whose lists the test sets.
 */
class EjectionLimitingEndpointGroupTest {

    private static final Endpoint A = Endpoint.of("10.0.0.1", 15006);
    private static final Endpoint B = Endpoint.of("10.0.0.2", 15006);
    private static final Endpoint C = Endpoint.of("10.0.0.3", 15006);
    private static final Endpoint D = Endpoint.of("10.0.0.4", 15006);

    private final Counter ejections = Counter.builder("ejections").register(new SimpleMeterRegistry());
    private final Settable source = new Settable();
    private final Settable rotation = new Settable();

    /** A dynamic group whose endpoints the test sets, as a DNS answer or the outlier detector would. */
    static final class Settable extends DynamicEndpointGroup {
        void set(Endpoint... endpoints) {
            setEndpoints(List.of(endpoints));
        }
    }

    private EjectionLimitingEndpointGroup group(int maxEjectedPercent) {
        return new EjectionLimitingEndpointGroup("inventory", source, rotation, maxEjectedPercent, ejections, 1000);
    }

    @Test
    void followsTheRotationAndCountsEachEjectionOnce() {
        source.set(A, B, C, D);
        rotation.set(A, B, C, D);
        final EjectionLimitingEndpointGroup group = group(50);
        assertThat(group.endpoints()).containsExactlyInAnyOrder(A, B, C, D);

        rotation.set(A, B, D);
        rotation.set(A, B, D);
        assertThat(group.endpoints()).containsExactlyInAnyOrder(A, B, D);
        assertThat(ejections.count()).isEqualTo(1);
        assertThat(group.ejectedNow()).isEqualTo(1);

        rotation.set(A, B, C, D);
        assertThat(group.endpoints()).containsExactlyInAnyOrder(A, B, C, D);
        assertThat(ejections.count()).isEqualTo(1);
        assertThat(group.ejectedNow()).isZero();
    }

    @Test
    void neverEjectsMoreThanTheMaximumShare() {
        source.set(A, B, C);
        rotation.set(A, B, C);
        final EjectionLimitingEndpointGroup group = group(50);

        // Outlier detection wants B and C out; 50 % of three endpoints is one: the lowest address, B, stays in.
        rotation.set(A);
        assertThat(group.endpoints()).containsExactlyInAnyOrder(A, B);
        assertThat(ejections.count()).isEqualTo(1);
        assertThat(group.ejectedNow()).as("B was put back: it serves").isEqualTo(1);
    }

    @Test
    void neverEjectsTheOnlyEndpoint() {
        source.set(A);
        rotation.set(A);
        final EjectionLimitingEndpointGroup group = group(100 - 1);

        rotation.set();
        assertThat(group.endpoints()).containsExactly(A);
        assertThat(ejections.count()).isZero();
        assertThat(group.ejectedNow()).isZero();
    }

    @Test
    void anEndpointTheSourceDropsIsNotAnEjection() {
        source.set(A, B, C);
        rotation.set(A, B, C);
        final EjectionLimitingEndpointGroup group = group(50);

        source.set(A, B);
        rotation.set(A, B);
        assertThat(group.endpoints()).containsExactlyInAnyOrder(A, B);
        assertThat(ejections.count()).isZero();
    }

    @Test
    void withoutOutlierDetectionTheRotationIsTheSource() {
        source.set(A, B, C);
        final EjectionLimitingEndpointGroup group =
                new EjectionLimitingEndpointGroup("inventory", source, null, 0, ejections, 1000);
        assertThat(group.endpoints()).containsExactlyInAnyOrder(A, B, C);
        source.set(C);
        assertThat(group.endpoints()).containsExactly(C);
    }
}
