package io.trustline.ca.client;

/**
 * Thrown when the client cannot obtain its first SVID: the CA refused the request (the message
 * carries the gRPC status and the CA's explanation) or stayed unreachable past the startup
 * timeout.
 */
public final class SvidClientException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    SvidClientException(String message, Throwable cause) {
        super(message, cause);
    }
}
