package io.trustline.sidecar;

import io.trustline.ca.HostPort;
import java.io.IOException;
import java.net.BindException;

/** A listener could not bind its address; the message names the listener, its config key and the address. */
public final class ListenerBindException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    ListenerBindException(String listener, String key, HostPort address, IOException cause) {
        super(listener + " listener (" + key + "): " + address + ": " + cause(cause), cause);
    }

    /**
     * Whether {@code t} is a failure to bind: the JDK's {@link BindException}, or the plain {@code IOException} that
     * Netty's native transports raise for the same errno.
     */
    static boolean isBindFailure(Throwable t) {
        return t instanceof BindException
                || (t instanceof IOException
                        && t.getMessage() != null
                        && (t.getMessage().contains("Address already in use")
                                || t.getMessage().contains("Cannot assign requested address")));
    }

    /** "address already in use" and the like, in lower case, without the JDK's or Netty's decoration. */
    static String cause(IOException e) {
        final String m = e.getMessage() == null ? "cannot bind" : e.getMessage();
        for (String known : new String[] {"Address already in use", "Cannot assign requested address"}) {
            if (m.contains(known)) {
                return known.toLowerCase(java.util.Locale.ROOT);
            }
        }
        return m;
    }
}
