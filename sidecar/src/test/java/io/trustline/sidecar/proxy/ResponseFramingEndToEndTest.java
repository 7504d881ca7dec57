package io.trustline.sidecar.proxy;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;

import com.linecorp.armeria.client.ClientFactory;
import com.linecorp.armeria.client.ClientTlsSpec;
import com.linecorp.armeria.client.RequestOptions;
import com.linecorp.armeria.client.WebClient;
import com.linecorp.armeria.common.AggregatedHttpResponse;
import com.linecorp.armeria.common.HttpData;
import com.linecorp.armeria.common.HttpHeaders;
import com.linecorp.armeria.common.HttpMethod;
import com.linecorp.armeria.common.HttpObject;
import com.linecorp.armeria.common.HttpRequest;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.RequestHeaders;
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
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * How the inbound sidecar frames an HTTP/1 app's response on the mesh hop, with an app whose bytes the test writes
 * itself (a raw socket server): a body of declared length ends with its last chunk (END_STREAM on that DATA frame,
 * not on an empty one after it), and every other shape of response (a body split over several writes, chunked with
 * trailers, HEAD, 304, an empty body) arrives whole, through the mTLS hop alone and through both sidecars.
 */
class ResponseFramingEndToEndTest {

    @TempDir
    static Path dir;

    static RawHttp1App app;
    static CertificateAuthority ca;
    static Sidecar backend;
    static Sidecar frontend;
    static ClientFactory factory;
    static WebClient direct;
    static ClientTlsSpec directTls;
    static WebClient outbound;

    @BeforeAll
    static void start() throws Exception {
        app = new RawHttp1App();
        ca = TestCertificates.create(TestMesh.TRUST_DOMAIN, Clock.systemUTC()).ca();
        backend = Sidecar.start(
                TestMesh.config(dir, TestMesh.BACKEND, app.port(), "http", "", ""),
                new StaticWorkloadIdentity(ca.issueOffline(TestMesh.BACKEND, Duration.ofHours(1))),
                Clock.systemUTC());
        final String routes = "outbound:\n  listen: 127.0.0.1:0\n  routes:\n"
                + "    backend: {address: 127.0.0.1:" + backend.inboundPort() + ", identity: " + TestMesh.BACKEND
                + "}\n";
        final X509Svid caller = ca.issueOffline(TestMesh.FRONTEND, Duration.ofHours(1));
        frontend = Sidecar.start(
                TestMesh.config(dir, TestMesh.FRONTEND, 1, "http", "", routes),
                new StaticWorkloadIdentity(caller),
                Clock.systemUTC());
        factory = ClientFactory.builder().build();
        // The frontend's own side of the hop, by hand: HTTP/2 over mTLS with the frontend's certificate.
        direct = WebClient.builder("https://127.0.0.1:" + backend.inboundPort())
                .factory(factory)
                .responseTimeout(Duration.ofSeconds(30))
                .maxResponseLength(0)
                .build();
        directTls = ClientTlsSpec.builder()
                .tlsKeyPair(TlsKeyPair.of(caller.privateKey(), caller.chain()))
                .trustedCertificates(ca.trustBundle().roots())
                .endpointIdentificationAlgorithm("")
                .build();
        outbound = WebClient.builder("http://127.0.0.1:" + frontend.outboundPort())
                .factory(factory)
                .responseTimeout(Duration.ofSeconds(30))
                .maxResponseLength(0)
                .build();
    }

    @AfterAll
    static void stop() throws Exception {
        factory.close();
        frontend.close();
        backend.close();
        app.close();
    }

    private static List<HttpObject> directObjects(HttpMethod method, String path) {
        return direct.execute(
                        HttpRequest.of(method, path),
                        RequestOptions.builder().clientTlsSpec(directTls).build())
                .collect()
                .join();
    }

    private static AggregatedHttpResponse viaBothSidecars(HttpMethod method, String path) {
        return outbound.execute(RequestHeaders.builder(method, path)
                        .authority("backend")
                        .build())
                .aggregate()
                .join();
    }

