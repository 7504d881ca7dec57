package io.trustline.sidecar.jwt;

import com.linecorp.armeria.common.RequestHeaders;
import io.netty.util.AsciiString;
import io.trustline.policy.model.JwtProvider;
import io.trustline.policy.model.Mode;
import io.trustline.policy.model.TokenSource;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * The token issuers of one service as the policy in force names them, compiled for the request path: where tokens
 * are read, which headers carry claims, and one {@link IssuerVerifier} per issuer. Immutable; replaced (re-using the
 * verifiers of unchanged entries) when a policy reload changes the service's {@code jwt} section.
 */
public final class Issuers {

    static final Issuers NONE = new Issuers(List.of(), Map.of());

    private final List<JwtProvider> providers;
    private final Map<String, IssuerVerifier> byIssuer;
    private final List<TokenExtractor.HeaderSource> headerSources;
    private final List<String> queryParams;
    private final List<AsciiString> claimHeaders;
    private final int maxTokenBytes;
    private final Mode unattributedMode;
    private final @Nullable Mode requiredMode;
    private final boolean withholdsTokens;

    Issuers(List<JwtProvider> providers, Map<String, IssuerVerifier> byIssuer) {
        this.providers = providers;
        this.byIssuer = Map.copyOf(byIssuer);
        final List<TokenSource> sources = new ArrayList<>();
        final Set<String> params = new LinkedHashSet<>();
        final Set<AsciiString> headers = new LinkedHashSet<>();
        int max = 0;
        boolean allAudit = !providers.isEmpty();
        Mode required = null;
        boolean withholds = false;
        for (JwtProvider p : providers) {
            sources.addAll(p.fromHeaders());
            p.fromQuery().ifPresent(params::add);
            p.claimsToHeaders().values().forEach(h -> headers.add(AsciiString.cached(h)));
            max = Math.max(max, p.maxTokenBytes());
            allAudit &= p.mode() == Mode.AUDIT;
            if (p.required()) {
                required = required == Mode.ENFORCE || p.mode() == Mode.ENFORCE ? Mode.ENFORCE : Mode.AUDIT;
            }
            withholds |= !p.forwardToken();
        }
        headerSources = TokenExtractor.HeaderSource.of(sources);
        queryParams = List.copyOf(params);
        claimHeaders = List.copyOf(headers);
        maxTokenBytes = max;
        unattributedMode = allAudit ? Mode.AUDIT : Mode.ENFORCE;
        requiredMode = required;
        withholdsTokens = withholds;
    }

    /** The policy entries these were compiled from (compared by identity to notice a reload). */
    List<JwtProvider> providers() {
        return providers;
    }

    /** Whether the service accepts no tokens at all (nothing to check, nothing to strip). */
    public boolean isEmpty() {
        return providers.isEmpty();
    }

    @Nullable
    IssuerVerifier verifier(String issuer) {
        return byIssuer.get(issuer);
    }

    Collection<IssuerVerifier> verifiers() {
        return byIssuer.values();
    }

    List<TokenExtractor.HeaderSource> headerSources() {
        return headerSources;
    }

    List<String> queryParams() {
        return queryParams;
    }

    /** Every header any issuer sets from claims: removed from every request before anything else. */
    List<AsciiString> claimHeaders() {
        return claimHeaders;
    }

    /** The largest {@code maxTokenBytes}: longer tokens are refused before they are even hashed. */
    int maxTokenBytes() {
        return maxTokenBytes;
    }

    /**
     * The mode of a failure that cannot be attributed to an issuer (malformed, several tokens, unknown issuer):
     * audit only if every issuer of the service is in audit mode.
     */
    Mode unattributedMode() {
        return unattributedMode;
    }

    /** Null when a missing token is fine; else the mode of the {@code jwt.missing} refusal. */
    @Nullable
    Mode requiredMode() {
        return requiredMode;
    }

    /** Whether some issuer says {@code forwardToken: false}. */
    boolean withholdsTokens() {
        return withholdsTokens;
    }

    /** The token as found on a request of this service, {@link TokenExtractor#MULTIPLE}, or null. */
    @Nullable
    public FoundToken find(RequestHeaders headers, @Nullable String query) {
        return TokenExtractor.find(headers, query, headerSources, queryParams);
    }

    @Override
    public String toString() {
        return "Issuers" + byIssuer.keySet();
    }
}
