package io.trustline.ca;

import java.security.Provider;
import org.bouncycastle.jce.provider.BouncyCastleProvider;

/**
 * The one Bouncy Castle JCA provider instance the CA signs and verifies with. Building a provider registers about a
 * thousand algorithms and holds some 6 MB of heap, so the CA builds this one only, and the workload side (the
 * sidecar, {@link SvidValidator}, {@link Csrs}, {@link Pem}) builds none: it uses the JDK's providers and Bouncy
 * Castle's lightweight API.
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
