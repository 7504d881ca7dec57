package io.trustline.policy;

import static io.trustline.policy.ReadContext.orEmpty;

import io.trustline.policy.model.Cors;
import io.trustline.policy.model.Mode;
import io.trustline.policy.yaml.Fields;
import io.trustline.policy.yaml.Problems;
import io.trustline.policy.yaml.YamlNode;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/** Reads {@code spec.cors}: which browser origins may call the service, and what they may send and read. */
final class CorsReader {

    /** A serialised origin as browsers send it: scheme, lower-case host, optional port; no path. */
    private static final Pattern ORIGIN = Pattern.compile(
            "https?://(([a-z0-9]([-a-z0-9]*[a-z0-9])?)(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*|\\[[0-9a-f:.]+\\])(:[0-9]{1,5})?");
    /** Request headers a browser sets itself, which a page can never send (so listing them is a mistake). */
    private static final Set<String> FORBIDDEN_REQUEST_HEADERS =
            Set.of("host", "origin", "cookie", "content-length", "connection", "referer", "te", "upgrade");

    private final ReadContext ctx;
    private final Problems problems;
    private final MatchValues values;

    CorsReader(ReadContext ctx) {
        this.ctx = ctx;
        this.problems = ctx.problems();
        this.values = new MatchValues(problems);
    }

    @Nullable
    Cors cors(YamlNode n) {
        Fields f = Fields.of(n, "cors", problems);
        if (f == null) {
            return null;
        }
        int before = problems.count();
        f.allowOnly(
                "allowOrigins", "allowMethods", "allowHeaders", "exposeHeaders", "maxAge", "allowCredentials", "mode");
        if (!f.has("allowOrigins")) {
            f.required("allowOrigins");
        }
        List<String> origins = orEmpty(f.optionalList("allowOrigins", this::origin));
        Set<String> seen = new LinkedHashSet<>();
        for (String o : origins) {
            if (!seen.add(o)) {
                problems.add(f.locationOf("allowOrigins"), "cors.allowOrigins: '" + o + "' listed twice");
            }
        }
        List<String> methods = orEmpty(f.optionalList("allowMethods", x -> values.method(x, "cors.allowMethods")));
        List<String> headers = orEmpty(f.optionalList("allowHeaders", x -> header(x, "cors.allowHeaders", true)));
        List<String> expose = orEmpty(f.optionalList("exposeHeaders", x -> header(x, "cors.exposeHeaders", false)));
        Duration maxAge = ctx.optionalDuration(f, "maxAge", Duration.ZERO, Duration.ofDays(1));
        Boolean credentials = f.optionalBoolean("allowCredentials");
        boolean creds = credentials != null && credentials;
        if (origins.contains(Cors.ANY_ORIGIN)) {
            if (creds) {
                problems.add(
                        f.locationOf("allowOrigins"),
                        "cors.allowOrigins: '*' with allowCredentials: true lets any website make credentialed"
                                + " calls and read the answers (expected: the origins listed exactly)");
            } else if (origins.size() > 1) {
                problems.add(
                        f.locationOf("allowOrigins"),
                        "cors.allowOrigins: '*' beside other origins (expected: '*' alone, or the origins listed"
                                + " exactly)");
            } else {
                problems.warn(
                        f.locationOf("allowOrigins"),
                        "cors.allowOrigins: '*' lets any website call this service from a browser and read the"
                                + " answers (list the origins exactly unless the service is public)");
            }
        }
        Mode mode = ctx.entryMode(f);
        if (problems.count() != before) {
            return null;
        }
        return new Cors(
                origins,
                methods.isEmpty() ? Cors.DEFAULT_METHODS : methods,
                headers,
                expose,
                Optional.ofNullable(maxAge),
                creds,
                mode,
                ctx.origin(n.location()));
    }

    @Nullable
    private String origin(YamlNode n) {
        String s = Fields.string(n, "cors.allowOrigins", problems);
        if (s == null) {
            return null;
        }
        if (s.equals(Cors.ANY_ORIGIN)) {
            return s;
        }
        if (s.equals("null")) {
            problems.add(
                    n,
                    "cors.allowOrigins: 'null' is the origin of sandboxed frames, file: pages and redirects, which"
                            + " any website can produce (expected: scheme://host[:port])");
            return null;
        }
        if (!ORIGIN.matcher(s).matches()) {
            String hint = s.endsWith("/") || s.indexOf('/', s.indexOf("//") + 2) > 0
                    ? "; an origin has no path, not even '/'"
                    : !s.equals(s.toLowerCase(Locale.ROOT)) ? "; browsers send it in lower case" : "";
            problems.add(
                    n,
                    "cors.allowOrigins: '" + s + "' (expected: http(s)://host[:port] exactly as browsers send it, or"
                            + " '*'" + hint + ")");
            return null;
        }
        return s;
    }

    @Nullable
    private String header(YamlNode n, String name, boolean request) {
        String s = Fields.string(n, name, problems);
        if (s == null) {
            return null;
        }
        String lower = s.toLowerCase(Locale.ROOT);
        if (!MatchValues.HEADER.matcher(lower).matches()) {
            problems.add(
                    n, name + ": '" + s + "' (expected: an HTTP header name; '*' is not accepted: list the headers)");
            return null;
        }
        if (request && FORBIDDEN_REQUEST_HEADERS.contains(lower)) {
            problems.add(n, name + ": '" + s + "' is set by the browser itself (expected: a header a page sends)");
            return null;
        }
        return lower;
    }
}
