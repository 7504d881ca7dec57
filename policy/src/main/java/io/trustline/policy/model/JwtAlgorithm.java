package io.trustline.policy.model;

import java.util.Arrays;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;

/**
 * The JWS algorithms a policy may allow. Only asymmetric ones: an HMAC "key" would be the issuer's
 * public key (the classic algorithm-confusion attack), and {@code none} is no signature at all, so
 * neither can even be written. Names are the JOSE names, which Nimbus's {@code
 * JWSAlgorithm.parse} accepts.
 */
public enum JwtAlgorithm {
    RS256,
    RS384,
    RS512,
    PS256,
    PS384,
    PS512,
    ES256,
    ES384,
    ES512,
    EdDSA;

    public static @Nullable JwtAlgorithm find(String name) {
        for (JwtAlgorithm a : values()) {
            if (a.name().equals(name)) {
                return a;
            }
        }
        return null;
    }

    /** "RS256, RS384, ...": for messages. */
    public static String names() {
        return Arrays.stream(values()).map(Enum::name).collect(Collectors.joining(", "));
    }

    /** The JOSE name. */
    public String joseName() {
        return name();
    }
}
