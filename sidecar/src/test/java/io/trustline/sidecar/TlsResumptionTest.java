package io.trustline.sidecar;

import static org.assertj.core.api.Assertions.assertThat;

import io.trustline.ca.X509Svid;
import io.trustline.sidecar.testing.TestMesh;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.util.HashSet;
import java.util.Set;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A client that resumes its TLS session (curl and the JDK do, with TLS 1.3 tickets) skips the certificate exchange;
 * its verified identity must still reach the pipeline. Before the trust manager restored it on resumption, such a
 * caller got 401 {@code peer.unauthenticated} (seen with curl against the demo).
 */
class TlsResumptionTest {

    @TempDir
    static Path dir;

    static TestMesh mesh;

    @BeforeAll
    static void startMesh() throws Exception {
        mesh = TestMesh.start(dir);
    }

    @AfterAll
    static void stopMesh() throws Exception {
        mesh.close();
    }

    @Test
    void aResumedSessionKeepsThePeerIdentity() throws Exception {
        final SSLContext ssl = clientContext(mesh.issue(TestMesh.FRONTEND));
        final Set<Long> sessions = new HashSet<>();
        for (int i = 0; i < 6; i++) {
            final String response = get(ssl, "/echo/" + i, sessions);
            assertThat(response)
                    .as("connection %d", i)
                    .startsWith("HTTP/1.1 200")
                    .contains("URI=" + TestMesh.FRONTEND);
        }
        // Whether a connection resumes depends on when the client got the server's ticket; when one does (seen in most
        // runs, not all), its identity had to be restored by the trust manager for the assertion above to hold.
    }

    private static String get(SSLContext ssl, String path, Set<Long> sessions) throws Exception {
        try (SSLSocket socket =
                (SSLSocket) ssl.getSocketFactory().createSocket("127.0.0.1", mesh.backend.inboundPort())) {
            socket.startHandshake();
            // A resumed session would keep the creation time of the session it resumes.
            sessions.add(socket.getSession().getCreationTime());
            final OutputStream out = socket.getOutputStream();
            out.write(("GET " + path + " HTTP/1.1\r\nHost: backend\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            // Read exactly one response (up to its Content-Length) rather than waiting for the server to close.
            final InputStream in = socket.getInputStream();
            final StringBuilder head = new StringBuilder();
            while (!head.toString().endsWith("\r\n\r\n")) {
                final int c = in.read();
                if (c < 0) {
                    break;
                }
                head.append((char) c);
            }
            final java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?i)content-length: (\\d+)")
                    .matcher(head);
            final int length = m.find() ? Integer.parseInt(m.group(1)) : 0;
            return head + new String(in.readNBytes(length), StandardCharsets.UTF_8);
        }
    }

    private static SSLContext clientContext(X509Svid client) throws Exception {
        final KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        ks.setKeyEntry("k", client.privateKey(), new char[0], client.chain().toArray(new X509Certificate[0]));
        final KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, new char[0]);
        final TrustManager trustAll = new X509TrustManager() {
            @Override
            public void checkClientTrusted(X509Certificate[] chain, String authType) {}

            @Override
            public void checkServerTrusted(X509Certificate[] chain, String authType) {}

            @Override
            public X509Certificate[] getAcceptedIssuers() {
                return new X509Certificate[0];
            }
        };
        final SSLContext ssl = SSLContext.getInstance("TLSv1.3");
        ssl.init(kmf.getKeyManagers(), new TrustManager[] {trustAll}, null);
        return ssl;
    }
}
