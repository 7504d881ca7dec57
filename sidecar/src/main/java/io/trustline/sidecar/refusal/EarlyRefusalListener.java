package io.trustline.sidecar.refusal;

import com.linecorp.armeria.common.RequestHeaders;
import com.linecorp.armeria.common.RequestId;
import org.jspecify.annotations.Nullable;

/**
 * Told of every request Armeria refuses before the listener's pipeline sees it (malformed, headers too large), so
 * that it is still counted and logged; telemetry implements it.
 */
@FunctionalInterface
public interface EarlyRefusalListener {

    /**
     * @param headers the request's headers when they were decoded at all
     * @param status the HTTP status sent
     * @param requestId the id the caller was told
     */
    void earlyRefusal(@Nullable RequestHeaders headers, int status, Refusal refusal, RequestId requestId);
}
