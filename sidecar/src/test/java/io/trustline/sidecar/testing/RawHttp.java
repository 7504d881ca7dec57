package io.trustline.sidecar.testing;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.trustline.ca.TrustBundle;
import io.trustline.ca.X509Svid;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;

/**
 * Raw HTTP/1.1 over sockets, for requests that HTTP clients would normalise away before sending (hostile paths,
 * duplicate headers, odd transfer codings): the bytes written are the bytes the listener gets.
 */
public final class RawHttp {

    private static final ObjectMapper JSON = new ObjectMapper();

    private RawHttp() {}

    /** Sends {@code request} as written over an mTLS socket made from {@code tls}, and reads until the server closes. */
    public static String overTls(SSLContext tls, int port, String request) throws Exception {
        try (SSLSocket s = (SSLSocket) tls.getSocketFactory().createSocket("127.0.0.1", port)) {
            s.startHandshake();
            return exchange(s, request);
        }
    }

    /** Sends {@code request} as written over a plain socket, and reads until the server closes. */
    public static String plain(int port, String request) throws Exception {
        try (Socket s = new Socket("127.0.0.1", port)) {
            return exchange(s, request);
        }
    }

    private static String exchange(Socket s, String request) throws Exception {
        s.setSoTimeout(30_000);
        final OutputStream out = s.getOutputStream();
        out.write(request.getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
        final InputStream in = s.getInputStream();
        return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }

    /** The status code of the first response in {@code response}. */
    public static int status(String response) {
        assertThat(response).startsWith("HTTP/1.1 ");
        return Integer.parseInt(response.substring(9, 12));
    }

    /** The JSON body of a single response, de-chunked when needed. */
    public static JsonNode jsonBody(String response) throws Exception {
        final int start = response.indexOf("\r\n\r\n") + 4;
        String body = response.substring(start);
        if (response.toLowerCase(Locale.ROOT).contains("transfer-encoding: chunked")) {
            body = dechunk(body);
        }
        return JSON.readTree(body);
    }

    private static String dechunk(String chunked) {
        final StringBuilder out = new StringBuilder();
        int i = 0;
        while (true) {
            final int eol = chunked.indexOf("\r\n", i);
            final int size = Integer.parseInt(chunked.substring(i, eol).trim(), 16);
            if (size == 0) {
                return out.toString();
            }
            out.append(chunked, eol + 2, eol + 2 + size);
            i = eol + 2 + size + 2;
        }
    }

    /** A client TLS context presenting {@code svid} and trusting {@code bundle}'s roots. */
    public static SSLContext sslContext(X509Svid svid, TrustBundle bundle) throws Exception {
        final KeyStore keys = KeyStore.getInstance("PKCS12");
        keys.load(null, null);
        keys.setKeyEntry("k", svid.privateKey(), new char[0], svid.chain().toArray(new X509Certificate[0]));
        final KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(keys, new char[0]);
        final KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        final List<X509Certificate> roots = new ArrayList<>(bundle.roots());
        for (int i = 0; i < roots.size(); i++) {
            trust.setCertificateEntry("root" + i, roots.get(i));
        }
        final TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        final SSLContext ssl = SSLContext.getInstance("TLS");
        ssl.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
        return ssl;
    }
}
