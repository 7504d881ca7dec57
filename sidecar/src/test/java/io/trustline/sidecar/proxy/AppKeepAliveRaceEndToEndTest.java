package io.trustline.sidecar.proxy;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.linecorp.armeria.client.ClientFactory;
import com.linecorp.armeria.client.ClientTlsSpec;
import com.linecorp.armeria.client.RequestOptions;
import com.linecorp.armeria.client.WebClient;
import com.linecorp.armeria.common.AggregatedHttpResponse;
import com.linecorp.armeria.common.HttpData;
import com.linecorp.armeria.common.HttpMethod;
import com.linecorp.armeria.common.HttpObject;
import com.linecorp.armeria.common.HttpRequest;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.MediaType;
import com.linecorp.armeria.common.ResponseHeaders;
import com.linecorp.armeria.common.TlsKeyPair;
import io.trustline.ca.CertificateAuthority;
import io.trustline.ca.X509Svid;
import io.trustline.ca.testing.TestCertificates;
import io.trustline.sidecar.Sidecar;
import io.trustline.sidecar.identity.StaticWorkloadIdentity;
import io.trustline.sidecar.testing.TestMesh;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The keep-alive race on the inbound sidecar's hop to the app, with an HTTP/1 app whose bytes the test writes: the app
 * answers the first request on each connection and keeps it alive, then reads the second request on it and closes the
 * connection without a byte of answer, as an app closing an idle connection while the sidecar sends on it. An
 * idempotent request without a body is sent again on another connection and answered; a POST with a body is not, and
 * the caller gets the sidecar's 503; nothing is sent again once the app's response headers arrived.
 */
class AppKeepAliveRaceEndToEndTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path dir;

    static DroppingApp app;
    static Sidecar backend;
    static ClientFactory factory;
    static WebClient direct;
    static RequestOptions asFrontend;

    @BeforeAll
    static void start() throws Exception {
        app = new DroppingApp();
        final CertificateAuthority ca = TestCertificates.create(TestMesh.TRUST_DOMAIN, Clock.systemUTC())
                .ca();
        backend = Sidecar.start(
                TestMesh.config(dir, TestMesh.BACKEND, app.port(), "http", "", ""),
                new StaticWorkloadIdentity(ca.issueOffline(TestMesh.BACKEND, Duration.ofHours(1))),
                Clock.systemUTC());
        factory = ClientFactory.builder().build();
        // The frontend sidecar's side of the hop, by hand: HTTP/2 over mTLS on one connection, so every request is
        // served on one event loop of the backend, which holds one pool of connections to the app.
        direct = WebClient.builder("https://127.0.0.1:" + backend.inboundPort())
                .factory(factory)
                .responseTimeout(Duration.ofSeconds(30))
                .build();
        final X509Svid caller = ca.issueOffline(TestMesh.FRONTEND, Duration.ofHours(1));
        asFrontend = RequestOptions.builder()
                .clientTlsSpec(ClientTlsSpec.builder()
                        .tlsKeyPair(TlsKeyPair.of(caller.privateKey(), caller.chain()))
                        .trustedCertificates(ca.trustBundle().roots())
                        .endpointIdentificationAlgorithm("")
                        .build())
                .build();
    }

    @AfterAll
    static void stop() throws Exception {
        factory.close();
        backend.close();
        app.close();
    }

    /**
     * Leaves the sidecar's pool with one idle connection that has answered one request: the next request on it is
     * the one the app drops. Whatever an earlier test left behind was a connection that answered once; the first
     * call may land there and be dropped, so it calls until the app answers.
     */
    @BeforeEach
    void oneConnectionThatAnsweredOnce() {
        for (int i = 0; i < 3; i++) {
            if (call(HttpRequest.of(HttpMethod.GET, "/warm")).status().equals(HttpStatus.OK)) {
                return;
            }
        }
        throw new AssertionError("the app never answered /warm");
    }

    private static AggregatedHttpResponse call(HttpRequest req) {
        return direct.execute(req, asFrontend).aggregate().join();
    }

    @Test
    void getOnAConnectionTheAppClosesIsSentAgainAndAnswered() {
        final double before = retries("upstream.reset");

        // Both attempts carry the target as the caller sent it, encoded query included.
        final AggregatedHttpResponse res = call(HttpRequest.of(HttpMethod.GET, "/race-get?q=c%3Bd"));

        assertThat(res.status()).isEqualTo(HttpStatus.OK);
        assertThat(res.contentUtf8()).isEqualTo("fresh");
        assertThat(app.seen("GET /race-get?q=c%3Bd"))
                .as("dropped on the pooled connection, answered on a new one; the app saw %s", app.requests)
                .isEqualTo(2);
        assertThat(retries("upstream.reset")).isEqualTo(before + 1);
        assertThat(app.retryCountHeaders)
                .as("Armeria's retry mark is not the app's")
                .isEmpty();
    }

    @Test
    void postWithABodyIsNeverSentTwiceAndTheCallerGetsTheSidecars503() throws Exception {
        final double before = retries("upstream.reset");

        final AggregatedHttpResponse res =
                call(HttpRequest.of(HttpMethod.POST, "/race-post", MediaType.PLAIN_TEXT_UTF_8, "order #1"));

        assertThat(res.status()).isEqualTo(HttpStatus.SERVICE_UNAVAILABLE);
        assertThat(JSON.readTree(res.contentUtf8()).get("reason").asText()).isEqualTo("upstream.reset");
        assertThat(app.seen("POST /race-post")).isEqualTo(1);
        assertThat(retries("upstream.reset")).isEqualTo(before);
    }

    @Test
    void aResponseCutAfterItsHeadersIsNotSentAgain() {
        final double before = retries("upstream.reset");

        final List<HttpObject> objects;
        try {
            objects = direct.execute(HttpRequest.of(HttpMethod.GET, "/cut"), asFrontend)
                    .collect()
                    .join();
            assertThat(((ResponseHeaders) objects.get(0)).status()).isEqualTo(HttpStatus.OK);
            assertThat(objects.stream().filter(HttpObject::isEndOfStream))
                    .as("a cut body is not passed on as complete")
                    .isEmpty();
            assertThat(objects.stream()
                            .filter(HttpData.class::isInstance)
                            .mapToInt(o -> ((HttpData) o).length())
                            .sum())
                    .isLessThan(100);
        } catch (CompletionException expected) {
            // the stream was reset after the headers: the caller knows the answer is cut
        }

        assertThat(app.seen("GET /cut"))
                .as("the app answered; it is not asked again")
                .isEqualTo(1);
        assertThat(retries("upstream.reset")).isEqualTo(before);
    }

    /** The backend's count of retries to the app for {@code reason}, as {@code /metrics} prints it; -1 if absent. */
    private static double retries(String reason) {
        final String metrics = WebClient.of("http://127.0.0.1:" + backend.adminPort())
                .get("/metrics")
                .aggregate()
                .join()
                .contentUtf8();
        final Matcher m = Pattern.compile("(?m)^"
                        + Pattern.quote("trustline_inbound_app_retries_total{reason=\"" + reason + "\"}") + " (\\S+)$")
                .matcher(metrics);
        return m.find() ? Double.parseDouble(m.group(1)) : -1;
    }

    /**
     * A keep-alive HTTP/1.1 app on a plain socket, one thread per connection. The first request on a connection is
     * answered ({@code 200}, body {@code fresh}); the second is read whole, head and body, and the connection closed
     * without an answer. {@code /cut} is answered on any connection with headers that announce 100 bytes, 10 of them
     * and a close, all in one write. Every request is recorded as {@code METHOD target} as it is read, and every
     * connection the sidecar closes first is counted.
     */
    static final class DroppingApp implements AutoCloseable {

        final Queue<String> requests = new ConcurrentLinkedQueue<>();
        /** Connections the sidecar closed while the app waited for their next request. */
        final AtomicInteger closedBySidecar = new AtomicInteger();

        final Queue<String> retryCountHeaders = new ConcurrentLinkedQueue<>();
        private final ServerSocket socket = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        private final ExecutorService threads = Executors.newCachedThreadPool();

        DroppingApp() throws IOException {
            threads.execute(() -> {
                while (!socket.isClosed()) {
                    try {
                        final Socket s = socket.accept();
                        threads.execute(() -> serve(s));
                    } catch (IOException e) {
                        return;
                    }
                }
            });
        }

        int port() {
            return socket.getLocalPort();
        }

        long seen(String request) {
            return requests.stream().filter(request::equals).count();
        }

        private void serve(Socket s) {
            try (s;
                    InputStream in = s.getInputStream();
                    OutputStream out = s.getOutputStream()) {
                for (int n = 1; ; n++) {
                    final String head = readHead(in);
                    if (head == null) {
                        closedBySidecar.incrementAndGet();
                        return;
                    }
                    final String[] line = head.substring(0, head.indexOf('\r')).split(" ");
                    requests.add(line[0] + ' ' + line[1]);
                    final String retryCount = header(head, "armeria-retry-count");
                    if (retryCount != null) {
                        retryCountHeaders.add(retryCount);
                    }
                    readBody(in, head);
                    if (line[1].equals("/cut")) {
                        out.write("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789".getBytes(US_ASCII));
                        out.flush();
                        return;
                    }
                    if (n > 1) {
                        return; // the race: the request was sent, the app closes without answering
                    }
                    out.write("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfresh".getBytes(US_ASCII));
                    out.flush();
                }
            } catch (IOException e) {
                // the peer went away
            }
        }

        private static String header(String head, String name) {
            for (String line : head.split("\r\n")) {
                final int colon = line.indexOf(':');
                if (colon > 0 && line.substring(0, colon).trim().equalsIgnoreCase(name)) {
                    return line.substring(colon + 1).trim();
                }
            }
            return null;
        }

        /** Reads the request's body, framed by Content-Length or chunked, so that the close is a FIN, not a reset. */
        private static void readBody(InputStream in, String head) throws IOException {
            final String length = header(head, "content-length");
            if (length != null) {
                in.readNBytes(Integer.parseInt(length));
                return;
            }
            if (!"chunked".equalsIgnoreCase(header(head, "transfer-encoding"))) {
                return;
            }
            while (true) {
                final String size = readLine(in);
                final int chunk = Integer.parseInt(size.split(";")[0].trim(), 16);
                if (chunk == 0) {
                    while (!readLine(in).isEmpty()) {
                        // trailers
                    }
                    return;
                }
                in.readNBytes(chunk);
                readLine(in);
            }
        }

        private static String readLine(InputStream in) throws IOException {
            final ByteArrayOutputStream line = new ByteArrayOutputStream();
            int b;
            while ((b = in.read()) >= 0 && b != '\n') {
                if (b != '\r') {
                    line.write(b);
                }
            }
            return line.toString(US_ASCII);
        }

        /** The request's head up to and including the blank line, or null at the end of the stream. */
        private static String readHead(InputStream in) throws IOException {
            final ByteArrayOutputStream head = new ByteArrayOutputStream();
            int matched = 0;
            int b;
            while ((b = in.read()) >= 0) {
                head.write(b);
                matched = (b == '\r' && (matched == 0 || matched == 2)) || (b == '\n' && (matched == 1 || matched == 3))
                        ? matched + 1
                        : 0;
                if (matched == 4) {
                    return head.toString(US_ASCII);
                }
            }
            return null;
        }

        @Override
        public void close() throws IOException {
            socket.close();
            threads.shutdownNow();
        }
    }
}
