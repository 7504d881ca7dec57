package io.trustline.sidecar.jwt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.linecorp.armeria.client.WebClient;
import com.linecorp.armeria.common.AggregatedHttpResponse;
import com.linecorp.armeria.common.HttpMethod;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.RequestHeaders;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.MetadataUtils;
import io.trustline.ca.SpiffeId;
import io.trustline.ca.testing.MutableClock;
import io.trustline.sidecar.Sidecar;
import io.trustline.sidecar.testing.FakeTicker;
import io.trustline.sidecar.testing.TestMesh;
import io.trustline.sidecar.testing.v1.EchoGrpc;
import io.trustline.sidecar.testing.v1.EchoRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The replay guard through real sidecars whose store holds only {@value #STORE_SIZE} tokens ({@code jwt:
 * replayStoreSize} in sidecar.yaml): when it is full a new single-use token is refused rather than let in at the cost
 * of forgetting an earlier one, so a flood of fresh tokens can never make a used token usable again.
 */
class ReplayStoreFullEndToEndTest {

    static final int STORE_SIZE = 2;
    static final ObjectMapper JSON = new ObjectMapper();
    /** Ahead of the wall clock, so that certificates issued while the mesh starts are already valid by it. */
    static final MutableClock clock = new MutableClock(Instant.now().plus(Duration.ofMinutes(1)));

    @TempDir
    static Path dir;

    static TestTokens tokens;
    static JwksServer jwks;
    static TestMesh mesh;
    static WebClient outbound;
    static ManagedChannel channel;

    static String policy(String service, String jwksUrl) {
        return "apiVersion: trustline.io/v1\n"
                + "kind: Policy\n"
                + "metadata: {name: " + service + "-once}\n"
                + "spec:\n"
                + "  service: " + service + "\n"
                + "  jwt:\n"
                + "    - issuer: https://once.test\n"
                + "      audiences: [backend]\n"
                + "      jwksUri: " + jwksUrl + "\n"
                + "      replay: {maxUses: 1}\n"
                + "  rules:\n"
                + "    - {name: frontend-with-a-user, action: allow, from: {principals: [\"" + TestMesh.FRONTEND
                + "\"]}}\n";
    }

    @BeforeAll
    static void startMesh() throws Exception {
        tokens = new TestTokens("https://once.test", "once", clock);
        jwks = new JwksServer(tokens.jwks());
        for (SpiffeId id : new SpiffeId[] {TestMesh.BACKEND, TestMesh.GRPC_BACKEND}) {
            final String service = id.path().substring(id.path().lastIndexOf('/') + 1);
            Files.writeString(TestMesh.policyDir(dir, id).resolve("once.yaml"), policy(service, jwks.url()));
        }
        mesh = TestMesh.start(dir, "", "jwt: {replayStoreSize: " + STORE_SIZE + "}\n", new FakeTicker(), clock);
        Awaitility.await()
                .atMost(Duration.ofSeconds(10))
                .until(() ->
                        mesh.backend.jwt().ready() && mesh.grpcBackend.jwt().ready());
        outbound = WebClient.builder("http://127.0.0.1:" + mesh.frontend.outboundPort())
                .responseTimeout(Duration.ofSeconds(30))
                .build();
        channel = ManagedChannelBuilder.forAddress("127.0.0.1", mesh.frontend.outboundPort())
                .usePlaintext()
                .overrideAuthority("grpc-backend")
                .build();
    }

    @AfterAll
    static void stopMesh() throws Exception {
        channel.shutdownNow();
        mesh.close();
        jwks.close();
    }

    static String singleUseToken() {
        return tokens.rs256(b -> b.audience("backend").jwtID(UUID.randomUUID().toString()));
    }

    static AggregatedHttpResponse get(String token) {
        return outbound.execute(RequestHeaders.builder(HttpMethod.GET, "/echo/once")
                        .authority("backend")
                        .add("authorization", "Bearer " + token)
                        .build())
                .aggregate()
                .join();
    }

    static String reason(AggregatedHttpResponse res) throws Exception {
        return JSON.readTree(res.contentUtf8()).get("reason").asText();
    }

    static String metrics(Sidecar sidecar) {
        return WebClient.of("http://127.0.0.1:" + sidecar.adminPort())
                .get("/metrics")
                .aggregate()
                .join()
                .contentUtf8();
    }

    static String unary(String token, String message) {
        final Metadata metadata = new Metadata();
        metadata.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + token);
        return EchoGrpc.newBlockingStub(channel)
                .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(metadata))
                .unary(EchoRequest.newBuilder().setMessage(message).build())
                .getMessage();
    }

    @Test
    void aFullStoreRefusesNewTokensInsteadOfForgettingUsedOnes() throws Exception {
        final String[] used = new String[STORE_SIZE];
        for (int i = 0; i < STORE_SIZE; i++) {
            used[i] = singleUseToken();
            assertThat(get(used[i]).status()).isEqualTo(HttpStatus.OK);
        }
        final long before = mesh.httpApp.requests();

        for (int i = 0; i < 3; i++) {
            final AggregatedHttpResponse full = get(singleUseToken());
            assertThat(full.status()).isEqualTo(HttpStatus.SERVICE_UNAVAILABLE);
            assertThat(reason(full)).isEqualTo("jwt.replay_store_full");
            assertThat(full.headers().contains("www-authenticate")).isFalse();
        }
        for (String token : used) {
            final AggregatedHttpResponse replay = get(token);
            assertThat(replay.status()).isEqualTo(HttpStatus.UNAUTHORIZED);
            assertThat(reason(replay)).isEqualTo("jwt.replayed");
        }
        assertThat(mesh.httpApp.requests()).isEqualTo(before);
        assertThat(metrics(mesh.backend))
                .contains("trustline_jwt_verifications_total{mode=\"enforce\",result=\"jwt.replay_store_full\"} 3.0")
                .contains("trustline_jwt_replay_store_entries " + STORE_SIZE + ".0");

        // Once the remembered tokens have expired (exp + clock skew), there is room again.
        clock.advance(Duration.ofMinutes(12));
        final String fresh =
                tokens.rs256(b -> b.audience("backend").jwtID(UUID.randomUUID().toString()));
        assertThat(get(fresh).status()).isEqualTo(HttpStatus.OK);
    }

    @Test
    void aFullStoreIsUnavailableToGrpcCallers() {
        for (int i = 0; i < STORE_SIZE; i++) {
            assertThat(unary(singleUseToken(), "fill-" + i)).isEqualTo("fill-" + i);
        }
        final long before = mesh.grpcApp.calls();
        assertThatThrownBy(() -> unary(singleUseToken(), "one too many"))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
                    assertThat(e.getStatus().getDescription()).contains("jwt.replay_store_full");
                });
        assertThat(mesh.grpcApp.calls()).isEqualTo(before);
    }
}
