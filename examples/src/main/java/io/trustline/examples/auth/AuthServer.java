package io.trustline.examples.auth;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.linecorp.armeria.common.AggregatedHttpRequest;
import com.linecorp.armeria.common.HttpData;
import com.linecorp.armeria.common.HttpHeaderNames;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.MediaType;
import com.linecorp.armeria.common.QueryParams;
import com.linecorp.armeria.common.ResponseHeaders;
import com.linecorp.armeria.server.Server;
import java.net.InetSocketAddress;
import java.util.Optional;

/**
 * The shop's central token issuer (the sidecars never issue user tokens). {@code POST /token} with form fields
 * {@code user} (and {@code expired=true} for a token that has already expired, for the demo) returns a token;
 * {@code GET /.well-known/jwks.json} publishes the public keys the sidecars verify with.
 *
 * <pre>{@code
 * curl -s -d user=alice http://127.0.0.1:9000/token                        # JSON
 * curl -s -H 'Accept: text/plain' -d user=alice http://127.0.0.1:9000/token # the token alone
 * }</pre>
 */
public final class AuthServer implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final TokenIssuer issuer;
    private final Server server;

    private AuthServer(TokenIssuer issuer, Server server) {
        this.issuer = issuer;
        this.server = server;
    }

    /** Starts serving on {@code listen} (port 0 picks one). */
    public static AuthServer start(InetSocketAddress listen, TokenIssuer issuer) {
        final String jwks = issuer.jwksJson();
        final Server server = Server.builder()
                .http(listen)
                .disableServerHeader()
                .service(
                        "/.well-known/jwks.json",
                        (ctx, req) -> HttpResponse.of(
                                ResponseHeaders.builder(HttpStatus.OK)
                                        .contentType(MediaType.parse("application/jwk-set+json"))
                                        .set(HttpHeaderNames.CACHE_CONTROL, "max-age=300")
                                        .build(),
                                HttpData.ofUtf8(jwks)))
                .service("/token", (ctx, req) -> HttpResponse.of(req.aggregate().thenApply(agg -> token(issuer, agg))))
                .service("/healthz", (ctx, req) -> HttpResponse.of("ok"))
                .build();
        server.start().join();
        return new AuthServer(issuer, server);
    }

    private static HttpResponse token(TokenIssuer issuer, AggregatedHttpRequest req) {
        if (!"POST".equals(req.method().name())) {
            return error(HttpStatus.METHOD_NOT_ALLOWED, "use POST with form field user=<name>");
        }
        final QueryParams form = QueryParams.fromQueryString(req.contentUtf8());
        final String user = form.get("user", "");
        final Optional<String> scopes = DemoUsers.scopesOf(user);
        if (scopes.isEmpty()) {
            return error(HttpStatus.BAD_REQUEST, "unknown user (try alice or bob)");
        }
        final boolean expired = "true".equals(form.get("expired"));
        final String token = expired ? issuer.issueExpired(user, scopes.get()) : issuer.issue(user, scopes.get());
        final String accept = req.headers().get(HttpHeaderNames.ACCEPT, "");
        final ResponseHeaders headers = ResponseHeaders.builder(HttpStatus.OK)
                .set(HttpHeaderNames.CACHE_CONTROL, "no-store")
                .contentType(accept.startsWith("text/plain") ? MediaType.PLAIN_TEXT_UTF_8 : MediaType.JSON_UTF_8)
                .build();
        if (accept.startsWith("text/plain")) {
            return HttpResponse.of(headers, HttpData.ofUtf8(token + "\n"));
        }
        final ObjectNode body = JSON.createObjectNode()
                .put("access_token", token)
                .put("token_type", "Bearer")
                .put("expires_in", expired ? 0 : issuer.ttl().toSeconds())
                .put("scope", scopes.get());
        return HttpResponse.of(headers, HttpData.ofUtf8(body.toString()));
    }

    private static HttpResponse error(HttpStatus status, String message) {
        return HttpResponse.of(
                status,
                MediaType.JSON_UTF_8,
                JSON.createObjectNode().put("error", message).toString());
    }

    public TokenIssuer issuer() {
        return issuer;
    }

    public int port() {
        return server.activeLocalPort();
    }

    @Override
    public void close() {
        server.stop().join();
    }
}
