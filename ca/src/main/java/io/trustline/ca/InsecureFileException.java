package io.trustline.ca;

import java.io.IOException;

/** Thrown when a secret file is readable or writable by users other than its owner. */
public final class InsecureFileException extends IOException {

    private static final long serialVersionUID = 1L;

    /** Creates the exception; the message names the file and what is wrong. */
    public InsecureFileException(String message) {
        super(message);
    }
}
