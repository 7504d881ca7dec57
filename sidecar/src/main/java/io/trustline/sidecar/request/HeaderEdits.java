package io.trustline.sidecar.request;

import com.linecorp.armeria.common.RequestHeadersBuilder;
import io.netty.util.AttributeKey;
import java.util.ArrayList;
import java.util.List;

/**
 * Header changes that pipeline stages ask the proxy to make on the request to the app (e.g. verified JWT claims
 * copied into headers, the {@code traceparent} telemetry hands the app). Stages record them here instead of
 * rebuilding the headers themselves, so the request headers are copied once per request, by the proxy. It lives in
 * the request context rather than in {@code proxy} so that the stages that record edits do not depend on the proxy.
 */
public final class HeaderEdits {

    /** The edits of the current request, created by the first stage that needs one. */
    public static final AttributeKey<HeaderEdits> ATTR = AttributeKey.valueOf(HeaderEdits.class, "EDITS");

    private final List<CharSequence> removals = new ArrayList<>(4);
    private final List<CharSequence> names = new ArrayList<>(4);
    private final List<String> values = new ArrayList<>(4);

    /** Removes {@code name} from what the app receives (e.g. a spoofed claim header). */
    public HeaderEdits remove(CharSequence name) {
        removals.add(name);
        return this;
    }

    /** Sets {@code name} to {@code value}, replacing anything the caller sent under that name. */
    public HeaderEdits set(CharSequence name, String value) {
        names.add(name);
        values.add(value);
        return this;
    }

    /** Makes the recorded changes on the headers for the app; only the proxy calls this, once per request. */
    public void applyTo(RequestHeadersBuilder b) {
        removals.forEach(b::remove);
        for (int i = 0; i < names.size(); i++) {
            b.set(names.get(i), values.get(i));
        }
    }
}
