package io.trustline.sidecar;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.linecorp.armeria.client.WebClient;
import io.trustline.sidecar.testing.TestMesh;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a listener does before its pipeline: requests Armeria refuses itself are still counted and logged, and the
 * outbound listener (h2c from the app) caps HTTP/2 rapid resets as the inbound one does.
 */
class ListenerEdgeEndToEndTest {

    private static final Duration BOUND = Duration.ofSeconds(10);

    @TempDir
    static Path dir;

    static TestMesh mesh;
    static Path frontendLog;

    @BeforeAll
    static void startMesh() throws Exception {
        mesh = TestMesh.start(dir, "", "accessLog: {file: access.log}\n");
        frontendLog = dir.resolve("frontend").resolve("access.log");
    }

    @AfterAll
    static void stopMesh() throws Exception {
        mesh.close();
    }

    @Test
    void headersOverTheLimitAre431WithAnAccessLogLineAndAMetricSample() throws Exception {
        final String response =
                exchange("GET /echo/huge HTTP/1.1\r\nhost: backend\r\nx-huge: " + "a".repeat(20_000) + "\r\n\r\n");
        assertThat(response).startsWith("HTTP/1.1 431").contains("\"reason\":\"request.headers_too_large\"");
        assertLoggedAndCounted(431, "request.headers_too_large");
    }

    @Test
    void aMalformedHeaderIs400WithAnAccessLogLineAndAMetricSample() throws Exception {
        final String response = exchange("GET /echo/bad HTTP/1.1\r\nhost: backend\r\nx bad: y\r\n\r\n");
        assertThat(response).startsWith("HTTP/1.1 400").contains("\"reason\":\"request.malformed\"");
        assertLoggedAndCounted(400, "request.malformed");
    }

    @Test
    void outboundListenerClosesAnHttp2ConnectionThatResetsStreamsRapidly() throws Exception {
        try (Socket socket = new Socket("127.0.0.1", mesh.frontend.outboundPort())) {
            socket.setSoTimeout((int) BOUND.toMillis());
            final OutputStream out = socket.getOutputStream();
            final ByteArrayOutputStream frames = new ByteArrayOutputStream();
            frames.write("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            frame(frames, 0x4, 0, 0, new byte[0]); // SETTINGS
            // HPACK: :method GET, :scheme http, :path /, :authority "x" (literal, indexed name)
            final byte[] headers = {(byte) 0x82, (byte) 0x86, (byte) 0x84, 0x01, 0x01, 'x'};
            final byte[] cancel = {0, 0, 0, 0x8};
            for (int stream = 1; stream < 2 * 1000; stream += 2) {
                frame(frames, 0x1, 0x4, stream, headers); // HEADERS, END_HEADERS
                frame(frames, 0x3, 0, stream, cancel); // RST_STREAM CANCEL
            }
            try {
                out.write(frames.toByteArray());
                out.flush();
            } catch (SocketException closedWhileWriting) {
                // The server may close before all frames are in; what it sent first is still read below.
            }
            assertThat(goAwayErrorCode(socket.getInputStream())).isEqualTo(0xb); // ENHANCE_YOUR_CALM
        }
    }

    /** The error code of the first GOAWAY the server sends, or -1 if it closes without one. */
    private static int goAwayErrorCode(InputStream raw) throws IOException {
        final DataInputStream in = new DataInputStream(raw);
        try {
            while (true) {
                final int length = (in.readUnsignedByte() << 16) | in.readUnsignedShort();
                final int type = in.readUnsignedByte();
                in.readUnsignedByte(); // flags
                in.readInt(); // stream id
                final byte[] payload = in.readNBytes(length);
                if (type == 0x7) {
                    return ((payload[4] & 0xff) << 24)
                            | ((payload[5] & 0xff) << 16)
                            | ((payload[6] & 0xff) << 8)
                            | (payload[7] & 0xff);
                }
            }
        } catch (EOFException | SocketException closed) {
            return -1;
        }
    }

    private static void frame(ByteArrayOutputStream out, int type, int flags, int stream, byte[] payload) {
        out.write(payload.length >>> 16);
        out.write(payload.length >>> 8);
        out.write(payload.length);
        out.write(type);
        out.write(flags);
        out.write(stream >>> 24);
        out.write(stream >>> 16);
        out.write(stream >>> 8);
        out.write(stream);
        out.writeBytes(payload);
    }

    private static void assertLoggedAndCounted(int status, String reason) {
        await().atMost(BOUND)
                .untilAsserted(() -> assertThat(Files.readString(frontendLog))
                        .containsPattern("\"direction\":\"outbound\".*\"status\":" + status
                                + ",.*\"decision\":\"error\"," + "\"reason\":\"" + reason.replace(".", "\\.") + "\""));
        final String metrics = WebClient.of("http://127.0.0.1:" + mesh.frontend.adminPort())
                .get("/metrics")
                .aggregate()
                .join()
                .contentUtf8();
        assertThat(metrics)
                .containsPattern(
                        "(?m)^trustline_requests_total\\{decision=\"error\",.*direction=\"outbound\",.*reason=\""
                                + reason.replace(".", "\\.") + "\",.*response_code=\"" + status + "\",.*} [1-9]");
    }

    /** Sends {@code request} on a new connection to the outbound listener and reads until the server closes. */
    private static String exchange(String request) throws IOException {
        try (Socket socket = new Socket("127.0.0.1", mesh.frontend.outboundPort())) {
            socket.setSoTimeout((int) BOUND.toMillis());
            socket.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
            socket.getOutputStream().flush();
            final InputStream in = socket.getInputStream();
            final ByteArrayOutputStream got = new ByteArrayOutputStream();
            final byte[] buf = new byte[4096];
            try {
                int n;
                while ((n = in.read(buf)) >= 0) {
                    got.write(buf, 0, n);
                    if (got.toString(StandardCharsets.US_ASCII).contains("}")) {
                        break;
                    }
                }
            } catch (SocketException reset) {
                // The refused connection may be reset once the answer is out.
            }
            return got.toString(StandardCharsets.US_ASCII);
        }
    }
}
