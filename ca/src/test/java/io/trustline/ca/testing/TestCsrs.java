package io.trustline.ca.testing;

import io.trustline.ca.BouncyCastle;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.interfaces.RSAPrivateKey;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.ExtensionsGenerator;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;

/** Builds CSRs, including deliberately bad ones, for tests. */
public final class TestCsrs {

    private TestCsrs() {}

    public static KeyPair rsa(int bits) throws Exception {
        final KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
        generator.initialize(bits);
        return generator.generateKeyPair();
    }

    /** A CSR signed by {@code signer} but carrying {@code subject}'s public key, with the given URI SANs. */
    public static byte[] csr(KeyPair subject, KeyPair signer, String... uriSans) throws Exception {
        final JcaPKCS10CertificationRequestBuilder builder =
                new JcaPKCS10CertificationRequestBuilder(new X500Name("CN=test"), subject.getPublic());
        if (uriSans.length > 0) {
            final GeneralName[] names = new GeneralName[uriSans.length];
            for (int i = 0; i < uriSans.length; i++) {
                names[i] = new GeneralName(GeneralName.uniformResourceIdentifier, uriSans[i]);
            }
            final ExtensionsGenerator extensions = new ExtensionsGenerator();
            extensions.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(names));
            builder.addAttribute(PKCSObjectIdentifiers.pkcs_9_at_extensionRequest, extensions.generate());
        }
        final String algorithm = signer.getPrivate() instanceof RSAPrivateKey ? "SHA256withRSA" : "SHA256withECDSA";
        return builder.build(new JcaContentSignerBuilder(algorithm)
                        .setProvider(BouncyCastle.PROVIDER)
                        .build(signer.getPrivate()))
                .getEncoded();
    }

    public static byte[] csr(KeyPair keyPair, String... uriSans) throws Exception {
        return csr(keyPair, keyPair, uriSans);
    }
}
