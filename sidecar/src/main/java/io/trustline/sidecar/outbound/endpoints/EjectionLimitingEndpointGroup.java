package io.trustline.sidecar.outbound.endpoints;

import com.linecorp.armeria.client.Endpoint;
import com.linecorp.armeria.client.endpoint.DynamicEndpointGroup;
import com.linecorp.armeria.client.endpoint.EndpointGroup;
import com.linecorp.armeria.client.endpoint.EndpointSelectionStrategy;
import io.micrometer.core.instrument.Counter;
import io.trustline.sidecar.request.StageOutcomes;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A route's rotation: the endpoints of its source that Armeria's outlier detection
 * ({@link com.linecorp.armeria.client.endpoint.OutlierDetectingEndpointGroup}) keeps in, balanced round-robin per
 * request. Armeria's group may eject every endpoint; this layer is the smallest addition that bounds it: at most
 * {@code maxEjectedPercent} of the source's endpoints (rounded down) are out at once, and the ones beyond that share
 * are put back (lowest address first), so a route-wide failure still reaches the endpoints and the caller sees its
 * cause rather than an empty route. It also logs and counts each ejection, which Armeria's group does not report
 * per route.
 *
 * <p>Without outlier detection ({@code outliers} null) the rotation is the source's endpoints.
 */
final class EjectionLimitingEndpointGroup extends DynamicEndpointGroup {

    private static final Logger logger = LoggerFactory.getLogger(EjectionLimitingEndpointGroup.class);
    private static final Comparator<Endpoint> ORDER = Comparator.naturalOrder();

    private final String route;
    private final EndpointGroup source;
    private final @Nullable EndpointGroup outliers;
    private final int maxEjectedPercent;
    private final Counter ejections;
    // Guarded by this.
    private final Set<Endpoint> ejected = new TreeSet<>(ORDER);
    // Guarded by this: the outlier group's rotation last seen, to tell an ejection from a removal by the source.
    private Set<Endpoint> lastRotation = Set.of();

    EjectionLimitingEndpointGroup(
            String route,
            EndpointGroup source,
            @Nullable EndpointGroup outliers,
            int maxEjectedPercent,
            Counter ejections,
            long selectionTimeoutMillis) {
        super(EndpointSelectionStrategy.roundRobin(), true, selectionTimeoutMillis);
        this.route = route;
        this.source = source;
        this.outliers = outliers;
        this.maxEjectedPercent = maxEjectedPercent;
        this.ejections = ejections;
        source.addListener(unused -> update(), true);
        if (outliers != null) {
            outliers.addListener(unused -> update(), true);
        }
    }

    private synchronized void update() {
        final List<Endpoint> all = source.endpoints();
        if (outliers == null) {
            setEndpoints(all);
            return;
        }
        final Set<Endpoint> inSource = new HashSet<>(all);
        final Set<Endpoint> rotation = new HashSet<>(outliers.endpoints());
        rotation.retainAll(inSource);
        final List<Endpoint> newlyEjected = new ArrayList<>();
        for (Endpoint e : lastRotation) {
            if (!rotation.contains(e) && inSource.contains(e) && ejected.add(e)) {
                newlyEjected.add(e);
            }
        }
        ejected.removeIf(e -> rotation.contains(e) || !inSource.contains(e));
        lastRotation = rotation;

        final List<Endpoint> serving = new ArrayList<>(all.size());
        for (Endpoint e : all) {
            if (rotation.contains(e)) {
                serving.add(e);
            }
        }
        int readmit = ejected.size() - allowedEjections(all.size());
        for (Endpoint e : ejected) {
            if (readmit-- <= 0) {
                break;
            }
            serving.add(e);
        }
        setEndpoints(serving);
        for (Endpoint e : newlyEjected) {
            onEjected(e, serving.contains(e));
        }
    }

    /** The endpoints ejected and not put back now (those the share forced back in are serving, not ejected). */
    synchronized int ejectedNow() {
        return Math.min(ejected.size(), allowedEjections(source.endpoints().size()));
    }

    /** How many of {@code endpoints} may be out at once: the share, rounded down (none of a single endpoint). */
    int allowedEjections(int endpoints) {
        return endpoints * maxEjectedPercent / 100;
    }

    private void onEjected(Endpoint e, boolean keptIn) {
        if (keptIn) {
            logger.atWarn()
                    .setMessage("endpoint failing but kept in the rotation: maxEjectedPercent reached")
                    .addKeyValue("route", route)
                    .addKeyValue("endpoint", StageOutcomes.upstreamAddress(e))
                    .log();
            return;
        }
        ejections.increment();
        logger.atWarn()
                .setMessage("endpoint ejected")
                .addKeyValue("route", route)
                .addKeyValue("endpoint", StageOutcomes.upstreamAddress(e))
                .log();
    }

    @Override
    protected void doCloseAsync(CompletableFuture<?> future) {
        final EndpointGroup closing = outliers != null ? outliers : source;
        // The outlier group closes its delegate, the source, itself.
        closing.closeAsync().handle((unused, cause) -> future.complete(null));
    }
}
