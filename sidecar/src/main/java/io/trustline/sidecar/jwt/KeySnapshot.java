package io.trustline.sidecar.jwt;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKMatcher;
import com.nimbusds.jose.jwk.JWKSet;
import java.security.Key;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The keys of one JWKS as fetched at one time, each with its verifier ready. Immutable; the request path reads the
 * current snapshot with one volatile read and never waits for a fetch.
 *
 * @param jwks the keys as published (for change detection)
 * @param keys the usable signature keys
 * @param skipped how many published keys could not be used (too short, not on the curve, ...)
 * @param generation increases whenever a key disappears from the JWKS, so that tokens verified with a withdrawn key
 *     stop being served from the verified-token cache
 */
record KeySnapshot(List<JWK> jwks, List<VerifyingKey> keys, int skipped, long generation) {

    static KeySnapshot of(JWKSet set, long generation) {
        final List<VerifyingKey> keys = new ArrayList<>(set.getKeys().size());
        int skipped = 0;
        for (JWK jwk : set.getKeys()) {
            try {
                final VerifyingKey key = StrictJwsVerifiers.keyOf(jwk);
                if (key != null) {
                    keys.add(key);
                }
            } catch (JOSEException | RuntimeException e) {
                skipped++;
            }
        }
        return new KeySnapshot(List.copyOf(set.getKeys()), List.copyOf(keys), skipped, generation);
    }

    /** The snapshot for {@code set}, this one if nothing changed. */
    KeySnapshot next(JWKSet set) {
        if (jwks.equals(set.getKeys())) {
            return this;
        }
        final Set<JWK> now = new HashSet<>(set.getKeys());
        final boolean withdrawn = !now.containsAll(jwks);
        return of(set, withdrawn ? generation + 1 : generation);
    }

    /** The keys that may have signed a token with {@code header}: its key type, kid, use and algorithm. */
    List<Key> select(JWSHeader header) {
        final JWKMatcher matcher = JWKMatcher.forJWSHeader(header);
        if (matcher == null) {
            return List.of();
        }
        List<Key> out = null;
        for (VerifyingKey k : keys) {
            if (matcher.matches(k.jwk()) && k.supports(header.getAlgorithm())) {
                if (out == null) {
                    out = new ArrayList<>(2);
                }
                out.add(k);
            }
        }
        return out == null ? List.of() : out;
    }

    /** The key ids, for logs. */
    List<String> keyIds() {
        final List<String> ids = new ArrayList<>(keys.size());
        for (VerifyingKey k : keys) {
            ids.add(String.valueOf(k.jwk().getKeyID()));
        }
        return ids;
    }
}
