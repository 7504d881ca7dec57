package io.trustline.policy.testing;

import static java.util.Objects.requireNonNull;

import io.trustline.policy.engine.AuthzRequest;
import io.trustline.policy.engine.HeaderLookup;
import io.trustline.policy.engine.QueryParams;
import io.trustline.policy.path.NormalizedPath;
import io.trustline.policy.path.PathNormalizer;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Instant;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * A request as written in a cases file or given to {@code explain}: the raw path, before
 * normalisation, exactly as a client would send it.
 *
 * @param requestPrincipal {@code iss/sub}; when absent but claims have {@code iss} and {@code sub},
 *     it is derived from them, as the sidecar does for a verified token
 * @param contentType with {@code application/grpc...}, the path names the gRPC method
 * @param time when the request is made, for deprecations and their sunset; null: now
 */
public record CaseRequest(
        String service,
        @Nullable String principal,
        @Nullable String requestPrincipal,
        Map<String, Object> claims,
        String method,
        String path,
        Map<String, String> headers,
        @Nullable String sourceIp,
        @Nullable String contentType,
        @Nullable Instant time) {

    /** A request made now. */
    public CaseRequest(
            String service,
            @Nullable String principal,
            @Nullable String requestPrincipal,
            Map<String, Object> claims,
            String method,
            String path,
            Map<String, String> headers,
            @Nullable String sourceIp,
            @Nullable String contentType) {
        this(service, principal, requestPrincipal, claims, method, path, headers, sourceIp, contentType, null);
    }

    public CaseRequest {
        requireNonNull(service, "service");
        claims = Map.copyOf(claims);
        requireNonNull(method, "method");
        requireNonNull(path, "path");
        headers = Map.copyOf(headers);
    }

    /**
     * Turns this into what the evaluator sees, doing what the sidecar does first: normalising the
     * path. Returns the normalised path's rejection instead when the sidecar would refuse it.
     */
    public Prepared prepare() {
        NormalizedPath np = PathNormalizer.normalize(path);
        if (!np.isValid()) {
            return new Prepared(null, np);
        }
        String normalised = requireNonNull(np.path(), "path of a valid NormalizedPath");
        String rp = requestPrincipal;
        if (rp == null && claims.get("iss") instanceof String iss && claims.get("sub") instanceof String sub) {
            rp = iss + "/" + sub;
        }
        String ct = contentType != null
                ? contentType
                : headers.entrySet().stream()
                        .filter(e -> e.getKey().equalsIgnoreCase("content-type"))
                        .map(Map.Entry::getValue)
                        .findFirst()
                        .orElse(null);
        AuthzRequest r = new AuthzRequest(
                service,
                principal,
                rp,
                claims,
                method,
                normalised,
                AuthzRequest.grpcMethodOf(method, normalised, ct),
                HeaderLookup.of(headers),
                address(sourceIp),
                QueryParams.of(np.query()));
        return new Prepared(r, np);
    }

    /** A header by name, in any case; null when absent. */
    public @Nullable String header(String name) {
        for (Map.Entry<String, String> e : headers.entrySet()) {
            if (e.getKey().equalsIgnoreCase(name)) {
                return e.getValue();
            }
        }
        return null;
    }

    private static @Nullable InetAddress address(@Nullable String ip) {
        if (ip == null) {
            return null;
        }
        byte[] b = io.trustline.policy.model.IpBlock.parseAddress(ip);
        if (b == null) {
            throw new IllegalArgumentException("sourceIp: '" + ip + "' (expected: an IPv4 or IPv6 address)");
        }
        try {
            return InetAddress.getByAddress(b);
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * The request ready for the evaluator, or the path rejection that stops it earlier.
     *
     * @param request null when the path was rejected
     */
    public record Prepared(@Nullable AuthzRequest request, NormalizedPath path) {}
}
