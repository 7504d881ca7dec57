package io.trustline.sidecar.refusal;

/**
 * Thrown (or used to fail a response) where a stage cannot return a response directly; the server's error handler
 * turns it into the refusal response. Carries no stack trace: it is a decision, not a bug.
 */
public final class RefusalException extends RuntimeException {

    private final Refusal refusal;

    public RefusalException(Refusal refusal) {
        super(refusal.reason().code(), null, false, false);
        this.refusal = refusal;
    }

    public Refusal refusal() {
        return refusal;
    }
}
