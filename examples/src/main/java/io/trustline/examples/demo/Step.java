package io.trustline.examples.demo;

import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * One step of the demo scenario as it happened: what was called, by whom, the outcome and the trace id.
 *
 * @param status the HTTP status, or 0 when no response came (a refused TLS handshake)
 * @param reason the sidecar's reason code, when a sidecar refused
 * @param refusedBy the hop that refused, when one did
 * @param hops the services whose inbound sidecars the call should reach
 * @param sidecarLog what those sidecars logged about the call (decision, reason, policy/rule, peer, user, audit)
 * @param traceSummary which sidecars reported spans for the trace
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
        boolean asExpected,
        List<String> hops,
        List<String> sidecarLog,
        String traceSummary) {

    Step withEvidence(List<String> log, String trace) {
        return new Step(
                number,
                key,
                title,
                call,
                path,
                status,
                reason,
                refusedBy,
                traceId,
                detail,
                expected,
                asExpected,
                hops,
                List.copyOf(log),
                trace);
    }
}
