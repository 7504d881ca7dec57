package io.trustline.ca.store;

import static java.util.Objects.requireNonNull;

import io.trustline.ca.SpiffeId;
import java.math.BigInteger;
import java.time.Instant;

/**
 * One line of the issuance audit log.
 *
 * @param time when the certificate was issued
 * @param serial its serial number
 * @param spiffeId the SPIFFE ID it carries
 * @param notAfter when it expires
 * @param authorisation how the request was authorised
 * @param credential what authorised it: the join token id, the serial (hex) of the SVID renewed,
 *     or empty
 * @param peer the caller's network address, or empty for offline issuance
 */
public record IssuanceRecord(
        Instant time,
        BigInteger serial,
        SpiffeId spiffeId,
        Instant notAfter,
        Authorisation authorisation,
        String credential,
        String peer) {

    /** How an issuance was authorised. */
    public enum Authorisation {
        /** First issuance with a join token. */
        JOIN_TOKEN,
        /** Renewal with the caller's current SVID over mTLS. */
        SVID,
        /** Offline issuance by an operator with the CLI ({@code issue}). */
        OFFLINE,
        /** The CA server's own serving certificate. */
        CA_SERVER
    }

    /** Checks that every field is present. */
    public IssuanceRecord {
        requireNonNull(time, "time");
        requireNonNull(serial, "serial");
        requireNonNull(spiffeId, "spiffeId");
        requireNonNull(notAfter, "notAfter");
        requireNonNull(authorisation, "authorisation");
        requireNonNull(credential, "credential");
        requireNonNull(peer, "peer");
    }
}
