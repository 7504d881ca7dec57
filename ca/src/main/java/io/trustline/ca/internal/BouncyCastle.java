package io.trustline.ca.internal;

import java.security.Provider;
import org.bouncycastle.jce.provider.BouncyCastleProvider;

/**
 * The one Bouncy Castle provider instance the CA code hands to JCA builders; the sidecar's JWT
 * verifier shares it, since building a provider registers about a thousand classes. Not an API for
 * users.
 *
 * <p>It is deliberately not registered with {@code Security.addProvider}: registration would change
 * what the JDK's TLS stack picks for everyone in the process, while passing the instance only where
 * we sign and verify makes issuance about five times faster (the JDK 17 ECDSA verify alone costs
 * about 2.5 ms).
 */
public final class BouncyCastle {

    /** The shared provider instance; providers are thread-safe. */
    public static final Provider PROVIDER = new BouncyCastleProvider();

    private BouncyCastle() {}
}
