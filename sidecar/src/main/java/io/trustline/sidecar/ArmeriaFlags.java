package io.trustline.sidecar;

import com.linecorp.armeria.common.FlagsProvider;

/**
 * Armeria defaults the sidecar changes, loaded through Armeria's {@link FlagsProvider} service loader (JVM
 * {@code -Dcom.linecorp.armeria.*} options still win).
 */
public final class ArmeriaFlags implements FlagsProvider {

    @Override
    public int priority() {
        // Above Armeria's defaults, below system properties.
        return 0;
    }

    /**
     * Armeria refuses {@code ..} anywhere in a request target, the query included. The query is the app's business
     * (it is never path-resolved) and paths get the policy module's normalisation, so only the path keeps the check.
     */
    @Override
    public Boolean allowDoubleDotsInQueryString() {
        return true;
    }
}
