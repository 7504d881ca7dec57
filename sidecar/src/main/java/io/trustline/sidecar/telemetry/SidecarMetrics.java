package io.trustline.sidecar.telemetry;

import static java.util.Objects.requireNonNull;

import com.linecorp.armeria.server.Server;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.trustline.ca.SvidValidationException;
import io.trustline.policy.PolicyStore;
import io.trustline.policy.PolicyStore.Outcome;
import io.trustline.sidecar.identity.MeshTls;
import io.trustline.sidecar.identity.WorkloadIdentity;
import io.trustline.sidecar.metrics.MetricNames;
import io.trustline.sidecar.refusal.ReasonCode;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * The sidecar's state as metrics: the policy version in force and its reloads, the workload certificate's expiry
 * and renewals, the open connections of each listener, refused client certificates, the JVM and the process. Everything is read from listeners and from values the
 * sidecar keeps anyway; nothing here runs per request.
 */
public final class SidecarMetrics {

    private static final String RENEWALS_HELP = "Workload certificate renewals by result: success is a new certificate"
            + " taken into use after the first, failure a failed attempt (each retry counts; the current one stays)";

    /** Counts reloads by result and exports the version in force as {@value MetricNames#POLICY_INFO}. */
    public static void bindPolicy(MeterRegistry meters, PolicyStore store) {
        final Counter success = reloads(meters, "success");
        final Counter failure = reloads(meters, "failure");
        final MultiGauge info = MultiGauge.builder(MetricNames.POLICY_INFO)
                .description("The policy version in force (always 1)")
                .register(meters);
        info.register(List.of(MultiGauge.Row.of(Tags.of(MetricNames.VERSION, store.version()), 1)), true);
        store.addListener(event -> {
            if (event.outcome() == Outcome.SUCCESS) {
                success.increment();
                info.register(List.of(MultiGauge.Row.of(Tags.of(MetricNames.VERSION, event.activeVersion()), 1)), true);
            } else if (event.outcome() == Outcome.FAILURE) {
                failure.increment();
            }
        });
    }

    private static Counter reloads(MeterRegistry meters, String result) {
        return Counter.builder(MetricNames.POLICY_RELOADS)
                .description("Policy reloads that changed something, by result (a failure keeps the last good one)")
                .tag(MetricNames.RESULT, result)
                .register(meters);
    }

    /** Exports the current certificate's not-after and counts new certificates taken into use and failed renewals. */
    public static void bindIdentity(MeterRegistry meters, MeshTls tls, WorkloadIdentity identity) {
        Gauge.builder(
                        MetricNames.CERTIFICATE_NOT_AFTER,
                        tls,
                        t -> t.svid().notAfter().getEpochSecond())
                .description("When the workload certificate in use expires (seconds since the epoch)")
                .baseUnit("seconds")
                .register(meters);
        final Counter renewals = Counter.builder(MetricNames.CERTIFICATE_RENEWALS)
                .description(RENEWALS_HELP)
                .tag(MetricNames.RESULT, "success")
                .register(meters);
        identity.addListener(svid -> renewals.increment());
        FunctionCounter.builder(MetricNames.CERTIFICATE_RENEWALS, identity, WorkloadIdentity::failedRenewals)
                .description(RENEWALS_HELP)
                .tag(MetricNames.RESULT, "failure")
                .register(meters);
    }

    /** Exports the open connections of {@code server}, the {@code listener} (inbound, outbound) listener. */
    public static void bindListener(MeterRegistry meters, String listener, Server server) {
        Gauge.builder(
                        MetricNames.OPEN_CONNECTIONS,
                        server,
                        s -> s.config().serverMetrics().activeConnections())
                .description("Open client connections of a listener")
                .tag(MetricNames.LISTENER, listener)
                .register(meters);
    }

    /**
     * Counts client certificates the inbound listener refuses in the handshake, by {@code svid.*} reason; every
     * reason's series exists from the start, so a rate over it is 0 rather than absent.
     */
    public static void bindTlsFailures(MeterRegistry meters, String listener, MeshTls tls) {
        final Map<SvidValidationException.Reason, Counter> counters =
                new EnumMap<>(SvidValidationException.Reason.class);
        for (SvidValidationException.Reason reason : SvidValidationException.Reason.values()) {
            counters.put(
                    reason,
                    Counter.builder(MetricNames.TLS_HANDSHAKE_FAILURES)
                            .description("Client certificates refused in the TLS handshake, by reason")
                            .tag(MetricNames.LISTENER, listener)
                            .tag(MetricNames.REASON, ReasonCode.of(reason).code())
                            .register(meters));
        }
        tls.onPeerRejected(
                reason -> requireNonNull(counters.get(reason), "counter").increment());
    }

    /**
     * JVM and process metrics with Micrometer's binders: memory and buffer pools, GC, threads, classes, CPU,
     * uptime, open file descriptors. The returned handle stops the GC binder's notification listener.
     */
    public static AutoCloseable bindProcess(MeterRegistry meters) {
        new JvmMemoryMetrics().bindTo(meters);
        new JvmThreadMetrics().bindTo(meters);
        new ClassLoaderMetrics().bindTo(meters);
        new ProcessorMetrics().bindTo(meters);
        new UptimeMetrics().bindTo(meters);
        new FileDescriptorMetrics().bindTo(meters);
        final JvmGcMetrics gc = new JvmGcMetrics();
        gc.bindTo(meters);
        return gc;
    }

    private SidecarMetrics() {}
}
