package io.trustline.policy;

import io.trustline.ca.Durations;
import io.trustline.policy.model.JwksCache;
import io.trustline.policy.model.JwtAlgorithm;
import io.trustline.policy.model.JwtProvider;
import io.trustline.policy.model.Mode;
import io.trustline.policy.model.ReplayGuard;
import io.trustline.policy.model.TokenSource;
import io.trustline.policy.yaml.Fields;
import io.trustline.policy.yaml.Problems;
import io.trustline.policy.yaml.YamlMap;
import io.trustline.policy.yaml.YamlNode;
import io.trustline.policy.yaml.YamlScalar;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/** Reads {@code spec.jwt[]}: one token issuer, its keys, where tokens come from, and its replay guard. */
final class JwtReader {

    private static final Pattern QUERY_PARAM = Pattern.compile("[A-Za-z0-9._~-]{1,100}");
    /** Headers a claim may not be copied into: they carry routing, identity or framing. */
    private static final Set<String> RESERVED_HEADERS = Set.of(
            "authorization",
            "host",
            "content-length",
            "content-type",
            "transfer-encoding",
            "connection",
            "te",
            "upgrade",
            "cookie",
            "x-forwarded-client-cert",
            "x-forwarded-for",
            "traceparent",
            "tracestate");

    private final ReadContext ctx;
    private final Problems problems;

    JwtReader(ReadContext ctx) {
        this.ctx = ctx;
        this.problems = ctx.problems();
    }

    @Nullable
    JwtProvider jwt(YamlNode n) {
        Fields f = Fields.of(n, "jwt", problems);
        if (f == null) {
            return null;
        }
        int before = problems.count();
        f.allowOnly(
                "issuer",
                "audiences",
                "algorithms",
                "jwksUri",
                "jwksFile",
                "clockSkew",
                "maxTokenLifetime",
                "fromHeaders",
                "fromQuery",
                "claimsToHeaders",
                "forwardToken",
                "required",
                "maxTokenBytes",
                "jwksCache",
                "replay",
                "mode");
        String issuer = f.requiredString("issuer");
        List<String> audiences = null;
        if (f.required("audiences") != null) {
            audiences = f.optionalList("audiences", x -> Fields.string(x, "jwt.audiences", problems));
        }
        Set<JwtAlgorithm> algorithms = JwtProvider.DEFAULT_ALGORITHMS;
        List<JwtAlgorithm> algs = f.optionalList("algorithms", this::algorithm);
        if (algs != null) {
            algorithms = algs.isEmpty() ? algorithms : EnumSet.copyOf(algs);
        }
        Optional<URI> jwksUri = Optional.empty();
        Optional<Path> jwksFile = Optional.empty();
        if (f.has("jwksUri") == f.has("jwksFile")) {
            problems.add(
                    f.location(),
                    "jwt: " + (f.has("jwksUri") ? "both jwksUri and jwksFile" : "no jwksUri or jwksFile")
                            + " (expected: exactly one of them)");
        } else if (f.has("jwksUri")) {
            jwksUri = Optional.ofNullable(jwksUri(f));
        } else {
            String file = f.optionalString("jwksFile");
            if (file != null) {
                jwksFile = Optional.of(ctx.baseDir().resolve(file).normalize());
            }
        }
        Duration skew =
                ctx.duration(f, "clockSkew", JwtProvider.DEFAULT_CLOCK_SKEW, Duration.ZERO, Duration.ofMinutes(10));
        Duration maxLifetime = ctx.optionalDuration(f, "maxTokenLifetime", Duration.ofSeconds(1), Duration.ofDays(30));
        List<TokenSource> fromHeaders = f.optionalList("fromHeaders", this::tokenSource);
        Optional<String> fromQuery = Optional.empty();
        String q = f.optionalString("fromQuery");
        if (q != null) {
            if (QUERY_PARAM.matcher(q).matches()) {
                fromQuery = Optional.of(q);
            } else {
                problems.add(
                        f.locationOf("fromQuery"), "jwt.fromQuery: '" + q + "' (expected: a query parameter name)");
            }
        }
        Map<String, String> claimsToHeaders = claimsToHeaders(f);
        Boolean forward = f.optionalBoolean("forwardToken");
        Boolean required = f.optionalBoolean("required");
        Long maxBytes = f.optionalLong("maxTokenBytes", 256, 65536);
        JwksCache cache = jwksCache(f);
        Mode mode = ctx.entryMode(f);
        YamlNode replayNode = f.node("replay");
        ReplayGuard replay = replayNode != null ? replay(replayNode, mode) : null;
        if (issuer == null || audiences == null || problems.count() != before) {
            return null;
        }
        return new JwtProvider(
                issuer,
                audiences,
                algorithms,
                jwksUri,
                jwksFile,
                skew,
                Optional.ofNullable(maxLifetime),
                fromHeaders == null ? List.of(TokenSource.AUTHORIZATION_BEARER) : fromHeaders,
                fromQuery,
                claimsToHeaders,
                forward == null || forward,
                required != null && required,
                maxBytes == null ? JwtProvider.DEFAULT_MAX_TOKEN_BYTES : maxBytes.intValue(),
                cache,
                Optional.ofNullable(replay),
                mode,
                ctx.origin(n.location()));
    }

