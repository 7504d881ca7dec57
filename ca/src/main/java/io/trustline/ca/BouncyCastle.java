package io.trustline.ca;

import java.security.Provider;
import org.bouncycastle.jce.provider.BouncyCastleProvider;

/**
 * The one Bouncy Castle JCA provider instance Trustline signs and verifies with: the CA, the SVID validator and the
 * sidecar's JWT verifier all hand this instance to the JCA calls they make. Building a provider registers about a
 * thousand classes, so every module shares this one rather than building its own.
 *
 * <p>It is deliberately not registered with {@code Security.addProvider}: registration would change what the JDK's
 * TLS stack picks for everyone in the process, while passing the instance only where we sign and verify makes
 * issuance about five times faster (the JDK 17 ECDSA verify alone costs about 2.5 ms). Callers must do the same:
 * pass it explicitly, never register it.
 */
public final class BouncyCastle {

    /** The shared provider instance; providers are thread-safe. */
    public static final Provider PROVIDER = new BouncyCastleProvider();

    private BouncyCastle() {}
}
