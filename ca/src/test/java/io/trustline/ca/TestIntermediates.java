package io.trustline.ca;

import java.math.BigInteger;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.Date;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/** An operator's intermediate CA certificate, as a bring-your-own-CA user would supply it. */
public final class TestIntermediates {

    private TestIntermediates() {}

    public static X509Certificate intermediate(X509Certificate root, KeyPair rootKeys, KeyPair keys, Clock clock)
            throws Exception {
        final JcaX509ExtensionUtils utils = new JcaX509ExtensionUtils();
        return new JcaX509CertificateConverter()
                .getCertificate(new JcaX509v3CertificateBuilder(
                                X500Name.getInstance(
                                        root.getSubjectX500Principal().getEncoded()),
                                BigInteger.valueOf(clock.millis()),
                                Date.from(clock.instant().minusSeconds(60)),
                                Date.from(clock.instant().plus(Duration.ofDays(30))),
                                new X500Name("O=Operator, CN=Operator Intermediate"),
                                keys.getPublic())
                        .addExtension(Extension.basicConstraints, true, new BasicConstraints(0))
                        .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign))
                        .addExtension(
                                Extension.subjectKeyIdentifier,
                                false,
                                utils.createSubjectKeyIdentifier(keys.getPublic()))
                        .addExtension(Extension.authorityKeyIdentifier, false, utils.createAuthorityKeyIdentifier(root))
                        .build(new JcaContentSignerBuilder("SHA256withECDSA")
                                .setProvider(BouncyCastle.PROVIDER)
                                .build(rootKeys.getPrivate())));
    }
}