    private static int bodyLength(List<HttpObject> objects) {
        return objects.stream()
                .filter(HttpData.class::isInstance)
                .mapToInt(o -> ((HttpData) o).length())
                .sum();
    }

    private static HttpObject last(List<HttpObject> objects) {
        return objects.get(objects.size() - 1);
    }

    @Test
    void aBodyOfDeclaredLengthEndsWithItsLastChunkNotWithAnEmptyFrame() {
        final List<HttpObject> objects = directObjects(HttpMethod.GET, "/fixed?bytes=2");
        assertThat(objects.get(0)).isInstanceOf(ResponseHeaders.class);
        assertThat(((ResponseHeaders) objects.get(0)).status()).isEqualTo(HttpStatus.OK);
        assertThat(objects)
                .as("headers, then one DATA frame carrying END_STREAM")
                .hasSize(2);
        final HttpData data = (HttpData) last(objects);
        assertThat(data.toStringUtf8()).isEqualTo("ab");
        assertThat(data.isEndOfStream()).isTrue();
    }

    @Test
    void aBodyWrittenInSeveralPiecesArrivesWholeAndOnlyItsLastChunkEndsTheStream() {
        final int size = 300_000;
        final List<HttpObject> objects = directObjects(HttpMethod.GET, "/fixed?bytes=" + size + "&pieces=5");
        assertThat(bodyLength(objects)).isEqualTo(size);
        final List<HttpObject> data =
                objects.stream().filter(HttpData.class::isInstance).toList();
        assertThat(data.size())
                .as("300 KB cross the hop as several DATA frames")
                .isGreaterThan(1);
        assertThat(data.subList(0, data.size() - 1)).noneMatch(HttpObject::isEndOfStream);
        assertThat(((HttpData) last(data)).isEmpty()).isFalse();
        assertThat(last(data).isEndOfStream()).isTrue();

        final AggregatedHttpResponse res = viaBothSidecars(HttpMethod.GET, "/fixed?bytes=" + size + "&pieces=5");
        assertThat(res.status()).isEqualTo(HttpStatus.OK);
        assertThat(res.content().array()).isEqualTo(RawHttp1App.body(size));
    }

    @Test
    void aChunkedBodyKeepsItsTrailers() {
        final List<HttpObject> objects = directObjects(HttpMethod.GET, "/chunked");
        assertThat(bodyLength(objects)).isEqualTo("hello, world".length());
        assertThat(last(objects)).isInstanceOf(HttpHeaders.class).isNotInstanceOf(ResponseHeaders.class);
        assertThat(((HttpHeaders) last(objects)).get("x-checksum")).isEqualTo("c0ffee");
    }

    @Test
    void headAnswersNotModifiedAndEmptyBodiesEndAsBeforeAndTheConnectionStaysUsable() {
        final List<HttpObject> head = directObjects(HttpMethod.HEAD, "/fixed?bytes=1000");
        assertThat(((ResponseHeaders) head.get(0)).status()).isEqualTo(HttpStatus.OK);
        assertThat(((ResponseHeaders) head.get(0)).contentLength()).isEqualTo(1000);
        assertThat(bodyLength(head)).isZero();

        final List<HttpObject> notModified = directObjects(HttpMethod.GET, "/not-modified");
        assertThat(((ResponseHeaders) notModified.get(0)).status()).isEqualTo(HttpStatus.NOT_MODIFIED);
        assertThat(bodyLength(notModified)).isZero();

        final List<HttpObject> empty = directObjects(HttpMethod.GET, "/fixed?bytes=0");
        assertThat(((ResponseHeaders) empty.get(0)).status()).isEqualTo(HttpStatus.OK);
        assertThat(bodyLength(empty)).isZero();

        // The app's keep-alive connection, reused after each of those, still frames the next answer right.
        for (int i = 0; i < 5; i++) {
            final AggregatedHttpResponse res = viaBothSidecars(HttpMethod.GET, "/fixed?bytes=" + (10 + i));
            assertThat(res.status()).isEqualTo(HttpStatus.OK);
            assertThat(res.content().array()).isEqualTo(RawHttp1App.body(10 + i));
        }
        assertThat(viaBothSidecars(HttpMethod.HEAD, "/fixed?bytes=1000")
                        .content()
                        .isEmpty())
                .isTrue();
        assertThat(viaBothSidecars(HttpMethod.GET, "/chunked").contentUtf8()).isEqualTo("hello, world");
    }

