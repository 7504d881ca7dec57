package io.trustline.sidecar.identity;

import com.linecorp.armeria.common.TlsKeyPair;
import io.trustline.ca.Pem;
import io.trustline.ca.TrustBundle;
import io.trustline.sidecar.config.FileReadErrors;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads the PEM files of an identity with errors that say which setting, which file and what is wrong with it:
 * missing, unreadable, not PEM, PEM of the wrong kind, or a key that does not belong to the certificate. Start-up and
 * {@code --check} report the same messages, since both come from here.
 */
public final class PemFiles {

    private static final Pattern BEGIN = Pattern.compile("-----BEGIN ([A-Z0-9 ]+)-----");

    /**
     * Reads a certificate chain (leaf first) and its PKCS#8 key.
     *
     * @throws IllegalArgumentException {@code "identity.certFile: <file>: does not exist"} and the like
     */
    public static TlsKeyPair keyPair(String certKey, Path certFile, String keyKey, Path keyFile) {
        final String certPem = FileReadErrors.readString(certKey, certFile);
        expect(certKey, certFile, certPem, "a certificate", "CERTIFICATE");
        final String keyPem = FileReadErrors.readString(keyKey, keyFile);
        expect(keyKey, keyFile, keyPem, "a PKCS#8 private key", "PRIVATE KEY");
        final TlsKeyPair pair;
        try {
            // Parsed here rather than by TlsKeyPair.of(InputStream, ...): that path goes through Netty, which builds
            // a whole Bouncy Castle JCA provider (about 6 MB of heap) as soon as it finds Bouncy Castle's jars.
            pair = TlsKeyPair.of(Pem.parsePrivateKey(keyPem), Pem.parseCertificates(certPem));
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(
                    certKey + ", " + keyKey + ": " + certFile + ", " + keyFile
                            + ": PEM that cannot be parsed as a certificate chain and its key",
                    e);
        }
        if (!belongTogether(pair.privateKey(), pair.certificateChain().get(0).getPublicKey())) {
            throw new IllegalArgumentException(
                    keyKey + ": " + keyFile + ": the key does not belong to the certificate in " + certFile);
        }
        return pair;
    }

    /**
     * Reads a trust bundle: one or more PEM certificates.
     *
     * @throws IllegalArgumentException naming the setting, the file and the problem
     */
    public static TrustBundle bundle(String key, Path file) {
        final String pem = FileReadErrors.readString(key, file);
        expect(key, file, pem, "a certificate", "CERTIFICATE");
        try {
            return TrustBundle.parsePem(pem);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(
                    key + ": " + file + ": PEM that cannot be parsed as certificates (" + e.getMessage() + ')', e);
        }
    }

    private static void expect(String key, Path file, String pem, String what, String label) {
        final Set<String> labels = new LinkedHashSet<>();
        final Matcher m = BEGIN.matcher(pem);
        while (m.find()) {
            labels.add(m.group(1));
        }
        if (labels.isEmpty()) {
            throw new IllegalArgumentException(
                    key + ": " + file + ": not PEM (no '-----BEGIN " + label + "-----' line; expected: " + what + ')');
        }
        if (!labels.contains(label)) {
            final String hint = label.equals("PRIVATE KEY")
                    ? "; a traditional key converts with 'openssl pkcs8 -topk8 -nocrypt'"
                    : "";
            throw new IllegalArgumentException(key + ": " + file + ": PEM, but not " + what + " (found: "
                    + String.join(", ", labels) + ")" + hint);
        }
    }

    /** Whether {@code key} signs what {@code publicKey} verifies: one check that works for every key type. */
    private static boolean belongTogether(PrivateKey key, PublicKey publicKey) {
        final String algorithm = switch (publicKey.getAlgorithm()) {
            case "EC" -> "SHA256withECDSA";
            case "RSA" -> "SHA256withRSA";
            default -> publicKey.getAlgorithm(); // Ed25519, Ed448
        };
        try {
            final byte[] probe = "trustline key check".getBytes(StandardCharsets.US_ASCII);
            final Signature signer = Signature.getInstance(algorithm);
            signer.initSign(key);
            signer.update(probe);
            final byte[] signature = signer.sign();
            final Signature verifier = Signature.getInstance(algorithm);
            verifier.initVerify(publicKey);
            verifier.update(probe);
            return verifier.verify(signature);
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    private PemFiles() {}
}
