package io.trustline.ca;

import java.io.IOException;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Date;
import java.util.Optional;
import org.bouncycastle.asn1.ASN1GeneralizedTime;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.ASN1Primitive;

/**
 * When the workload holding an SVID was last attested (a join token redeemed, or an operator's offline issuance),
 * carried in every SVID this CA issues as a non-critical private extension. Renewals copy it from the certificate
 * they renew, so the CA can tell how long an identity has only been renewing without keeping any state: the value
 * is covered by the CA's signature like the rest of the certificate. Peers that do not know the extension ignore it.
 */
public final class Attestation {

    /**
     * The extension's OID: an ITU-T X.667 UUID arc ({@code 2.25.<uuid>}), which needs no registration and clashes
     * with no one's.
     */
    public static final ASN1ObjectIdentifier ATTESTED_AT =
            new ASN1ObjectIdentifier("2.25.93223097422245141858700469234297299369");

    private Attestation() {}

    /** The extension value for {@code time} (DER GeneralizedTime, whole seconds). */
    static ASN1GeneralizedTime encode(Instant time) {
        return new ASN1GeneralizedTime(Date.from(time.with(java.time.temporal.ChronoField.NANO_OF_SECOND, 0)));
    }

    /**
     * When the holder of {@code certificate} was attested, or empty when the certificate carries no such extension
     * (issued by an older Trustline CA) or an unreadable one.
     */
    public static Optional<Instant> attestedAt(X509Certificate certificate) {
        final byte[] value = certificate.getExtensionValue(ATTESTED_AT.getId());
        if (value == null) {
            return Optional.empty();
        }
        try {
            final ASN1Primitive inner = ASN1Primitive.fromByteArray(
                    ASN1OctetString.getInstance(value).getOctets());
            return Optional.of(ASN1GeneralizedTime.getInstance(inner).getDate().toInstant());
        } catch (IOException | IllegalArgumentException | java.text.ParseException e) {
            return Optional.empty();
        }
    }
}
