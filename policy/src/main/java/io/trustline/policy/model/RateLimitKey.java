package io.trustline.policy.model;

import static java.util.Objects.requireNonNull;

import org.jspecify.annotations.Nullable;

/**
 * What a rate limit counts per: one bucket per distinct key value.
 *
 * @param kind the kind of key
 * @param claim the claim name for {@link Kind#CLAIM}, null otherwise
 */
public record RateLimitKey(Kind kind, @Nullable String claim) {

    public enum Kind {
        /** The peer's SPIFFE ID (plaintext peers: the source IP stands in). */
        PRINCIPAL,
        /** {@code iss/sub} of the verified JWT. */
        REQUEST_PRINCIPAL,
        /** A claim of the verified JWT ({@code claim:<name>}). */
        CLAIM,
        /** The source IP address. */
        SOURCE_IP,
        /** The gRPC method for gRPC calls, else the normalised path. */
        ROUTE,
        /** One bucket for all requests that the limit matches. */
        GLOBAL
    }

    public static final RateLimitKey PRINCIPAL = new RateLimitKey(Kind.PRINCIPAL, null);
    public static final RateLimitKey REQUEST_PRINCIPAL = new RateLimitKey(Kind.REQUEST_PRINCIPAL, null);
    public static final RateLimitKey SOURCE_IP = new RateLimitKey(Kind.SOURCE_IP, null);
    public static final RateLimitKey ROUTE = new RateLimitKey(Kind.ROUTE, null);
    public static final RateLimitKey GLOBAL = new RateLimitKey(Kind.GLOBAL, null);

    public RateLimitKey {
        requireNonNull(kind, "kind");
        if ((kind == Kind.CLAIM) != (claim != null && !claim.isEmpty())) {
            throw new IllegalArgumentException(
                    "claim: " + claim + " (expected: a claim name exactly for key claim:<name>)");
        }
    }

    /**
     * Parses {@code principal}, {@code requestPrincipal}, {@code claim:<name>}, {@code sourceIp},
     * {@code route} or {@code global}.
     */
    public static RateLimitKey parse(String s) {
        switch (s) {
            case "principal":
                return PRINCIPAL;
            case "requestPrincipal":
                return REQUEST_PRINCIPAL;
            case "sourceIp":
                return SOURCE_IP;
            case "route":
                return ROUTE;
            case "global":
                return GLOBAL;
            default:
                if (s.startsWith("claim:") && s.length() > "claim:".length()) {
                    return new RateLimitKey(Kind.CLAIM, s.substring("claim:".length()));
                }
                throw new IllegalArgumentException("key: '" + s
                        + "' (expected: principal, requestPrincipal, claim:<name>, sourceIp, route or global)");
        }
    }

    /**
     * Whether the key needs a verified JWT, so the limit runs after JWT authentication; the others
     * run before it, so that a flood cannot make the sidecar verify signatures.
     */
    public boolean afterAuthentication() {
        return kind == Kind.REQUEST_PRINCIPAL || kind == Kind.CLAIM;
    }

    @Override
    public String toString() {
        return switch (kind) {
            case PRINCIPAL -> "principal";
            case REQUEST_PRINCIPAL -> "requestPrincipal";
            case CLAIM -> "claim:" + claim;
            case SOURCE_IP -> "sourceIp";
            case ROUTE -> "route";
            case GLOBAL -> "global";
        };
    }
}
