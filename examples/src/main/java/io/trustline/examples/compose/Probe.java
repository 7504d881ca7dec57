package io.trustline.examples.compose;

import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * A container health check for images without a shell or curl: {@code Probe http://127.0.0.1:15000/readyz} exits 0
 * on a 2xx answer, {@code Probe tcp://host:port} when a connection opens; otherwise 1, and says why on stderr (for
 * an HTTP answer, its status and the start of its body: a sidecar's refusal names its reason code). Only
 * {@code java.base}, so it starts in a fraction of a second with {@code -cp /app/classes}.
 */
public final class Probe {

    private static final Duration TIMEOUT = Duration.ofSeconds(2);
    private static final int BODY_START = 300;

    public static void main(String[] args) {
        if (args.length != 1) {
            System.err.println("usage: Probe http://host:port/path | tcp://host:port");
            System.exit(2);
        }
        System.exit(probe(URI.create(args[0])) ? 0 : 1);
    }

    static boolean probe(URI target) {
        try {
            if ("tcp".equals(target.getScheme())) {
                try (Socket s = new Socket()) {
                    s.connect(new InetSocketAddress(target.getHost(), target.getPort()), (int) TIMEOUT.toMillis());
                    return true;
                }
            }
            // java.base only: the images' jlink'd runtime has no java.net.http.
            final HttpURLConnection c = (HttpURLConnection) target.toURL().openConnection();
            c.setConnectTimeout((int) TIMEOUT.toMillis());
            c.setReadTimeout((int) TIMEOUT.toMillis());
            try {
                final int status = c.getResponseCode();
                if (status / 100 == 2) {
                    return true;
                }
                final InputStream body = c.getErrorStream();
                System.err.println("probe " + target + ": HTTP " + status + " " + (body == null ? "" : start(body)));
                return false;
            } finally {
                c.disconnect();
            }
        } catch (IOException e) {
            System.err.println("probe " + target + ": " + e);
            return false;
        }
    }

    private static String start(InputStream body) throws IOException {
        try (body) {
            return new String(body.readNBytes(BODY_START), StandardCharsets.UTF_8);
        }
    }

    private Probe() {}
}
