package io.trustline.ca.store;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.trustline.ca.CertificateAuthority;
import io.trustline.ca.CertificateAuthorityBuilder;
import io.trustline.ca.KeyType;
import io.trustline.ca.Pem;
import io.trustline.ca.SpiffeId;
import io.trustline.ca.TrustBundle;
import io.trustline.ca.internal.OwnerOnlyFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * A CA on disk. The directory (mode 0700) holds:
 *
 * <ul>
 *   <li>{@code ca.json}: trust domain, default and maximum SVID TTL;
 *   <li>{@code ca.pem}: the signing certificate, then its issuers (for an operator's intermediate);
 *   <li>{@code ca.key}: the signing key, unencrypted PKCS#8 PEM, mode 0600;
 *   <li>{@code bundle.pem}: the trust bundle roots (append a root here to rotate with overlap);
 *   <li>{@code tokens.json}: join tokens, hashed, mode 0600;
 *   <li>{@code audit.log}: the issuance audit log, JSON lines, append-only, mode 0600.
 * </ul>
 *
 * <p>Opening refuses a {@code ca.key} or {@code tokens.json} that the group or others can access.
 */
public final class CaDirectory {

    public static final String CONFIG_FILE = "ca.json";
    public static final String CERT_FILE = "ca.pem";
    public static final String KEY_FILE = "ca.key";
    public static final String BUNDLE_FILE = "bundle.pem";
    public static final String TOKENS_FILE = "tokens.json";
    public static final String AUDIT_FILE = "audit.log";

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path dir;
    private final CertificateAuthority ca;
    private final JoinTokenStore joinTokens;
    private final JsonLinesIssuanceLog issuanceLog;

    private CaDirectory(Path dir, CertificateAuthority ca, Clock clock) {
        this.dir = dir;
        this.ca = ca;
        joinTokens = JoinTokenStore.inFile(dir.resolve(TOKENS_FILE), clock);
        issuanceLog = new JsonLinesIssuanceLog(dir.resolve(AUDIT_FILE));
    }

    /** Options for a new CA directory; immutable. Defaults: EC P-256, TTLs of {@link CertificateAuthority}. */
    public record Settings(String trustDomain, KeyType keyType, Duration defaultTtl, Duration maxTtl) {

        /** Checks the values. */
        public Settings {
            SpiffeId.checkTrustDomain(trustDomain);
            requireNonNull(keyType, "keyType");
            requireNonNull(defaultTtl, "defaultTtl");
            requireNonNull(maxTtl, "maxTtl");
        }

        /** Returns the defaults for a trust domain. */
        public static Settings of(String trustDomain) {
            return new Settings(
                    trustDomain,
                    KeyType.EC_P256,
                    CertificateAuthority.DEFAULT_TTL,
                    CertificateAuthority.DEFAULT_MAX_TTL);
        }

        /** Returns these settings with another key type. */
        public Settings withKeyType(KeyType keyType) {
            return new Settings(trustDomain, keyType, defaultTtl, maxTtl);
        }

        /** Returns these settings with another maximum TTL. */
        public Settings withMaxTtl(Duration maxTtl) {
            return new Settings(trustDomain, keyType, defaultTtl, maxTtl);
        }
    }

    /**
     * Creates a CA with a new self-signed root in {@code dir} (created if missing).
     *
     * @throws IOException if {@code dir} already holds a CA or cannot be written
     */
    public static CaDirectory init(Path dir, Settings settings, Clock clock) throws IOException {
        requireNonNull(dir, "dir");
        requireNonNull(settings, "settings");
        requireNonNull(clock, "clock");
        checkEmpty(dir);
        final KeyPair keyPair = settings.keyType().generate();
        final CertificateAuthority ca = configure(CertificateAuthority.builder(settings.trustDomain()), settings, clock)
                .keyType(settings.keyType())
                .rootKeyPair(keyPair)
                .build();
        return write(dir, settings, ca, List.of(ca.signingCertificate()), keyPair.getPrivate(), clock);
    }

    /**
     * Creates a CA in {@code dir} that signs with an operator's root or intermediate ("bring your own
     * CA").
     *
     * @param certificateFile PEM: the signing certificate, then its issuers (the root may end it)
     * @param keyFile PEM: the signing certificate's private key (PKCS#8 or traditional)
     * @param bundleFile PEM roots, or {@code null} when the certificate file ends with the root
     * @throws IOException if a file cannot be read or {@code dir} already holds a CA
     * @throws IllegalArgumentException if the certificate, key and roots do not fit together
     */
    public static CaDirectory importExisting(
            Path dir, Settings settings, Path certificateFile, Path keyFile, @Nullable Path bundleFile, Clock clock)
            throws IOException {
        requireNonNull(dir, "dir");
        requireNonNull(settings, "settings");
        requireNonNull(certificateFile, "certificateFile");
        requireNonNull(keyFile, "keyFile");
        requireNonNull(clock, "clock");
        checkEmpty(dir);
        final List<X509Certificate> chain = Pem.parseCertificates(readText(certificateFile));
        final PrivateKey key = Pem.parsePrivateKey(readText(keyFile));
        final CertificateAuthorityBuilder builder = configure(
                        CertificateAuthority.builder(settings.trustDomain()), settings, clock)
                .signingCertificate(chain, key);
        if (bundleFile != null) {
            builder.bundle(TrustBundle.parsePem(readText(bundleFile)));
        }
        return write(dir, settings, builder.build(), chain, key, clock);
    }

    /**
     * Opens an existing CA directory.
     *
     * @throws io.trustline.ca.InsecureFileException if {@code ca.key} or {@code
     *     tokens.json} is accessible to the group or others
     * @throws IOException if a file is missing or unreadable
     */
    public static CaDirectory open(Path dir, Clock clock) throws IOException {
        requireNonNull(dir, "dir");
        requireNonNull(clock, "clock");
        final Path keyFile = dir.resolve(KEY_FILE);
        if (!Files.exists(keyFile)) {
            throw new IOException(dir + ": no CA here (" + KEY_FILE + " is missing; run `init` first)");
        }
        OwnerOnlyFiles.checkOwnerOnly(keyFile);
        final Path tokens = dir.resolve(TOKENS_FILE);
        if (Files.exists(tokens)) {
            OwnerOnlyFiles.checkOwnerOnly(tokens);
        }
        final JsonNode config = JSON.readTree(dir.resolve(CONFIG_FILE).toFile());
        final String trustDomain = config.path("trust_domain").asText();
        final Settings settings = new Settings(
                trustDomain,
                KeyType.EC_P256,
                Duration.parse(config.path("default_ttl").asText()),
                Duration.parse(config.path("max_ttl").asText()));
        final CertificateAuthority ca;
        try {
            ca = configure(CertificateAuthority.builder(trustDomain), settings, clock)
                    .signingCertificate(
                            Pem.parseCertificates(readText(dir.resolve(CERT_FILE))),
                            Pem.parsePrivateKey(readText(keyFile)))
                    .bundle(TrustBundle.parsePem(readText(dir.resolve(BUNDLE_FILE))))
                    .build();
        } catch (IllegalArgumentException e) {
            throw new IOException(dir + ": " + e.getMessage(), e);
        }
        return new CaDirectory(dir, ca, clock);
    }

    private static CertificateAuthorityBuilder configure(
            CertificateAuthorityBuilder builder, Settings settings, Clock clock) {
        return builder.clock(clock).defaultTtl(settings.defaultTtl()).maxTtl(settings.maxTtl());
    }

    /** Whether {@code dir} holds (part of) a CA: {@link #init} would refuse it, {@link #open} may open it. */
    public static boolean holdsCa(Path dir) {
        requireNonNull(dir, "dir");
        return List.of(KEY_FILE, CERT_FILE, CONFIG_FILE, BUNDLE_FILE).stream()
                .anyMatch(name -> Files.exists(dir.resolve(name)));
    }

    private static void checkEmpty(Path dir) throws IOException {
        for (String name : List.of(KEY_FILE, CERT_FILE, CONFIG_FILE, BUNDLE_FILE)) {
            if (Files.exists(dir.resolve(name))) {
                throw new IOException(dir + ": already holds a CA (" + name + " exists); refusing to overwrite");
            }
        }
    }

    private static CaDirectory write(
            Path dir,
            Settings settings,
            CertificateAuthority ca,
            List<X509Certificate> chain,
            PrivateKey key,
            Clock clock)
            throws IOException {
        OwnerOnlyFiles.createDirectory(dir);
        // The key first: if anything below fails, a rerun refuses rather than pairing a new
        // certificate with an old key.
        OwnerOnlyFiles.writeNew(dir.resolve(KEY_FILE), Pem.encodePrivateKey(key).getBytes(StandardCharsets.US_ASCII));
        Files.writeString(dir.resolve(CERT_FILE), Pem.encodeCertificates(chain));
        Files.writeString(dir.resolve(BUNDLE_FILE), ca.trustBundle().toPem());
        final ObjectNode config = JSON.createObjectNode();
        config.put("trust_domain", settings.trustDomain());
        config.put("default_ttl", settings.defaultTtl().toString());
        config.put("max_ttl", settings.maxTtl().toString());
        config.put("created_at", clock.instant().toString());
        Files.writeString(
                dir.resolve(CONFIG_FILE), JSON.writerWithDefaultPrettyPrinter().writeValueAsString(config) + "\n");
        return new CaDirectory(dir, ca, clock);
    }

    private static String readText(Path file) throws IOException {
        return Files.readString(file, StandardCharsets.US_ASCII);
    }

    /** Returns the directory. */
    public Path path() {
        return dir;
    }

    /** Returns the CA loaded from the directory. */
    public CertificateAuthority certificateAuthority() {
        return ca;
    }

    /** Returns the join tokens kept in {@code tokens.json}. */
    public JoinTokenStore joinTokens() {
        return joinTokens;
    }

    /** Returns the audit log appending to {@code audit.log}. */
    public IssuanceLog issuanceLog() {
        return issuanceLog;
    }

    /**
     * Returns the {@code spiffe_sequence} of the bundle: the modification time of {@code bundle.pem}
     * in seconds, so that editing the file (to add or retire a root) always increases it.
     */
    public long bundleSequence() throws IOException {
        final Instant modified =
                Files.getLastModifiedTime(dir.resolve(BUNDLE_FILE)).toInstant();
        return modified.getEpochSecond();
    }
}
