package io.trustline.policy.model;

import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Which requests a rate limit applies to. Fields ANDed, values ORed, empty = not constrained;
 * {@link #ALL} (the {@code match} field absent) applies to every request of the service. Only
 * fields known before JWT verification are offered, so any limit can be checked early.
 */
public record RateLimitMatch(
        List<String> methods, List<StringMatch> paths, List<StringMatch> grpc, List<StringMatch> principals) {

    public static final RateLimitMatch ALL = new RateLimitMatch(List.of(), List.of(), List.of(), List.of());

    public RateLimitMatch {
        methods = List.copyOf(methods);
        paths = List.copyOf(paths);
        grpc = List.copyOf(grpc);
        principals = List.copyOf(principals);
    }

    /**
     * Whether a request matches.
     *
     * @param method the HTTP method
     * @param path the normalised path, without query
     * @param grpcMethod {@code package.Service/Method} for gRPC calls, null otherwise
     * @param principal the peer's SPIFFE ID, null for a plaintext peer
     */
    public boolean matches(String method, String path, @Nullable String grpcMethod, @Nullable String principal) {
        return (methods.isEmpty() || methods.contains(method))
                && anyMatch(paths, path)
                && anyMatch(grpc, grpcMethod)
                && anyMatch(principals, principal);
    }

    private static boolean anyMatch(List<StringMatch> patterns, @Nullable String value) {
        if (patterns.isEmpty()) {
            return true;
        }
        for (int i = 0; i < patterns.size(); i++) {
            if (patterns.get(i).matches(value)) {
                return true;
            }
        }
        return false;
    }
}
