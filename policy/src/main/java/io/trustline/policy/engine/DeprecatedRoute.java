package io.trustline.policy.engine;

import static java.util.Objects.requireNonNull;

import io.trustline.policy.model.Deprecation;
import io.trustline.policy.model.Mode;
import io.trustline.policy.model.RateLimitMatch;
import io.trustline.policy.model.StringMatch;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.jspecify.annotations.Nullable;

/** One {@code deprecations} entry compiled: its response header values, computed once per policy version. */
public final class DeprecatedRoute {

    /** The reason code of a call refused after the sunset (410 Gone; gRPC UNIMPLEMENTED). */
    public static final String SUNSET = "deprecation.sunset";

    /** RFC 9110's IMF-fixdate, the form of {@code Sunset}. */
    private static final DateTimeFormatter HTTP_DATE = DateTimeFormatter.ofPattern(
                    "EEE, dd MMM yyyy HH:mm:ss 'GMT'", Locale.ROOT)
            .withZone(ZoneOffset.UTC);

    private final String policy;
    private final Deprecation model;
    private final String deprecationHeader;
    private final @Nullable String sunsetHeader;
    private final List<String> linkHeaders;

    DeprecatedRoute(String policy, Deprecation model) {
        this.policy = requireNonNull(policy, "policy");
        this.model = model;
        deprecationHeader = "@" + model.deprecated().getEpochSecond();
        sunsetHeader = model.sunset().map(HTTP_DATE::format).orElse(null);
        List<String> links = new ArrayList<>(2);
        model.link().ifPresent(u -> {
            links.add("<" + u + ">; rel=\"deprecation\"; type=\"text/html\"");
            if (model.sunset().isPresent()) {
                links.add("<" + u + ">; rel=\"sunset\"; type=\"text/html\"");
            }
        });
        linkHeaders = List.copyOf(links);
    }

    /** Methods ANDed with the route; {@code paths} and {@code grpc} ORed (a route is one or the other). */
    boolean matches(String method, String path, @Nullable String grpcMethod) {
        RateLimitMatch m = model.match();
        if (!m.methods().isEmpty() && !m.methods().contains(method)) {
            return false;
        }
        return any(m.paths(), path) || any(m.grpc(), grpcMethod);
    }

    private static boolean any(List<StringMatch> patterns, @Nullable String value) {
        for (int i = 0; i < patterns.size(); i++) {
            if (patterns.get(i).matches(value)) {
                return true;
            }
        }
        return false;
    }

    /** Whether a call at {@code now} is refused (enforced or, in audit mode, would be): the sunset passed, refuse. */
    public boolean refuses(Instant now) {
        return model.refuseAfterSunset() && model.sunsetPassed(now);
    }

    /** {@code Deprecation: @<unix seconds>} (RFC 9745). */
    public String deprecationHeader() {
        return deprecationHeader;
    }

    /** {@code Sunset: <HTTP-date>} (RFC 8594), or null without a sunset. */
    public @Nullable String sunsetHeader() {
        return sunsetHeader;
    }

    /** The {@code Link} values ({@code rel="deprecation"}, and {@code rel="sunset"} with a sunset); may be empty. */
    public List<String> linkHeaders() {
        return linkHeaders;
    }

    public String name() {
        return model.name();
    }

    public Mode mode() {
        return model.mode();
    }

    public String policy() {
        return policy;
    }

    public Deprecation model() {
        return model;
    }
}
