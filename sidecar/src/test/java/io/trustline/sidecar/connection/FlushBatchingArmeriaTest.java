package io.trustline.sidecar.connection;

import static org.assertj.core.api.Assertions.assertThat;

import com.linecorp.armeria.client.ClientFactory;
import com.linecorp.armeria.client.ClientFactoryOptions;
import com.linecorp.armeria.client.WebClient;
import com.linecorp.armeria.common.AggregatedHttpResponse;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.SessionProtocol;
import com.linecorp.armeria.server.ServerBuilder;
import com.linecorp.armeria.testing.junit5.server.ServerExtension;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.flush.FlushConsolidationHandler;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * On real Armeria servers and clients, HTTP/1.1 and HTTP/2, plaintext and TLS, a port per protocol and both on one
 * port: every connection, server side and client side, ends up with the merging handler where Armeria put its own,
 * and every response arrives whole. {@link FlushBatchingTest} shows what the handler does; this shows that Armeria's
 * pipelines still get it (the swap depends on where and when Armeria adds its handler).
 */
class FlushBatchingArmeriaTest {

    /** Every server connection's pipeline, in the order they were accepted. */
    private static final List<ChannelPipeline> serverPipelines = new CopyOnWriteArrayList<>();

    /** One port per protocol, as the outbound listener and a strict inbound one have. */
    @RegisterExtension
    static final ServerExtension onePerPort = new ServerExtension() {
        @Override
        protected void configure(ServerBuilder sb) {
            sb.http(0);
            sb.https(0);
            configureRest(sb);
        }
    };

    /** Both on one port, told apart by the first bytes, as a permissive inbound listener has. */
    @RegisterExtension
    static final ServerExtension bothOnOnePort = new ServerExtension() {
        @Override
        protected void configure(ServerBuilder sb) {
            sb.port(0, SessionProtocol.HTTPS, SessionProtocol.HTTP);
            configureRest(sb);
        }
    };

    private static void configureRest(ServerBuilder sb) {
        sb.tlsSelfSigned();
        FlushBatching.install(sb);
        sb.childChannelPipelineCustomizer(serverPipelines::add);
        sb.service("/", (ctx, req) -> HttpResponse.of("ok"));
    }

    @BeforeEach
    void forget() {
        serverPipelines.clear();
    }

    static Stream<Arguments> portsAndProtocols() {
        return Stream.of(true, false)
                .flatMap(shared -> Stream.of(
                                SessionProtocol.H1C, SessionProtocol.H2C, SessionProtocol.H1, SessionProtocol.H2)
                        .map(protocol -> Arguments.of(shared, protocol)));
    }

    @ParameterizedTest(name = "both on one port: {0}, {1}")
    @MethodSource("portsAndProtocols")
    void everyConnectionMergesWhateverItsProtocol(boolean shared, SessionProtocol protocol) {
        final ServerExtension server = shared ? bothOnOnePort : onePerPort;
        final List<ChannelPipeline> clientPipelines = new CopyOnWriteArrayList<>();
        try (ClientFactory factory = ClientFactory.builder()
                .tlsNoVerify()
                .option(
                        ClientFactoryOptions.CHANNEL_PIPELINE_CUSTOMIZER,
                        FlushBatching.CLIENT_CUSTOMIZER.andThen(clientPipelines::add))
                .build()) {
            final WebClient client =
                    WebClient.builder(server.uri(protocol)).factory(factory).build();
            // Several requests at once: on HTTP/2 they share one connection, whose merged flushes must lose none.
            final List<CompletableFuture<AggregatedHttpResponse>> responses = IntStream.range(0, 8)
                    .mapToObj(i -> client.get("/").aggregate())
                    .toList();
            for (CompletableFuture<AggregatedHttpResponse> response : responses) {
                final AggregatedHttpResponse res = response.join();
                assertThat(res.status()).isEqualTo(HttpStatus.OK);
                assertThat(res.contentUtf8()).isEqualTo("ok");
            }
            assertThat(serverPipelines).isNotEmpty();
            serverPipelines.forEach(p -> assertMerging(p, "server"));
            assertThat(clientPipelines).isNotEmpty();
            clientPipelines.forEach(p -> assertMerging(p, "client"));
        }
    }

    private static void assertMerging(ChannelPipeline p, String side) {
        assertThat(p.get(FlushBatching.OnConnect.class))
                .as("%s: the connect-time handler removed itself", side)
                .isNull();
        assertThat(p.get(FlushConsolidationHandler.class))
                .as("%s: Armeria's handler swapped for the merging one", side)
                .isInstanceOf(FlushBatching.Merging.class);
    }
}
