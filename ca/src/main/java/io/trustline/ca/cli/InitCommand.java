package io.trustline.ca.cli;

import io.trustline.ca.CertificateAuthority;
import io.trustline.ca.KeyType;
import io.trustline.ca.store.CaDirectory;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

@Command(
        name = "init",
        description = "Create a CA for a trust domain: a new root, or your own root/intermediate (--ca-cert/--ca-key).")
final class InitCommand implements Callable<Integer> {

    @ParentCommand
    TrustlineCa parent;

    @Spec
    CommandSpec spec;

    @Option(names = "--trust-domain", required = true, paramLabel = "DOMAIN", description = "e.g. example.org")
    String trustDomain;

    @Option(
            names = "--dir",
            required = true,
            paramLabel = "DIR",
            description = "Where to keep the CA (created, mode 0700).")
    Path dir;

    @Option(
            names = "--key-type",
            paramLabel = "TYPE",
            defaultValue = "ec-p256",
            description = "Key of a new root: ec-p256 (default) or rsa-3072.")
    String keyType;

    @Option(names = "--ca-cert", paramLabel = "FILE", description = "PEM: your CA certificate, then its issuers.")
    @Nullable
    Path caCert;

    @Option(names = "--ca-key", paramLabel = "FILE", description = "PEM: the private key of --ca-cert (PKCS#8).")
    @Nullable
    Path caKey;

    @Option(
            names = "--bundle",
            paramLabel = "FILE",
            description = "PEM: the root(s) to trust, when --ca-cert does not end with its root.")
    @Nullable
    Path bundle;

    @Option(
            names = "--max-ttl",
            paramLabel = "DURATION",
            defaultValue = "24h",
            converter = DurationConverter.class,
            description = "Longest SVID lifetime granted (default: 24h).")
    Duration maxTtl;

    @Option(
            names = "--if-missing",
            description = "Keep a CA that DIR already holds (of the same trust domain) and exit 0, instead of"
                    + " refusing: for init steps that run at every start.")
    boolean ifMissing;

    @Override
    public Integer call() throws Exception {
        if (ifMissing && CaDirectory.holdsCa(dir)) {
            final CertificateAuthority existing =
                    CaDirectory.open(dir, parent.clock).certificateAuthority();
            if (!existing.trustDomain().equals(trustDomain)) {
                throw new IllegalArgumentException(dir + ": holds a CA for trust domain " + existing.trustDomain()
                        + ", not " + trustDomain + "; refusing to use it");
            }
            spec.commandLine().getOut().printf("kept the CA for trust domain %s in %s%n", existing.trustDomain(), dir);
            return 0;
        }
        CaDirectory.Settings settings = CaDirectory.Settings.of(trustDomain)
                .withKeyType(KeyType.parse(keyType))
                .withMaxTtl(maxTtl);
        if (maxTtl.compareTo(CertificateAuthority.DEFAULT_TTL) < 0) {
            settings = new CaDirectory.Settings(trustDomain, settings.keyType(), maxTtl, maxTtl);
        }
        final CaDirectory created;
        if (caCert != null || caKey != null) {
            if (caCert == null || caKey == null) {
                throw new IllegalArgumentException("--ca-cert and --ca-key go together");
            }
            created = CaDirectory.importExisting(dir, settings, caCert, caKey, bundle, parent.clock);
        } else {
            if (bundle != null) {
                throw new IllegalArgumentException("--bundle needs --ca-cert and --ca-key");
            }
            created = CaDirectory.init(dir, settings, parent.clock);
        }
        final CertificateAuthority ca = created.certificateAuthority();
        spec.commandLine()
                .getOut()
                .printf(
                        "initialised CA for trust domain %s in %s (signing certificate valid until %s)%n",
                        ca.trustDomain(),
                        dir,
                        ca.signingCertificate().getNotAfter().toInstant());
        return 0;
    }
}
