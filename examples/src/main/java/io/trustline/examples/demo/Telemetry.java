package io.trustline.examples.demo;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.file.Path;
import org.jspecify.annotations.Nullable;

/**
 * Where the demo's sidecars send their traces: the OTLP endpoint in {@code OTEL_EXPORTER_OTLP_ENDPOINT}, else a
 * collector listening on localhost:4317 (a local Jaeger), else nowhere (the demo then says how to start Jaeger).
 */
public record Telemetry(
        @Nullable String otlpEndpoint,
        String protocol,
        @Nullable String jaegerUi) {

    /** The command that starts a local Jaeger with OTLP enabled. */
    public static final String JAEGER_COMMAND =
            "docker run --rm -d --name jaeger -p 16686:16686 -p 4317:4317 -p 4318:4318 jaegertracing/all-in-one:1.62.0";

    /** No collector: the demo runs its own {@link TraceSink}. */
    public static final Telemetry LOCAL = new Telemetry(null, "http/protobuf", null);

    /** Looks for an endpoint: the environment first, then a collector on localhost:4317. */
    public static Telemetry detect() {
        final String env = System.getenv("OTEL_EXPORTER_OTLP_ENDPOINT");
        if (env != null && !env.isBlank()) {
            final String protocol = System.getenv("OTEL_EXPORTER_OTLP_PROTOCOL");
            return new Telemetry(
                    env.trim(), protocol == null || protocol.isBlank() ? "grpc" : protocol.trim(), uiFor(env.trim()));
        }
        if (reachable("127.0.0.1", 4317)) {
            return new Telemetry("http://127.0.0.1:4317", "grpc", "http://localhost:16686");
        }
        return LOCAL;
    }

    private static @Nullable String uiFor(String endpoint) {
        try {
            final String host = URI.create(endpoint).getHost();
            return host == null ? null : "http://" + host + ":16686";
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    private static boolean reachable(String host, int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(host, port), 200);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    public boolean exporting() {
        return otlpEndpoint != null;
    }

    /**
     * The telemetry part of a demo sidecar's sidecar.yaml: traces to {@code endpoint}, exported in batches every 200
     * ms (so a step's trace is complete by the time the demo looks), and the access log to a file in {@code dir}.
     */
    static String sidecarYaml(String endpoint, String protocol, Path dir) {
        return "telemetry:\n"
                + "  tracing:\n"
                + "    endpoint: " + endpoint + "\n"
                + "    protocol: " + protocol + "\n"
                + "    properties: {otel.bsp.schedule.delay: \"200\"}\n"
                + "accessLog: {sink: file, file: " + dir.resolve("access.log").toAbsolutePath() + "}\n";
    }
}
