package io.trustline.sidecar.identity;

import com.linecorp.armeria.common.TlsKeyPair;
import io.trustline.ca.SpiffeId;
import io.trustline.ca.SvidValidationException;
import io.trustline.ca.SvidValidator;
import io.trustline.ca.TrustBundle;
import io.trustline.ca.X509Svid;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The SVID comes from PEM files kept fresh by someone else (SPIRE's helper, cert-manager, a test harness): the
 * certificate chain (leaf first), its PKCS#8 key and the trust bundle. The files are checked every few seconds and
 * swapped in when they change and validate; a broken update is logged and the current SVID stays.
 */
public final class FileWorkloadIdentity implements WorkloadIdentity {

    private static final Logger logger = LoggerFactory.getLogger(FileWorkloadIdentity.class);

    /** How often the files' modification times are compared. */
    static final Duration CHECK_INTERVAL = Duration.ofSeconds(5);

    private final Path certFile;
    private final Path keyFile;
    private final Path bundleFile;
    private final SpiffeId expected;
    private final Clock clock;
    private final List<Consumer<X509Svid>> listeners = new CopyOnWriteArrayList<>();
    private final ScheduledExecutorService watcher;
    private volatile X509Svid current;
    private volatile List<FileTime> stamps;

    /**
     * Loads the files now; they must hold a valid SVID for {@code expected}.
     *
     * @throws IllegalArgumentException naming the file and the problem
     */
    public FileWorkloadIdentity(Path certFile, Path keyFile, Path bundleFile, SpiffeId expected, Clock clock) {
        this.certFile = certFile;
        this.keyFile = keyFile;
        this.bundleFile = bundleFile;
        this.expected = expected;
        this.clock = clock;
        stamps = stamps();
        current = load();
        watcher = Executors.newSingleThreadScheduledExecutor(r -> {
            final Thread t = new Thread(r, "trustline-identity-files");
            t.setDaemon(true);
            return t;
        });
        watcher.scheduleWithFixedDelay(
                this::check, CHECK_INTERVAL.toMillis(), CHECK_INTERVAL.toMillis(), TimeUnit.MILLISECONDS);
    }

    private X509Svid load() {
        final TrustBundle bundle = PemFiles.bundle("identity.bundleFile", bundleFile);
        final TlsKeyPair keyPair = PemFiles.keyPair("identity.certFile", certFile, "identity.keyFile", keyFile);
        final List<X509Certificate> chain = keyPair.certificateChain();
        final SpiffeId id;
        try {
            id = new SvidValidator(bundle, expected.trustDomain(), clock)
                    .validate(chain.toArray(new X509Certificate[0]));
        } catch (SvidValidationException e) {
            throw new IllegalArgumentException(
                    "identity.certFile: " + certFile + ": not a valid X.509-SVID for identity.bundleFile: "
                            + e.getMessage(),
                    e);
        }
        if (!id.equals(expected)) {
            throw new IllegalArgumentException("identity.certFile: " + certFile + ": the certificate is for " + id
                    + ", but this sidecar is " + expected);
        }
        return new X509Svid(id, chain, keyPair.privateKey(), bundle);
    }

    private List<FileTime> stamps() {
        try {
            return List.of(
                    Files.getLastModifiedTime(certFile),
                    Files.getLastModifiedTime(keyFile),
                    Files.getLastModifiedTime(bundleFile));
        } catch (IOException e) {
            return List.of();
        }
    }

    private void check() {
        final List<FileTime> now = stamps();
        if (now.isEmpty() || now.equals(stamps)) {
            return;
        }
        try {
            final X509Svid svid = load();
            stamps = now;
            current = svid;
            logger.info("identity files reloaded id={} not_after={}", svid.id(), svid.notAfter());
            listeners.forEach(l -> l.accept(svid));
        } catch (RuntimeException e) {
            // Writers may be half-way through replacing the files; the next check retries.
            logger.warn("identity files not reloaded, keeping the current SVID reason={}", e.getMessage());
        }
    }

    @Override
    public X509Svid current() {
        return current;
    }

    @Override
    public void addListener(Consumer<X509Svid> listener) {
        listeners.add(listener);
    }

    @Override
    public void close() {
        watcher.shutdownNow();
    }
}
