package io.trustline.ca.bench;

import io.trustline.ca.CertificateAuthority;
import io.trustline.ca.CsrRejectedException;
import io.trustline.ca.Csrs;
import io.trustline.ca.KeyType;
import io.trustline.ca.SpiffeId;
import io.trustline.ca.SvidValidationException;
import io.trustline.ca.SvidValidator;
import io.trustline.ca.VerifiedCsr;
import java.io.ByteArrayInputStream;
import java.security.cert.CertificateEncodingException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * EC P-256 issuance throughput: {@code signCsr} is the whole CA step of a Sign call (parse,
 * key check, CSR signature, template, sign, validate the issued certificate again); the others
 * are a CSR check alone and validating an SVID as a receiver does per handshake (a sidecar, with the JDK's
 * providers; {@code validateSvidAtTheCa} with the CA's Bouncy Castle provider). Run:
 *
 * <pre>
 * ./mvnw -q -pl ca test-compile exec:exec -Dexec.executable=java -Dexec.classpathScope=test \
 *     -Dexec.args="-cp %classpath org.openjdk.jmh.Main SigningBenchmark -f 1 -wi 3 -i 5"
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class SigningBenchmark {

    private final SpiffeId id = SpiffeId.of("example.org", "shop", "orders");
    private CertificateAuthority ca;
    private byte[] csr;
    // More distinct certificates than the JDK's CertificateFactory caches (750), so every
    // validation parses and verifies afresh, as for a peer seen for the first time.
    private static final int DISTINCT_SVIDS = 1024;

    private byte[][] svidDers;
    private int next;
    private SvidValidator validator;
    private SvidValidator validatorAtTheCa;

    @Setup
    public void setUp() {
        ca = CertificateAuthority.createRoot("example.org", KeyType.EC_P256, Clock.systemUTC());
        csr = Csrs.create(KeyType.EC_P256.generate(), id);
        svidDers = new byte[DISTINCT_SVIDS][];
        try {
            for (int i = 0; i < DISTINCT_SVIDS; i++) {
                svidDers[i] = ca.issueOffline(id, null).leaf().getEncoded();
            }
        } catch (CertificateEncodingException e) {
            throw new IllegalStateException(e);
        }
        validator = new SvidValidator(ca.trustBundle(), "example.org", Clock.systemUTC());
        validatorAtTheCa = SvidValidator.withBouncyCastle(ca.trustBundle(), "example.org", Clock.systemUTC());
    }

    @Benchmark
    public X509Certificate signCsr() throws CsrRejectedException {
        return ca.signCsr(csr, id, null);
    }

    @Benchmark
    public VerifiedCsr verifyCsr() throws CsrRejectedException {
        return ca.verifyCsr(csr, id);
    }

    @Benchmark
    public SpiffeId validateSvid() throws SvidValidationException, CertificateException {
        return validator.validate(nextLeaf());
    }

    /** The same with the CA's validator, which verifies with Bouncy Castle's provider. */
    @Benchmark
    public SpiffeId validateSvidAtTheCa() throws SvidValidationException, CertificateException {
        return validatorAtTheCa.validate(nextLeaf());
    }

    /**
     * The next SVID, parsed afresh as a TLS stack hands it over. A certificate object caches its verification
     * result, and the factory caches objects by encoding; cycling through more certificates than it keeps
     * measures the uncached cost.
     */
    private X509Certificate[] nextLeaf() throws CertificateException {
        next = (next + 1) % DISTINCT_SVIDS;
        return new X509Certificate[] {
            (X509Certificate) CertificateFactory.getInstance("X.509")
                    .generateCertificate(new ByteArrayInputStream(svidDers[next]))
        };
    }
}
