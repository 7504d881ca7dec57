package io.trustline.sidecar.inbound;

import com.linecorp.armeria.common.HttpRequest;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.RequestHeaders;
import com.linecorp.armeria.server.HttpService;
import com.linecorp.armeria.server.ServiceRequestContext;
import com.linecorp.armeria.server.SimpleDecoratingHttpService;
import io.netty.util.AttributeKey;
import io.trustline.policy.path.NormalizedPath;
import io.trustline.policy.path.PathNormalizer;
import io.trustline.sidecar.refusal.Refusal;
import io.trustline.sidecar.refusal.RefusalKind;
import io.trustline.sidecar.refusal.Refusals;
import java.util.function.Function;

/**
 * Stage 2 of the inbound pipeline: refuses what must never reach later stages or the app, and normalises the path
 * before anything looks at it. The path is normalised by the policy module's {@link PathNormalizer} (percent-decoding
 * of unreserved characters, dot segments, merged slashes; encoded {@code /} and {@code \} refused), and that
 * normalised path is both what policy matches and what the app receives, so {@code /api/../admin} cannot slip past a
 * rule. A body whose declared {@code Content-Length} exceeds the listener's limit is refused before anything is
 * forwarded (a chunked body over the limit is cut by Armeria as it streams, and the app sees an aborted request,
 * never a complete one).
 */
public final class RequestHygieneService extends SimpleDecoratingHttpService {

    static final Refusal BODY_TOO_LARGE = Refusal.of(RefusalKind.BODY_TOO_LARGE, "request.body_too_large");
    static final Refusal INVALID_PATH = Refusal.of(RefusalKind.BAD_REQUEST, NormalizedPath.INVALID_PATH);

    /** The normalised path of the current request (valid: an invalid one is refused here). */
    public static final AttributeKey<NormalizedPath> PATH = AttributeKey.valueOf(RequestHygieneService.class, "PATH");

    public static Function<? super HttpService, RequestHygieneService> newDecorator(long maxRequestBodyBytes) {
        return delegate -> new RequestHygieneService(delegate, maxRequestBodyBytes);
    }

    private final long maxRequestBodyBytes;

    RequestHygieneService(HttpService delegate, long maxRequestBodyBytes) {
        super(delegate);
        this.maxRequestBodyBytes = maxRequestBodyBytes;
    }

    @Override
    public HttpResponse serve(ServiceRequestContext ctx, HttpRequest req) throws Exception {
        final RequestHeaders headers = req.headers();
        if (maxRequestBodyBytes > 0 && headers.contentLength() > maxRequestBodyBytes) {
            return Refusals.respond(ctx, headers, BODY_TOO_LARGE);
        }
        final NormalizedPath path = PathNormalizer.normalize(headers.path());
        if (!path.isValid()) {
            return Refusals.respond(ctx, headers, INVALID_PATH);
        }
        ctx.setAttr(PATH, path);
        return unwrap().serve(ctx, req);
    }
}