    @Test
    void aBodyShorterThanDeclaredIsNotPassedOnAsComplete() {
        // The app promises 100 bytes, sends 10 and closes: the caller must not see a complete 10-byte answer.
        final List<HttpObject> objects;
        try {
            objects = directObjects(HttpMethod.GET, "/short");
        } catch (Exception expected) {
            return; // the stream was reset: the caller knows the answer is cut
        }
        assertThat(objects.stream().filter(HttpObject::isEndOfStream))
                .as("no chunk of a truncated body may claim to end it")
                .isEmpty();
    }

    /**
     * A keep-alive HTTP/1.1 server on a plain socket, one thread per connection, answering GET and HEAD:
     * {@code /fixed?bytes=N[&pieces=K]} (Content-Length N, body written in K flushed pieces), {@code /chunked}
     * (two chunks and a trailer), {@code /not-modified} (304 with a Content-Length and no body), {@code /short}
     * (declares 100 bytes, sends 10, closes).
     */
    static final class RawHttp1App implements AutoCloseable {

        private final ServerSocket socket = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        private final ExecutorService threads = Executors.newCachedThreadPool();

        RawHttp1App() throws IOException {
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

        static byte[] body(int size) {
            final byte[] b = new byte[size];
            for (int i = 0; i < size; i++) {
                b[i] = (byte) ('a' + i % 26);
            }
            return b;
        }

        private static void serve(Socket s) {
            try (s;
                    InputStream in = s.getInputStream();
                    OutputStream out = s.getOutputStream()) {
                String head;
                while ((head = readHead(in)) != null) {
                    final String[] line = head.substring(0, head.indexOf('\r')).split(" ");
                    final boolean isHead = line[0].equals("HEAD");
                    final String target = line[1];
                    if (!answer(out, target, isHead)) {
                        return;
                    }
                }
            } catch (IOException e) {
                // the peer went away
            }
        }

        /** Writes the answer to {@code target}; false when the connection must be closed after it. */
        private static boolean answer(OutputStream out, String target, boolean isHead) throws IOException {
            if (target.startsWith("/fixed")) {
                final int size = Integer.parseInt(param(target, "bytes", "0"));
                final int pieces = Integer.parseInt(param(target, "pieces", "1"));
                out.write(("HTTP/1.1 200 OK\r\nContent-Length: " + size + "\r\n\r\n").getBytes(US_ASCII));
                out.flush();
                if (!isHead) {
                    final byte[] body = body(size);
                    final int step = Math.max(1, (size + pieces - 1) / pieces);
                    for (int from = 0; from < size; from += step) {
                        out.write(Arrays.copyOfRange(body, from, Math.min(size, from + step)));
                        out.flush();
                    }
                }
                return true;
            }
            if (target.equals("/chunked")) {
                out.write(("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: x-checksum\r\n\r\n"
                                + "7\r\nhello, \r\n5\r\nworld\r\n0\r\nx-checksum: c0ffee\r\n\r\n")
                        .getBytes(US_ASCII));
                out.flush();
                return true;
            }
            if (target.equals("/not-modified")) {
                out.write("HTTP/1.1 304 Not Modified\r\nContent-Length: 5\r\nETag: \"x\"\r\n\r\n".getBytes(US_ASCII));
                out.flush();
                return true;
            }
            if (target.equals("/short")) {
                out.write("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789".getBytes(US_ASCII));
                out.flush();
                return false;
            }
            out.write("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n".getBytes(US_ASCII));
            out.flush();
            return true;
        }

        private static String param(String target, String name, String fallback) {
            final int q = target.indexOf('?');
            if (q < 0) {
                return fallback;
            }
            for (String kv : target.substring(q + 1).split("&")) {
                final int eq = kv.indexOf('=');
                if (kv.substring(0, eq).equals(name)) {
                    return kv.substring(eq + 1);
                }
            }
            return fallback;
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