    /** {@code jwt[].replay}; its mode is audit when the issuer's is. */
    @Nullable
    private ReplayGuard replay(YamlNode n, Mode issuerMode) {
        Fields f = Fields.of(n, "jwt.replay", problems);
        if (f == null) {
            return null;
        }
        int before = problems.count();
        f.allowOnly("maxUses", "window", "requireJti", "mode");
        Long maxUses = f.optionalLong("maxUses", 1, 1_000_000);
        Duration window = ctx.optionalDuration(f, "window", Duration.ofSeconds(1), Duration.ofDays(1));
        Boolean requireJti = f.optionalBoolean("requireJti");
        Mode mode = ReadContext.mode(f, "mode", issuerMode);
        if (issuerMode == Mode.AUDIT && mode == Mode.ENFORCE && f.has("mode")) {
            problems.add(
                    f.locationOf("mode"),
                    "jwt.replay.mode: enforce inside an issuer or policy in audit mode (expected: audit, or no mode)");
        }
        if (problems.count() != before) {
            return null;
        }
        return new ReplayGuard(
                maxUses == null ? 1 : maxUses.intValue(),
                Optional.ofNullable(window),
                requireJti == null || requireJti,
                mode);
    }

    @Nullable
    private JwtAlgorithm algorithm(YamlNode n) {
        String s = Fields.string(n, "jwt.algorithms", problems);
        if (s == null) {
            return null;
        }
        JwtAlgorithm a = JwtAlgorithm.find(s);
        if (a != null) {
            return a;
        }
        String why = s.toUpperCase(Locale.ROOT).startsWith("HS")
                ? " is symmetric (HMAC keyed with a public key is the algorithm-confusion attack)"
                : s.equalsIgnoreCase("none") ? " means an unsigned token" : " is not supported";
        problems.add(n, "jwt.algorithms: '" + s + "'" + why + " (expected: one of " + JwtAlgorithm.names() + ")");
        return null;
    }

    @Nullable
    private URI jwksUri(Fields f) {
        String s = f.optionalString("jwksUri");
        if (s == null) {
            return null;
        }
        try {
            URI u = new URI(s);
            if (("http".equals(u.getScheme()) || "https".equals(u.getScheme())) && u.getHost() != null) {
                return u;
            }
        } catch (URISyntaxException e) {
            // reported below
        }
        problems.add(f.locationOf("jwksUri"), "jwt.jwksUri: '" + s + "' (expected: an absolute http or https URL)");
        return null;
    }

    @Nullable
    private TokenSource tokenSource(YamlNode n) {
        Fields f = Fields.of(n, "jwt.fromHeaders", problems);
        if (f == null) {
            return null;
        }
        f.allowOnly("name", "prefix");
        String name = f.requiredString("name");
        String prefix = "";
        YamlNode p = f.node("prefix");
        if (p != null) {
            if (p instanceof YamlScalar s && s.type() == YamlScalar.Type.STRING) {
                prefix = s.text();
            } else {
                problems.add(
                        p, "jwt.fromHeaders.prefix: " + Fields.got(p) + " (expected: a string such as \"Bearer \")");
            }
        }
        if (name == null) {
            return null;
        }
        String lower = name.toLowerCase(Locale.ROOT);
        if (!MatchValues.HEADER.matcher(lower).matches()) {
            problems.add(f.locationOf("name"), "jwt.fromHeaders.name: '" + name + "' (expected: an HTTP header name)");
            return null;
        }
        return new TokenSource(lower, prefix);
    }

    private Map<String, String> claimsToHeaders(Fields parent) {
        Fields f = ctx.nonEmptyMap(parent, "claimsToHeaders", "no claim headers");
        if (f == null) {
            return Map.of();
        }
        Map<String, String> out = new LinkedHashMap<>();
        Map<String, String> byHeader = new HashMap<>();
        for (YamlMap.Entry e : f.map().entries().values()) {
            String header = Fields.string(e.value(), "jwt.claimsToHeaders." + e.key(), problems);
            if (header == null) {
                continue;
            }
            String lower = header.toLowerCase(Locale.ROOT);
            if (!MatchValues.HEADER.matcher(lower).matches() || RESERVED_HEADERS.contains(lower)) {
                problems.add(
                        e.value(),
                        "jwt.claimsToHeaders." + e.key() + ": '" + header
                                + "' (expected: a header name that is not one of " + new TreeSet<>(RESERVED_HEADERS)
                                + ")");
                continue;
            }
            String other = byHeader.putIfAbsent(lower, e.key());
            if (other != null) {
                problems.add(
                        e.value(),
                        "jwt.claimsToHeaders." + e.key() + ": header '" + lower + "' is already set from claim '"
                                + other + "'");
                continue;
            }
            out.put(e.key(), lower);
        }
        return out;
    }

    private JwksCache jwksCache(Fields parent) {
        Fields f = ctx.nonEmptyMap(parent, "jwksCache", "the defaults");
        if (f == null) {
            return JwksCache.DEFAULT;
        }
        f.allowOnly("refreshInterval", "maxStaleness", "minRefetchInterval", "fetchTimeout");
        JwksCache d = JwksCache.DEFAULT;
        Duration refresh =
                ctx.duration(f, "refreshInterval", d.refreshInterval(), Duration.ofSeconds(1), Duration.ofDays(1));
        Duration stale = ctx.duration(f, "maxStaleness", d.maxStaleness(), Duration.ZERO, Duration.ofDays(7));
        Duration refetch =
                ctx.duration(f, "minRefetchInterval", d.minRefetchInterval(), Duration.ZERO, Duration.ofHours(1));
        Duration timeout =
                ctx.duration(f, "fetchTimeout", d.fetchTimeout(), Duration.ofMillis(100), Duration.ofMinutes(1));
        if (stale.compareTo(refresh) < 0) {
            problems.add(
                    f.locationOf("maxStaleness"),
                    "jwt.jwksCache.maxStaleness: " + Durations.format(stale) + " (expected: >= refreshInterval "
                            + Durations.format(refresh) + ")");
        }
        return new JwksCache(refresh, stale, refetch, timeout);
    }
}
