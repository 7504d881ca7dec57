import com.linecorp.armeria.client.ClientFactory;
import com.linecorp.armeria.client.ClientFactoryOptions;
import com.linecorp.armeria.client.ClientTlsSpec;
import com.linecorp.armeria.client.Endpoint;
import com.linecorp.armeria.client.HttpPreprocessor;
import com.linecorp.armeria.client.RequestOptions;
import com.linecorp.armeria.client.WebClient;
import com.linecorp.armeria.common.SessionProtocol;
import com.linecorp.armeria.common.TlsKeyPair;
import com.linecorp.armeria.server.Server;
import com.linecorp.armeria.server.ServerBuilder;
import com.linecorp.armeria.server.ServiceRequestContext;
import io.netty.handler.ssl.ClientAuth;
import io.netty.util.ResourceLeakDetector;
import io.trustline.sidecar.connection.FlushBatching;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.InvalidKeySpecException;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Duration;
import java.util.Base64;
import java.util.List;

/**
 * The framework's floor for issue 18: one hop of a two-hop mesh done by Armeria alone, with the same transport as a
 * Trustline sidecar and nothing else. No JWT, no policy, no rate limit, no metrics, no hygiene: what this costs, a
 * sidecar built on Armeria cannot go below.
 *
 * <ul>
 *   <li>{@code outbound LISTEN_PORT PEER_PORT CERT KEY CA}: plaintext HTTP/1.1 and h2c on loopback, each request sent
 *       on over HTTP/2 with mutual TLS (the same {@link ClientTlsSpec} shape as {@code MeshTls}: ALPN h2, our key
 *       pair, the CA as trust anchor, no hostname check) to the peer's inbound port.
 *   <li>{@code inbound LISTEN_PORT APP_PORT CERT KEY CA}: HTTPS, client certificates required and checked against the
 *       CA, each request sent on over HTTP/1.1 to the app.
 * </ul>
 *
 * <p>As in the sidecar, the upstream call runs on the event loop of the incoming request, Armeria's response timeout
 * and length cap are off, Netty's leak detection is off unless a level is set, and the flushes of one event-loop task
 * leave in one write: the sidecar's own {@link FlushBatching}, taken from its jar, since it changes what the transport
 * costs. Run with the sidecar's classpath, {@code java -cp 'sidecar/target/lib/*'
 * bench/floor/BareHop.java ...}; bench/floor/start.sh does it for the harness.
 */
public final class BareHop {

    public static void main(String[] args) throws IOException, GeneralSecurityException {
        if (args.length != 6) {
            System.err.println("usage: BareHop outbound|inbound LISTEN_PORT UPSTREAM_PORT CERT KEY CA");
            System.exit(2);
        }
        final boolean outbound = switch (args[0]) {
            case "outbound" -> true;
            case "inbound" -> false;
            default -> throw new IllegalArgumentException("mode must be outbound or inbound: " + args[0]);
        };
        // As the sidecar's Main does unless a level is set.
        if (System.getProperty("io.netty.leakDetection.level") == null) {
            ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.DISABLED);
        }
        final int listen = Integer.parseInt(args[1]);
        final int upstream = Integer.parseInt(args[2]);
        final TlsKeyPair keyPair = TlsKeyPair.of(jdkKey(Path.of(args[4])), certificate(Path.of(args[3])));
        final X509Certificate ca = certificate(Path.of(args[5]));
        final InetSocketAddress address = new InetSocketAddress("127.0.0.1", listen);

        final ClientFactory factory = ClientFactory.builder()
                .option(ClientFactoryOptions.CHANNEL_PIPELINE_CUSTOMIZER, FlushBatching.CLIENT_CUSTOMIZER)
                .build();
        final HttpPreprocessor sameEventLoop = (delegate, ctx, req) -> {
            ctx.setSessionProtocol(outbound ? SessionProtocol.H2 : SessionProtocol.H1C);
            ctx.setEndpointGroup(Endpoint.of("127.0.0.1", upstream));
            final ServiceRequestContext root = ctx.root();
            if (root != null) {
                ctx.setEventLoop(root.eventLoop().withoutContext());
            }
            return delegate.execute(ctx, req);
        };
        final WebClient client = WebClient.builder(sameEventLoop)
                .factory(factory)
                .responseTimeout(Duration.ZERO)
                .maxResponseLength(0)
                .build();

        final ServerBuilder sb = Server.builder().disableServerHeader();
        FlushBatching.install(sb);
        if (outbound) {
            final RequestOptions options = RequestOptions.builder()
                    .clientTlsSpec(ClientTlsSpec.builder()
                            .alpnProtocols(List.of("h2"))
                            .tlsKeyPair(keyPair)
                            .trustedCertificates(ca)
                            .endpointIdentificationAlgorithm("")
                            .build())
                    .build();
            sb.port(address, SessionProtocol.HTTP).service("prefix:/", (ctx, req) -> client.execute(req, options));
        } else {
            sb.port(address, SessionProtocol.HTTPS)
                    .tls(keyPair)
                    .tlsCustomizer(b -> b.clientAuth(ClientAuth.REQUIRE).trustManager(ca))
                    .service("prefix:/", (ctx, req) -> client.execute(req));
        }
        final Server server = sb.build();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> server.stop().join()));
        server.start().join();
    }

    /**
     * The key parsed by the JDK's provider, as {@code MeshTls} does: a key Netty reads with Bouncy Castle on the
     * classpath recomputes its public point in {@code hashCode()}, which Armeria calls per request (connection-pool
     * key), and would put about 270 us per request on the floor that no sidecar pays.
     */
    private static PrivateKey jdkKey(Path pem) throws IOException, GeneralSecurityException {
        final String text = Files.readString(pem);
        final String body = text.replaceAll("-----(BEGIN|END) PRIVATE KEY-----", "").replaceAll("\\s", "");
        final PKCS8EncodedKeySpec spec = new PKCS8EncodedKeySpec(Base64.getDecoder().decode(body));
        try {
            return KeyFactory.getInstance("EC").generatePrivate(spec);
        } catch (InvalidKeySpecException e) {
            return KeyFactory.getInstance("RSA").generatePrivate(spec);
        }
    }

    private static X509Certificate certificate(Path pem) throws IOException, GeneralSecurityException {
        try (InputStream in = Files.newInputStream(pem)) {
            return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
        }
    }

    private BareHop() {}
}
