package io.trustline.sidecar.request;

import static java.util.Objects.requireNonNull;

import com.linecorp.armeria.server.ServiceRequestContext;
import io.netty.util.AttributeKey;
import io.trustline.policy.path.NormalizedPath;
import io.trustline.sidecar.refusal.ReasonCode;
import io.trustline.sidecar.refusal.Refusal;
import io.trustline.sidecar.refusal.RefusalException;
import io.trustline.sidecar.refusal.RefusalKind;
import org.jspecify.annotations.Nullable;

/**
 * What the inbound pipeline knows about the request once hygiene has checked it, put on the context once by the
 * hygiene stage. Every later stage reads it through {@link #of}: a missing view is a bug in the chain, refused as
 * INTERNAL, never papered over with the request's unchecked path.
 *
 * @param path the normalised path and the raw query: what policy matches and what the app receives
 */
public record InboundRequest(NormalizedPath path) {

    /** The refusal when a stage runs without the view (a stage ordered before hygiene, or hygiene skipped). */
    public static final Refusal MISSING = Refusal.of(RefusalKind.INTERNAL, ReasonCode.INTERNAL_REQUEST_VIEW_MISSING);

    private static final AttributeKey<InboundRequest> ATTR = AttributeKey.valueOf(InboundRequest.class, "VIEW");

    public InboundRequest {
        if (!path.isValid()) {
            throw new IllegalArgumentException("path: " + path.detail() + " (expected: a valid normalised path)");
        }
    }

    /** The view of the current request; throws a {@link RefusalException} with {@link #MISSING} if there is none. */
    public static InboundRequest of(ServiceRequestContext ctx) {
        final InboundRequest view = ctx.attr(ATTR);
        if (view == null) {
            throw new RefusalException(MISSING);
        }
        return view;
    }

    /** Puts {@code view} on {@code ctx}; only the hygiene stage (and a stage that rewrites the query) calls this. */
    public static void put(ServiceRequestContext ctx, InboundRequest view) {
        ctx.setAttr(ATTR, view);
    }

    /**
     * The path for the access log and the span: the normalised one once hygiene ran, else (a request refused before
     * it) the path part of the target as received. Never for a decision.
     */
    public static String pathForLog(ServiceRequestContext ctx) {
        final InboundRequest view = ctx.attr(ATTR);
        if (view != null) {
            return view.normalizedPath();
        }
        return withoutQuery(ctx.rawPath());
    }

    /** The path part of a request target: the query may carry secrets and is never logged as a path. */
    public static String withoutQuery(String target) {
        final int q = target.indexOf('?');
        return q < 0 ? target : target.substring(0, q);
    }

    /** The normalised path, without the query. */
    public String normalizedPath() {
        // Valid, as the constructor checked: a valid NormalizedPath has its path.
        return requireNonNull(path.path(), "path");
    }

    /** The raw query after {@code ?}, or null. */
    public @Nullable String query() {
        return path.query();
    }

    /** This view with another query (e.g. a token parameter removed), the path unchanged. */
    public InboundRequest withQuery(@Nullable String query) {
        return new InboundRequest(new NormalizedPath(path.path(), query, null, null));
    }
}
