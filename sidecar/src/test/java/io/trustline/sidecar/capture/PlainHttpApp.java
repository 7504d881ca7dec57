package io.trustline.sidecar.capture;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * An app that knows nothing of Trustline: the JDK's own HTTP server and client, no proxy settings, no special
 * headers. {@code serve PORT} answers every request on all addresses with what it received; {@code get URL} calls a
 * URL by name and prints the status and the body (exit 1 when the call fails).
 */
public final class PlainHttpApp {

    public static void main(String[] args) throws Exception {
        switch (args[0]) {
            case "serve" -> serve(Integer.parseInt(args[1]));
            case "get" -> System.exit(get(args[1]));
            default -> throw new IllegalArgumentException("usage: serve PORT | get URL");
        }
    }

    private static void serve(int port) throws IOException {
        final HttpServer server = HttpServer.create(new InetSocketAddress(port), 0);
        server.createContext("/", exchange -> {
            final String xfcc = exchange.getRequestHeaders().getFirst("x-forwarded-client-cert");
            System.out.println("served " + exchange.getRequestURI().getRawPath());
            final byte[] body = ("path: " + exchange.getRequestURI().getRawPath() + "\nxfcc: " + xfcc + '\n')
                    .getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        server.start();
        System.out.println("listening on " + port);
    }

    private static int get(String url) throws InterruptedException {
        final HttpClient client = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(10))
                .build();
        try {
            final HttpResponse<String> response = client.send(
                    HttpRequest.newBuilder(URI.create(url))
                            .timeout(Duration.ofSeconds(20))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            System.out.println("status: " + response.statusCode());
            System.out.println(response.body());
            return 0;
        } catch (IOException e) {
            System.out.println("failed: " + e);
            return 1;
        }
    }

    private PlainHttpApp() {}
}
