package io.trustline.policy;

import static io.trustline.policy.ReadContext.orEmpty;

import io.trustline.policy.model.Deprecation;
import io.trustline.policy.model.Mode;
import io.trustline.policy.model.RateLimitMatch;
import io.trustline.policy.yaml.Fields;
import io.trustline.policy.yaml.Problems;
import io.trustline.policy.yaml.YamlNode;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/** Reads {@code spec.deprecations[]}: a route, when it was deprecated, its sunset, and what happens after. */
final class DeprecationReader {

    private final ReadContext ctx;
    private final Problems problems;
    private final MatchValues values;

    DeprecationReader(ReadContext ctx) {
        this.ctx = ctx;
        this.problems = ctx.problems();
        this.values = new MatchValues(problems);
    }

    @Nullable
    Deprecation deprecation(YamlNode n) {
        Fields f = Fields.of(n, "deprecations", problems);
        if (f == null) {
            return null;
        }
        int before = problems.count();
        f.allowOnly("name", "match", "deprecated", "sunset", "link", "afterSunset", "mode");
        String name = ctx.entryName(f, "deprecations");
        RateLimitMatch match = null;
        YamlNode matchNode = f.required("match");
        if (matchNode != null) {
            match = match(matchNode);
        }
        Instant deprecated = f.required("deprecated") != null ? instant(f, "deprecated") : null;
        Instant sunset = f.has("sunset") ? instant(f, "sunset") : null;
        if (deprecated != null && sunset != null && sunset.isBefore(deprecated)) {
            problems.add(
                    f.locationOf("sunset"),
                    "deprecations.sunset: " + sunset + " is before deprecated " + deprecated
                            + " (expected: the same time or later)");
        }
        URI link = link(f);
        boolean refuse = false;
        String after = f.optionalString("afterSunset");
        if (after != null) {
            switch (after) {
                case "refuse" -> refuse = true;
                case "warn" -> refuse = false;
                default ->
                    problems.add(
                            f.locationOf("afterSunset"),
                            "deprecations.afterSunset: '" + after + "' (expected: refuse or warn)");
            }
            if (!f.has("sunset")) {
                problems.add(
                        f.locationOf("afterSunset"),
                        "deprecations.afterSunset: without a sunset (expected: a sunset date)");
            }
        }
        Mode mode = ctx.entryMode(f);
        if (name == null || match == null || deprecated == null || problems.count() != before) {
            return null;
        }
        return new Deprecation(
                name,
                match,
                deprecated,
                Optional.ofNullable(sunset),
                Optional.ofNullable(link),
                refuse,
                mode,
                ctx.origin(n.location()));
    }

    /** The deprecated route: by paths or gRPC methods, optionally narrowed by HTTP methods. */
    @Nullable
    private RateLimitMatch match(YamlNode n) {
        Fields m = ctx.nonEmptyMap(n, "deprecations.match");
        if (m == null) {
            return null;
        }
        m.allowOnly("methods", "paths", "grpc");
        if (!m.has("paths") && !m.has("grpc")) {
            problems.add(
                    m.location(),
                    "deprecations.match: no paths or grpc (expected: the route, by paths or gRPC methods)");
        }
        return new RateLimitMatch(
                orEmpty(m.optionalList("methods", x -> values.method(x, m.name("methods")))),
                orEmpty(m.optionalList("paths", x -> values.pathPattern(x, m.name("paths")))),
                orEmpty(m.optionalList("grpc", x -> values.grpcPattern(x, m.name("grpc")))),
                List.of());
    }

    /** The {@code Link} header's target: an absolute http(s) URL that cannot break the header's syntax. */
    @Nullable
    private URI link(Fields f) {
        String l = f.optionalString("link");
        if (l == null) {
            return null;
        }
        try {
            URI u = new URI(l);
            if (("http".equals(u.getScheme()) || "https".equals(u.getScheme()))
                    && u.getHost() != null
                    && l.indexOf('>') < 0
                    && l.indexOf(',') < 0) {
                return u;
            }
        } catch (URISyntaxException e) {
            // reported below
        }
        problems.add(
                f.locationOf("link"),
                "deprecations.link: '" + l + "' (expected: an absolute http or https URL without '>' or ',')");
        return null;
    }

    /** An RFC 3339 timestamp with an offset, or a date (midnight UTC). */
    @Nullable
    private Instant instant(Fields f, String key) {
        String s = f.optionalString(key);
        if (s == null) {
            return null;
        }
        try {
            if (s.length() == 10) {
                return LocalDate.parse(s).atStartOfDay(ZoneOffset.UTC).toInstant();
            }
            return OffsetDateTime.parse(s).toInstant();
        } catch (DateTimeParseException e) {
            problems.add(
                    f.locationOf(key),
                    f.name(key) + ": '" + s + "' (expected: a date such as 2026-06-30 (midnight UTC) or a time"
                            + " such as 2026-06-30T12:00:00Z)");
            return null;
        }
    }
}
