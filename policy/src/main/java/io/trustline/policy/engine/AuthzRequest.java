package io.trustline.policy.engine;

import static java.util.Objects.requireNonNull;

import java.net.InetAddress;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * What the evaluator knows about one request. Nothing is copied: build one per request from
 * values the sidecar already holds.
 *
 * @param service the service whose policy applies (the inbound sidecar's own service)
 * @param principal the peer's SPIFFE ID from mTLS; null for a plaintext peer
 * @param requestPrincipal {@code iss/sub} of the verified JWT; null without one
 * @param claims the verified JWT's claims (as Nimbus returns them); empty without a token. Not
 *     copied: must not change while the request is evaluated.
 * @param method the HTTP method, upper-case
 * @param path the path as returned by {@code PathNormalizer} (normalised, without query)
 * @param grpcMethod {@code package.Service/Method} for gRPC calls, else null; see {@link
 *     #grpcMethodOf}
 * @param headers the request headers
 * @param sourceIp the peer's address; null if unknown
 * @param query the request's query, decoded only if a {@code queryRegex} rule asks for it
 */
public record AuthzRequest(
        String service,
        @Nullable String principal,
        @Nullable String requestPrincipal,
        Map<String, ?> claims,
        String method,
        String path,
        @Nullable String grpcMethod,
        HeaderLookup headers,
        @Nullable InetAddress sourceIp,
        QueryParams query) {

    /** A request without a query. */
    public AuthzRequest(
            String service,
            @Nullable String principal,
            @Nullable String requestPrincipal,
            Map<String, ?> claims,
            String method,
            String path,
            @Nullable String grpcMethod,
            HeaderLookup headers,
            @Nullable InetAddress sourceIp) {
        this(
                service,
                principal,
                requestPrincipal,
                claims,
                method,
                path,
                grpcMethod,
                headers,
                sourceIp,
                QueryParams.NONE);
    }

    public AuthzRequest {
        requireNonNull(service, "service");
        requireNonNull(query, "query");
        requireNonNull(claims, "claims");
        requireNonNull(method, "method");
        requireNonNull(path, "path");
        requireNonNull(headers, "headers");
    }

    /**
     * The gRPC method a request calls: for a {@code POST} with a {@code content-type} of {@code
     * application/grpc} (or {@code application/grpc+proto} etc.) and a path {@code
     * /package.Service/Method}, returns {@code package.Service/Method}; otherwise null. gRPC calls
     * are always POSTs; any other method with gRPC's content type is a plain HTTP request (one an
     * HTTP app would serve), so rules on gRPC methods never apply to it.
     */
    public static @Nullable String grpcMethodOf(String method, String path, @Nullable String contentType) {
        if (!"POST".equals(method)
                || contentType == null
                || !contentType.regionMatches(true, 0, "application/grpc", 0, 16)) {
            return null;
        }
        if (contentType.length() > 16 && contentType.charAt(16) != '+' && contentType.charAt(16) != ';') {
            return null;
        }
        int slash = path.indexOf('/', 1);
        if (path.length() < 4
                || path.charAt(0) != '/'
                || slash < 2
                || slash == path.length() - 1
                || path.indexOf('/', slash + 1) >= 0) {
            return null;
        }
        return path.substring(1);
    }

    /** A builder for tests and tools; the sidecar may call the constructor directly. */
    public static Builder builder(String service, String method, String path) {
        return new Builder(service, method, path);
    }

    /** Builds an {@link AuthzRequest}; everything not set is absent. */
    public static final class Builder {
        private final String service;
        private final String method;
        private final String path;
        private @Nullable String principal;
        private @Nullable String requestPrincipal;
        private Map<String, ?> claims = Map.of();
        private @Nullable String grpcMethod;
        private HeaderLookup headers = HeaderLookup.NONE;
        private @Nullable InetAddress sourceIp;
        private QueryParams query = QueryParams.NONE;

        private Builder(String service, String method, String path) {
            this.service = service;
            this.method = method;
            this.path = path;
        }

        /** The peer's SPIFFE ID. Default: none (plaintext peer). */
        public Builder principal(@Nullable String principal) {
            this.principal = principal;
            return this;
        }

        /** {@code iss/sub} of the verified JWT. Default: none. */
        public Builder requestPrincipal(@Nullable String requestPrincipal) {
            this.requestPrincipal = requestPrincipal;
            return this;
        }

        /** The verified claims. Default: empty. */
        public Builder claims(Map<String, ?> claims) {
            this.claims = requireNonNull(claims, "claims");
            return this;
        }

        /** Derives the gRPC method from the path when {@code contentType} is gRPC's. */
        public Builder contentType(@Nullable String contentType) {
            this.grpcMethod = grpcMethodOf(method, path, contentType);
            return this;
        }

        /** Sets the gRPC method explicitly ({@code package.Service/Method}). Default: not gRPC. */
        public Builder grpcMethod(@Nullable String grpcMethod) {
            this.grpcMethod = grpcMethod;
            return this;
        }

        /** Default: no headers. */
        public Builder headers(HeaderLookup headers) {
            this.headers = requireNonNull(headers, "headers");
            return this;
        }

        public Builder headers(Map<String, String> headers) {
            return headers(HeaderLookup.of(headers));
        }

        /** Default: unknown. */
        public Builder sourceIp(@Nullable InetAddress sourceIp) {
            this.sourceIp = sourceIp;
            return this;
        }

        /** The raw query (after {@code ?}). Default: none. */
        public Builder query(@Nullable String rawQuery) {
            this.query = QueryParams.of(rawQuery);
            return this;
        }

        public AuthzRequest build() {
            return new AuthzRequest(
                    service, principal, requestPrincipal, claims, method, path, grpcMethod, headers, sourceIp, query);
        }
    }
}
