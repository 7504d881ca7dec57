package io.trustline.ca;

import static java.util.Objects.requireNonNull;

import java.net.URI;
import java.nio.charset.StandardCharsets;

/**
 * A SPIFFE ID, {@code spiffe://<trust-domain>/<path>}, parsed strictly per the SPIFFE ID
 * specification: lowercase {@code spiffe} scheme, a trust domain of lowercase letters, digits,
 * {@code .}, {@code -} and {@code _} (at most 255 characters), no port, user info, query or
 * fragment, path segments of letters, digits, {@code .}, {@code -} and {@code _} that are neither
 * empty nor {@code .}/{@code ..}, and at most 2048 bytes in all.
 *
 * <p>Immutable; equal when the URI strings are equal (the strict grammar leaves one spelling per ID).
 */
public final class SpiffeId {

    /** Paths under this prefix belong to Trustline's own components. */
    public static final String RESERVED_PATH_PREFIX = "/trustline/";

    private static final String SCHEME_PREFIX = "spiffe://";
    private static final int MAX_TRUST_DOMAIN_LENGTH = 255;
    private static final int MAX_ID_BYTES = 2048;

    private final String trustDomain;
    private final String path;
    private final String uri;

    private SpiffeId(String trustDomain, String path) {
        this.trustDomain = trustDomain;
        this.path = path;
        uri = SCHEME_PREFIX + trustDomain + path;
    }

    /**
     * Parses a SPIFFE ID.
     *
     * @throws IllegalArgumentException naming what is wrong, e.g. {@code "spiffe id: empty path
     *     segment in 'spiffe://td/a//b'"}
     */
    public static SpiffeId parse(String uri) {
        requireNonNull(uri, "uri");
        if (uri.isEmpty()) {
            throw invalid(uri, "empty");
        }
        if (uri.getBytes(StandardCharsets.UTF_8).length > MAX_ID_BYTES) {
            throw invalid(uri, "longer than " + MAX_ID_BYTES + " bytes");
        }
        if (!uri.startsWith(SCHEME_PREFIX)) {
            throw invalid(uri, "scheme must be 'spiffe://' (lowercase)");
        }
        final String rest = uri.substring(SCHEME_PREFIX.length());
        final int slash = rest.indexOf('/');
        final String trustDomain = slash < 0 ? rest : rest.substring(0, slash);
        final String path = slash < 0 ? "" : rest.substring(slash);
        checkTrustDomain(trustDomain, uri);
        checkPath(path, uri);
        return new SpiffeId(trustDomain, path);
    }

    /**
     * Returns {@code spiffe://<trustDomain>/ns/<namespace>/sa/<serviceAccount>}, the shape Trustline
     * uses for workloads.
     *
     * @throws IllegalArgumentException if any part is not valid in a SPIFFE ID
     */
    public static SpiffeId of(String trustDomain, String namespace, String serviceAccount) {
        requireNonNull(trustDomain, "trustDomain");
        requireNonNull(namespace, "namespace");
        requireNonNull(serviceAccount, "serviceAccount");
        return parse(SCHEME_PREFIX + trustDomain + "/ns/" + namespace + "/sa/" + serviceAccount);
    }

    /**
     * Returns the ID of a trust domain itself, {@code spiffe://<trustDomain>} (no path).
     *
     * @throws IllegalArgumentException if the name is not a valid trust domain
     */
    public static SpiffeId ofTrustDomain(String trustDomain) {
        requireNonNull(trustDomain, "trustDomain");
        return parse(SCHEME_PREFIX + trustDomain);
    }

    /**
     * Checks a trust domain name.
     *
     * @throws IllegalArgumentException if it is not valid
     */
    public static String checkTrustDomain(String trustDomain) {
        requireNonNull(trustDomain, "trustDomain");
        checkTrustDomain(trustDomain, SCHEME_PREFIX + trustDomain);
        return trustDomain;
    }

    private static void checkTrustDomain(String trustDomain, String uri) {
        if (trustDomain.isEmpty()) {
            throw invalid(uri, "empty trust domain");
        }
        if (trustDomain.length() > MAX_TRUST_DOMAIN_LENGTH) {
            throw invalid(uri, "trust domain longer than " + MAX_TRUST_DOMAIN_LENGTH + " characters");
        }
        for (int i = 0; i < trustDomain.length(); i++) {
            final char c = trustDomain.charAt(i);
            if (!(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '-' || c == '_')) {
                throw invalid(
                        uri,
                        "trust domain character '" + c
                                + "' (expected: lowercase letters, digits, '.', '-', '_'; no port or user info)");
            }
        }
    }

    private static void checkPath(String path, String uri) {
        if (path.isEmpty()) {
            return;
        }
        // The path starts with '/'; every segment after it must be non-empty.
        int start = 1;
        while (true) {
            final int end = path.indexOf('/', start);
            final String segment = end < 0 ? path.substring(start) : path.substring(start, end);
            if (segment.isEmpty()) {
                throw invalid(uri, end < 0 ? "trailing '/'" : "empty path segment");
            }
            if (segment.equals(".") || segment.equals("..")) {
                throw invalid(uri, "path segment '" + segment + "'");
            }
            for (int i = 0; i < segment.length(); i++) {
                final char c = segment.charAt(i);
                if (!(c >= 'a' && c <= 'z'
                        || c >= 'A' && c <= 'Z'
                        || c >= '0' && c <= '9'
                        || c == '.'
                        || c == '-'
                        || c == '_')) {
                    throw invalid(
                            uri,
                            "path character '" + c + "' (expected: letters, digits, '.', '-', '_'; "
                                    + "no percent-encoding, query or fragment)");
                }
            }
            if (end < 0) {
                return;
            }
            start = end + 1;
        }
    }

    private static IllegalArgumentException invalid(String uri, String problem) {
        final String shown = uri.length() > 100 ? uri.substring(0, 100) + "..." : uri;
        return new IllegalArgumentException("spiffe id: " + problem + " in '" + shown + "'");
    }

    /** Returns the trust domain, e.g. {@code example.org}. */
    public String trustDomain() {
        return trustDomain;
    }

    /** Returns the path including its leading {@code /}, or {@code ""} for a trust domain's own ID. */
    public String path() {
        return path;
    }

    /** Returns whether this names a workload (has a path) rather than a trust domain. */
    public boolean hasPath() {
        return !path.isEmpty();
    }

    /**
     * Returns whether this ID is reserved for Trustline itself (a path under {@value #RESERVED_PATH_PREFIX}, such as
     * the CA server's {@code /trustline/ca}): never issued to a workload, never accepted as one.
     */
    public boolean isReserved() {
        return path.startsWith(RESERVED_PATH_PREFIX);
    }

    /** Returns whether this ID is in the given trust domain. */
    public boolean isMemberOf(String trustDomain) {
        return this.trustDomain.equals(trustDomain);
    }

    /** Returns the ID as a {@link URI}. */
    public URI toUri() {
        return URI.create(uri);
    }

    /** Returns the URI string, e.g. {@code spiffe://example.org/ns/shop/sa/orders}. */
    @Override
    public String toString() {
        return uri;
    }

    @Override
    public boolean equals(Object o) {
        return this == o || o instanceof SpiffeId && uri.equals(((SpiffeId) o).uri);
    }

    @Override
    public int hashCode() {
        return uri.hashCode();
    }
}
