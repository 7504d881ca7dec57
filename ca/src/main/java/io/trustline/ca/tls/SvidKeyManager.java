package io.trustline.ca.tls;

import static java.util.Objects.requireNonNull;

import io.trustline.ca.X509Svid;
import java.net.Socket;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedKeyManager;
import org.jspecify.annotations.Nullable;

/**
 * A key manager that presents whatever SVID a supplier returns at the time of each handshake, so a
 * renewed SVID is used by the next connection without rebuilding the TLS context, while
 * connections in flight keep theirs.
 *
 * <p>The alias names the certificate's serial, so the chain and key that TLS asks for separately
 * always belong together even if the SVID is renewed in between.
 */
public final class SvidKeyManager extends X509ExtendedKeyManager {

    private static final int MAX_REMEMBERED = 4;

    private final Supplier<X509Svid> svid;
    private final Map<String, X509Svid> byAlias = new ConcurrentHashMap<>();

    /** Creates a key manager presenting {@code svid.get()} in each new handshake. */
    public SvidKeyManager(Supplier<X509Svid> svid) {
        this.svid = requireNonNull(svid, "svid");
    }

    private @Nullable String currentAlias(@Nullable String keyType) {
        final X509Svid current = svid.get();
        if (current == null) {
            return null;
        }
        final String algorithm = current.privateKey().getAlgorithm();
        // JSSE asks with types such as "EC", "RSA" or "EC_EC"; only offer a matching key.
        if (keyType != null && !keyType.equals(algorithm) && !keyType.startsWith(algorithm + "_")) {
            return null;
        }
        final String alias = "svid-" + current.leaf().getSerialNumber().toString(16);
        if (!byAlias.containsKey(alias)) {
            if (byAlias.size() >= MAX_REMEMBERED) {
                byAlias.clear();
            }
            byAlias.put(alias, current);
        }
        return alias;
    }

    private @Nullable String anyAlias(String @Nullable [] keyTypes) {
        if (keyTypes == null) {
            return currentAlias(null);
        }
        for (String keyType : keyTypes) {
            final String alias = currentAlias(keyType);
            if (alias != null) {
                return alias;
            }
        }
        return null;
    }

    @Override
    public String @Nullable [] getClientAliases(String keyType, Principal[] issuers) {
        final String alias = currentAlias(keyType);
        return alias == null ? null : new String[] {alias};
    }

    @Override
    public @Nullable String chooseClientAlias(String[] keyTypes, Principal[] issuers, Socket socket) {
        return anyAlias(keyTypes);
    }

    @Override
    public @Nullable String chooseEngineClientAlias(String[] keyTypes, Principal[] issuers, SSLEngine engine) {
        return anyAlias(keyTypes);
    }

    @Override
    public String @Nullable [] getServerAliases(String keyType, Principal[] issuers) {
        final String alias = currentAlias(keyType);
        return alias == null ? null : new String[] {alias};
    }

    @Override
    public @Nullable String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
        return currentAlias(keyType);
    }

    @Override
    public @Nullable String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
        return currentAlias(keyType);
    }

    @Override
    public X509Certificate @Nullable [] getCertificateChain(@Nullable String alias) {
        final X509Svid chosen = alias == null ? null : byAlias.get(alias);
        return chosen == null ? null : chosen.chain().toArray(new X509Certificate[0]);
    }

    @Override
    public @Nullable PrivateKey getPrivateKey(@Nullable String alias) {
        final X509Svid chosen = alias == null ? null : byAlias.get(alias);
        return chosen == null ? null : chosen.privateKey();
    }
}
