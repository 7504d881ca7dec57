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
        @Nullable String otlpEndpoint, @Nullable String jaegerUi) {

    /** The command that starts a local Jaeger with OTLP enabled. */
    public static final String JAEGER_COMMAND =
            "docker run --rm -d --name jaeger -p 16686:16686 -p 4317:4317 -p 4318:4318 jaegertracing/all-in-one:1.62.0";

    public static final Telemetry OFF = new Telemetry(null, null);

    /** Looks for an endpoint: the environment first, then a collector on localhost:4317. */
    public static Telemetry detect() {
        final String env = System.getenv("OTEL_EXPORTER_OTLP_ENDPOINT");
        if (env != null && !env.isBlank()) {
            return new Telemetry(env.trim(), uiFor(env.trim()));
        }
        if (reachable("127.0.0.1", 4317)) {
            return new Telemetry("http://127.0.0.1:4317", "http://localhost:16686");
        }
        return OFF;
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

    /** The telemetry part of a demo sidecar's sidecar.yaml: traces to the endpoint, access log to a file. */
    String sidecarYaml(String service, Path dir) {
        return "";
    }
}
