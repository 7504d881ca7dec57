package io.trustline.examples.demo;

import org.jspecify.annotations.Nullable;

/**
 * One step of the demo scenario as it happened: what was called, by whom, the outcome and the trace id.
 *
 * @param status the HTTP status, or 0 when no response came (a refused TLS handshake)
 * @param reason the sidecar's reason code, when a sidecar refused
 * @param refusedBy the hop that refused, when one did
 */
public record Step(
        int number,
        String key,
        String title,
        String call,
        String path,
        int status,
        @Nullable String reason,
        @Nullable String refusedBy,
        String traceId,
        String detail,
        String expected,
        boolean asExpected) {}
