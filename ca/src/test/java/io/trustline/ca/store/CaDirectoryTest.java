package io.trustline.ca.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.trustline.ca.CertificateAuthority;
import io.trustline.ca.InsecureFileException;
import io.trustline.ca.KeyType;
import io.trustline.ca.Pem;
import io.trustline.ca.SpiffeId;
import io.trustline.ca.TestIntermediates;
import io.trustline.ca.server.CaServer;
import io.trustline.ca.testing.MutableClock;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CaDirectoryTest {

    private static final SpiffeId ORDERS = SpiffeId.of("example.org", "shop", "orders");

    @TempDir
    Path tmp;

    private final MutableClock clock = MutableClock.startingNow();

    @Test
    void initWritesTheKeyOwnerOnlyAndReopensTheSameCa() throws Exception {
        final Path dir = tmp.resolve("ca");
        final CaDirectory created = CaDirectory.init(dir, CaDirectory.Settings.of("example.org"), clock);

        final CaDirectory opened = CaDirectory.open(dir, clock);

        assertThat(perms(dir.resolve(CaDirectory.KEY_FILE))).isEqualTo("rw-------");
        assertThat(perms(dir)).isEqualTo("rwx------");
        assertThat(opened.certificateAuthority().trustBundle())
                .isEqualTo(created.certificateAuthority().trustBundle());
        assertThat(opened.certificateAuthority()
                        .issueOffline(ORDERS, null)
                        .leaf()
                        .getIssuerX500Principal())
                .isEqualTo(created.certificateAuthority().signingCertificate().getSubjectX500Principal());
        assertThat(Files.readString(dir.resolve(CaDirectory.KEY_FILE))).startsWith("-----BEGIN PRIVATE KEY-----");
    }

    @Test
    void initRefusesToOverwriteAnExistingCa() throws Exception {
        final Path dir = tmp.resolve("ca");
        CaDirectory.init(dir, CaDirectory.Settings.of("example.org"), clock);
        final byte[] key = Files.readAllBytes(dir.resolve(CaDirectory.KEY_FILE));

        assertThatThrownBy(() -> CaDirectory.init(dir, CaDirectory.Settings.of("example.org"), clock))
                .hasMessageContaining("already holds a CA")
                .hasMessageContaining("refusing to overwrite");
        assertThat(Files.readAllBytes(dir.resolve(CaDirectory.KEY_FILE))).isEqualTo(key);
    }

    @Test
    void refusesToOpenWhenTheKeyIsReadableByOthers() throws Exception {
        final Path dir = tmp.resolve("ca");
        CaDirectory.init(dir, CaDirectory.Settings.of("example.org"), clock);
        Files.setPosixFilePermissions(dir.resolve(CaDirectory.KEY_FILE), PosixFilePermissions.fromString("rw-r-----"));

        assertThatThrownBy(() -> CaDirectory.open(dir, clock))
                .isInstanceOf(InsecureFileException.class)
                .hasMessageContaining("ca.key: permissions rw-r----- let group or others access it");
    }

    @Test
    void theCaServerDoesNotStartWithALooseKeyFile() throws Exception {
        final Path dir = tmp.resolve("ca");
        CaDirectory.init(dir, CaDirectory.Settings.of("example.org"), clock);
        Files.setPosixFilePermissions(dir.resolve(CaDirectory.KEY_FILE), PosixFilePermissions.fromString("rw----r--"));

        assertThatThrownBy(() ->
                        CaServer.builder().directory(dir).listen("127.0.0.1:0").build())
                .isInstanceOf(UncheckedIOException.class)
                .hasMessageContaining("let group or others access it");
    }

    @Test
    void refusesToOpenWhenTheTokenFileIsReadableByOthers() throws Exception {
        final Path dir = tmp.resolve("ca");
        CaDirectory.init(dir, CaDirectory.Settings.of("example.org"), clock)
                .joinTokens()
                .create(ORDERS, java.time.Duration.ofHours(1), false);
        Files.setPosixFilePermissions(
                dir.resolve(CaDirectory.TOKENS_FILE), PosixFilePermissions.fromString("rw-rw-rw-"));

        assertThatThrownBy(() -> CaDirectory.open(dir, clock)).isInstanceOf(InsecureFileException.class);
    }

    @Test
    void importsAnOperatorsIntermediateWithItsChain() throws Exception {
        final KeyPair rootKeys = KeyType.EC_P256.generate();
        final CertificateAuthority root = CertificateAuthority.builder("example.org")
                .clock(clock)
                .rootKeyPair(rootKeys)
                .build();
        final KeyPair intermediateKeys = KeyType.EC_P256.generate();
        final X509Certificate intermediate =
                TestIntermediates.intermediate(root.signingCertificate(), rootKeys, intermediateKeys, clock);
        final Path certFile = tmp.resolve("intermediate.pem");
        final Path keyFile = tmp.resolve("intermediate.key");
        Files.writeString(certFile, Pem.encodeCertificates(List.of(intermediate, root.signingCertificate())));
        Files.writeString(keyFile, Pem.encodePrivateKey(intermediateKeys.getPrivate()));

        final Path dir = tmp.resolve("ca");
        CaDirectory.importExisting(dir, CaDirectory.Settings.of("example.org"), certFile, keyFile, null, clock);
        final CertificateAuthority opened = CaDirectory.open(dir, clock).certificateAuthority();

        assertThat(opened.trustBundle().roots()).containsExactly(root.signingCertificate());
        assertThat(opened.issueOffline(ORDERS, null).chain()).hasSize(2).endsWith(intermediate);
        assertThat(perms(dir.resolve(CaDirectory.KEY_FILE))).isEqualTo("rw-------");
    }

    private static String perms(Path path) throws Exception {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(path));
    }
}
