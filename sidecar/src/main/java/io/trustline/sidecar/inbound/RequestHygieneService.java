package io.trustline.sidecar.inbound;

import com.linecorp.armeria.common.HttpRequest;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.RequestHeaders;
import com.linecorp.armeria.common.RequestHeadersBuilder;
import com.linecorp.armeria.server.HttpService;
import com.linecorp.armeria.server.ServiceRequestContext;
import com.linecorp.armeria.server.SimpleDecoratingHttpService;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.util.AsciiString;
import io.trustline.policy.path.NormalizedPath;
import io.trustline.policy.path.PathNormalizer;
import io.trustline.policy.path.PathParameters;
import io.trustline.sidecar.config.HygieneConfig;
import io.trustline.sidecar.config.HygieneConfig.UnderscoreHeaders;
import io.trustline.sidecar.metrics.MetricNames;
import io.trustline.sidecar.refusal.ReasonCode;
import io.trustline.sidecar.refusal.Refusal;
import io.trustline.sidecar.refusal.RefusalKind;
import io.trustline.sidecar.refusal.Refusals;
import io.trustline.sidecar.request.HostHeaders;
import io.trustline.sidecar.request.InboundRequest;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Stage 3 of the inbound pipeline: refuses what must never reach later stages or the app, and fixes the one view of
 * the request ({@link InboundRequest}) that every later stage reads.
 *
 * <ul>
 *   <li>A body whose declared {@code Content-Length} exceeds the listener's limit is refused before anything is
 *       forwarded (a chunked body over the limit is cut by Armeria as it streams).
 *   <li>The path is normalised from the RAW request target ({@link ServiceRequestContext#rawPath()}, not Armeria's
 *       decoded path) by the policy module's {@link PathNormalizer}, so policy matches, and the app receives, the
 *       same bytes; the query is kept byte for byte.
 *   <li>Exactly one Host ({@link HostHeaders}).
 *   <li>One pass over the header names: underscore names dropped, refused or allowed as configured, and the
 *       configured identity-looking headers removed.
 * </ul>
 */
public final class RequestHygieneService extends SimpleDecoratingHttpService {

    static final Refusal BODY_TOO_LARGE = Refusal.of(RefusalKind.BODY_TOO_LARGE, ReasonCode.REQUEST_BODY_TOO_LARGE);
    static final Refusal INVALID_PATH = Refusal.of(RefusalKind.BAD_REQUEST, ReasonCode.REQUEST_INVALID_PATH);
    static final Refusal INVALID_HEADER = Refusal.of(RefusalKind.BAD_REQUEST, ReasonCode.REQUEST_INVALID_HEADER);

    private static final Logger logger = LoggerFactory.getLogger(RequestHygieneService.class);

    /** A decorator with the listener's body limit, the hygiene settings, and underscore headers counted in meters. */
    public static Function<? super HttpService, RequestHygieneService> newDecorator(
            long maxRequestBodyBytes, HygieneConfig config, MeterRegistry meters) {
        final Counter dropped = Counter.builder(MetricNames.UNDERSCORE_HEADERS)
                .tag(MetricNames.ACTION, "dropped")
                .register(meters);
        final Counter rejected = Counter.builder(MetricNames.UNDERSCORE_HEADERS)
                .tag(MetricNames.ACTION, "rejected")
                .register(meters);
        final Set<AsciiString> remove = new HashSet<>();
        config.removeHeaders().forEach(name -> remove.add(AsciiString.of(name)));
        return delegate -> new RequestHygieneService(
                delegate,
                maxRequestBodyBytes,
                config.pathParameters(),
                config.headersWithUnderscores(),
                Set.copyOf(remove),
                dropped,
                rejected);
    }

    private final long maxRequestBodyBytes;
    private final PathParameters pathParameters;
    private final UnderscoreHeaders underscores;
    private final Set<AsciiString> remove;
    private final Counter dropped;
    private final Counter rejected;

    RequestHygieneService(
            HttpService delegate,
            long maxRequestBodyBytes,
            PathParameters pathParameters,
            UnderscoreHeaders underscores,
            Set<AsciiString> remove,
            Counter dropped,
            Counter rejected) {
        super(delegate);
        this.maxRequestBodyBytes = maxRequestBodyBytes;
        this.pathParameters = pathParameters;
        this.underscores = underscores;
        this.remove = remove;
        this.dropped = dropped;
        this.rejected = rejected;
    }

    @Override
    public HttpResponse serve(ServiceRequestContext ctx, HttpRequest req) throws Exception {
        final RequestHeaders headers = req.headers();
        if (maxRequestBodyBytes > 0 && headers.contentLength() > maxRequestBodyBytes) {
            return Refusals.respond(ctx, headers, BODY_TOO_LARGE);
        }
        final NormalizedPath path = PathNormalizer.normalize(ctx.rawPath(), pathParameters);
        if (!path.isValid()) {
            logger.debug(
                    "request refused request_id={} reason=invalid_path detail={}",
                    ctx.id().text(),
                    path.detail());
            return Refusals.respond(ctx, headers, INVALID_PATH);
        }
        final String hostProblem = HostHeaders.problem(headers);
        if (hostProblem != null) {
            logger.debug(
                    "request refused request_id={} reason=invalid_host detail={}",
                    ctx.id().text(),
                    hostProblem);
            return Refusals.respond(ctx, headers, HostHeaders.INVALID_HOST);
        }
        // One pass over the names; the headers are copied only when one must go, and later stages never see it.
        List<AsciiString> removals = null;
        boolean underscore = false;
        for (Map.Entry<AsciiString, String> e : headers) {
            final AsciiString name = e.getKey();
            final boolean twin = underscores != UnderscoreHeaders.ALLOW && name.indexOf('_', 0) >= 0;
            if (twin && underscores == UnderscoreHeaders.REJECT) {
                rejected.increment();
                return Refusals.respond(ctx, headers, INVALID_HEADER);
            }
            if (twin || remove.contains(name)) {
                underscore |= twin;
                if (removals == null) {
                    removals = new ArrayList<>(4);
                }
                removals.add(name);
            }
        }
        HttpRequest checked = req;
        if (removals != null) {
            if (underscore) {
                dropped.increment();
            }
            final RequestHeadersBuilder b = headers.toBuilder();
            removals.forEach(b::remove);
            checked = req.withHeaders(b.build());
        }
        InboundRequest.put(ctx, new InboundRequest(path));
        return unwrap().serve(ctx, checked);
    }
}
