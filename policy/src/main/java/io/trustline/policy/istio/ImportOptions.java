package io.trustline.policy.istio;

import java.util.List;
import java.util.regex.Pattern;

/**
 * How Istio names map to Trustline's.
 *
 * @param trustDomain the Trustline mesh's trust domain: Istio principals in {@code istioTrustDomain} become {@code
 *     spiffe://<trustDomain>/...}
 * @param istioTrustDomain the trust domain of the Istio mesh (Istio's default: {@code cluster.local})
 * @param serviceLabel the selector label whose value is the service name (default {@code app})
 * @param services the services that namespace-wide policies (no selector) apply to; empty: such policies cannot be
 *     placed and are reported
 */
public record ImportOptions(String trustDomain, String istioTrustDomain, String serviceLabel, List<String> services) {

    public static final String DEFAULT_TRUST_DOMAIN = "cluster.local";
    public static final String DEFAULT_SERVICE_LABEL = "app";

    /** A trust domain: lower-case DNS-like name (SPIFFE). */
    private static final Pattern TRUST_DOMAIN = Pattern.compile("[a-z0-9._-]+");

    /** A service name that can also be a file name. */
    static final Pattern SERVICE = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,62}");

    public ImportOptions {
        services = List.copyOf(services);
        for (String td : List.of(trustDomain, istioTrustDomain)) {
            if (!TRUST_DOMAIN.matcher(td).matches()) {
                throw new IllegalArgumentException(
                        "trust domain: '" + td + "' (expected: lower-case letters, digits, '.', '-', '_')");
            }
        }
        for (String s : services) {
            if (!SERVICE.matcher(s).matches()) {
                throw new IllegalArgumentException(
                        "services: '" + s + "' (expected: letters, digits, '.', '-', '_', at most 63)");
            }
        }
    }

    public static ImportOptions defaults() {
        return new ImportOptions(DEFAULT_TRUST_DOMAIN, DEFAULT_TRUST_DOMAIN, DEFAULT_SERVICE_LABEL, List.of());
    }
}
