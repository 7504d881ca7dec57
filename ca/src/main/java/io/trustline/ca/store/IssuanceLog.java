package io.trustline.ca.store;

import java.io.IOException;

/** Where the CA records each certificate it issues. */
@FunctionalInterface
public interface IssuanceLog {

    /**
     * Records one issuance. Called after signing and before the certificate is returned, so a
     * certificate whose record failed is never handed out.
     *
     * @throws IOException if the record could not be written
     */
    void record(IssuanceRecord record) throws IOException;

    /** Returns a log that keeps nothing (in-memory tests and demos). */
    static IssuanceLog discard() {
        return record -> {};
    }
}
