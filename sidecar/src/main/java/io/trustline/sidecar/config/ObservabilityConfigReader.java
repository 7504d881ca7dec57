package io.trustline.sidecar.config;

import io.trustline.policy.yaml.Fields;
import io.trustline.sidecar.config.SidecarConfig.AccessLogConfig;
import io.trustline.sidecar.config.SidecarConfig.AccessLogSink;
import io.trustline.sidecar.config.SidecarConfig.MetricsConfig;
import io.trustline.sidecar.config.SidecarConfig.OtlpProtocol;
import io.trustline.sidecar.config.SidecarConfig.TelemetryConfig;
import io.trustline.sidecar.config.SidecarConfig.TracingConfig;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/** Reads the {@code telemetry} and {@code accessLog} sections of {@code sidecar.yaml}, as {@link SidecarConfigReader} (whose
 * comment explains the NullAway suppressions). */
final class ObservabilityConfigReader {

    private static final Map<String, String> PROTOCOL_HINTS = Map.of(
            "http", "did you mean 'http/protobuf'?",
            "http/json", "OTLP/JSON is not offered: grpc or http/protobuf");

    private final ConfigValues v;

    ObservabilityConfigReader(ConfigValues values) {
        this.v = values;
    }

    @Nullable
    @SuppressWarnings("NullAway") // see the class comment: v.build calls the constructor only without problems
    TelemetryConfig telemetry(Fields parent) {
        final int before = v.problems().count();
        final Fields f = v.section(parent, "telemetry", TelemetryConfig.class);
        if (f == null) {
            return null;
        }
        final TracingConfig tracing = tracing(f);
        final MetricsConfig metrics = metrics(f);
        return v.build(f, before, () -> new TelemetryConfig(tracing, metrics));
    }

    @SuppressWarnings("NullAway") // see the class comment: v.build calls the constructor only without problems
    private @Nullable TracingConfig tracing(Fields parent) {
        final int before = v.problems().count();
        final Fields f = v.section(parent, "tracing", TracingConfig.class);
        if (f == null) {
            return null;
        }
        final Boolean enabled = v.bool(f, "enabled");
        final String endpoint = v.string(f, "endpoint");
        final OtlpProtocol protocol = v.choice(f, "protocol", OtlpProtocol::parse, PROTOCOL_HINTS);
        final Integer maxQueueSize = v.integer(f, "maxQueueSize");
        final Map<String, String> properties = v.stringMap(f, "properties");
        return v.build(f, before, () -> new TracingConfig(enabled, endpoint, protocol, maxQueueSize, properties));
    }

    @SuppressWarnings("NullAway") // see the class comment: v.build calls the constructor only without problems
    private @Nullable MetricsConfig metrics(Fields parent) {
        final int before = v.problems().count();
        final Fields f = v.section(parent, "metrics", MetricsConfig.class);
        if (f == null) {
            return null;
        }
        final Boolean peerIdentityTag = v.bool(f, "peerIdentityTag");
        return v.build(f, before, () -> new MetricsConfig(peerIdentityTag));
    }

    @Nullable
    @SuppressWarnings("NullAway") // see the class comment: v.build calls the constructor only without problems
    AccessLogConfig accessLog(Fields parent) {
        final int before = v.problems().count();
        final Fields f = v.section(parent, "accessLog", AccessLogConfig.class);
        if (f == null) {
            return null;
        }
        final AccessLogSink sink = v.choice(f, "sink", AccessLogSink::parse, Map.of());
        final var file = v.path(f, "file");
        final List<String> headers = v.strings(f, "headers");
        final Boolean query = v.bool(f, "query");
        final List<String> sensitiveHeaders = v.strings(f, "sensitiveHeaders");
        final List<String> sensitiveQueryParams = v.strings(f, "sensitiveQueryParams");
        final Integer queueSize = v.integer(f, "queueSize");
        final SecurityEventsConfig securityEvents = securityEvents(f);
        return v.build(
                f,
                before,
                () -> new AccessLogConfig(
                        sink, file, headers, query, sensitiveHeaders, sensitiveQueryParams, queueSize, securityEvents));
    }

    @SuppressWarnings("NullAway") // see the class comment: v.build calls the constructor only without problems
    private @Nullable SecurityEventsConfig securityEvents(Fields parent) {
        final int before = v.problems().count();
        final Fields f = v.section(parent, "securityEvents", SecurityEventsConfig.class);
        if (f == null) {
            return null;
        }
        final Integer threshold = v.integer(f, "threshold");
        final var window = v.duration(f, "window");
        final Integer maxCallers = v.integer(f, "maxCallers");
        return v.build(f, before, () -> new SecurityEventsConfig(threshold, window, maxCallers));
    }
}
