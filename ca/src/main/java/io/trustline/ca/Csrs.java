package io.trustline.ca;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.security.KeyPair;
import java.security.interfaces.RSAPrivateKey;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.ExtensionsGenerator;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;

/** Makes PKCS#10 certificate signing requests on the workload side, where the key pair stays. */
public final class Csrs {

    private Csrs() {}

    /**
     * Returns a DER-encoded CSR signed with the key pair, requesting {@code id} as its one URI SAN.
     * The CA decides the ID from the caller's authorisation; the SAN only lets it catch a mix-up.
     */
    public static byte[] create(KeyPair keyPair, SpiffeId id) {
        requireNonNull(keyPair, "keyPair");
        requireNonNull(id, "id");
        try {
            final ExtensionsGenerator extensions = new ExtensionsGenerator();
            extensions.addExtension(
                    Extension.subjectAlternativeName,
                    false,
                    new GeneralNames(new GeneralName(GeneralName.uniformResourceIdentifier, id.toString())));
            final String algorithm =
                    keyPair.getPrivate() instanceof RSAPrivateKey ? "SHA256withRSA" : "SHA256withECDSA";
            return new JcaPKCS10CertificationRequestBuilder(new X500Name("O=Trustline"), keyPair.getPublic())
                    .addAttribute(PKCSObjectIdentifiers.pkcs_9_at_extensionRequest, extensions.generate())
                    // The JDK's signature providers: the workload side builds no Bouncy Castle provider.
                    .build(new JcaContentSignerBuilder(algorithm).build(keyPair.getPrivate()))
                    .getEncoded();
        } catch (IOException | OperatorCreationException e) {
            throw new IllegalStateException("cannot create CSR", e);
        }
    }
}
