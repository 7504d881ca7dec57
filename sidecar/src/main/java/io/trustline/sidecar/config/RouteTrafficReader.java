package io.trustline.sidecar.config;

import io.trustline.policy.yaml.Fields;
import io.trustline.policy.yaml.YamlList;
import io.trustline.policy.yaml.YamlNode;
import io.trustline.policy.yaml.YamlScalar;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * Reads how a route's requests are treated on their way: {@code timeout}, {@code retries} and {@code limits}, each
 * problem at its place (a wrong list item at that item).
 */
final class RouteTrafficReader {

    private final ConfigValues v;

    RouteTrafficReader(ConfigValues values) {
        this.v = values;
    }

    @Nullable
    Duration timeout(Fields r) {
        return v.duration(r, "timeout");
    }

    @SuppressWarnings("NullAway") // v.build calls the constructor only without problems
    @Nullable
    RetriesConfig retries(Fields r) {
        final int before = v.problems().count();
        final Fields f = v.section(r, "retries", RetriesConfig.class);
        if (f == null) {
            return null;
        }
        final Integer attempts = v.integer(f, "attempts");
        final Duration perTryTimeout = v.duration(f, "perTryTimeout");
        final RetriesConfig.Backoff backoff = backoff(f);
        final RetriesConfig.On on = on(f);
        final List<String> methods = words(f, "methods", RetriesConfig.METHODS, "HTTP methods, e.g. GET, PUT");
        final Long bufferBytes = v.number(f, "bufferBytes");
        final RetriesConfig.Budget budget = budget(f);
        return v.build(
                f, before, () -> new RetriesConfig(attempts, perTryTimeout, backoff, on, methods, bufferBytes, budget));
    }

    @SuppressWarnings("NullAway") // v.build calls the constructor only without problems
    private RetriesConfig.@Nullable Backoff backoff(Fields retries) {
        final int before = v.problems().count();
        final Fields f = v.section(retries, "backoff", RetriesConfig.Backoff.class);
        if (f == null) {
            return null;
        }
        final Duration base = v.duration(f, "base");
        final Duration max = v.duration(f, "max");
        return v.build(f, before, () -> new RetriesConfig.Backoff(base, max));
    }

    @SuppressWarnings("NullAway") // v.build calls the constructor only without problems
    private RetriesConfig.@Nullable On on(Fields retries) {
        final int before = v.problems().count();
        final Fields f = v.section(retries, "on", RetriesConfig.On.class);
        if (f == null) {
            return null;
        }
        final List<Integer> statuses = statuses(f);
        final Boolean connectFailure = v.bool(f, "connectFailure");
        final List<String> grpcStatuses =
                words(f, "grpcStatuses", RetriesConfig.On.GRPC_STATUSES, "gRPC status names, e.g. UNAVAILABLE");
        return v.build(f, before, () -> new RetriesConfig.On(statuses, connectFailure, grpcStatuses));
    }

    @SuppressWarnings("NullAway") // v.build calls the constructor only without problems
    private RetriesConfig.@Nullable Budget budget(Fields retries) {
        final int before = v.problems().count();
        final Fields f = v.section(retries, "budget", RetriesConfig.Budget.class);
        if (f == null) {
            return null;
        }
        final Double ratio = v.decimal(f, "ratio");
        final Integer minPerSecond = v.integer(f, "minPerSecond");
        final Duration window = v.duration(f, "window");
        return v.build(f, before, () -> new RetriesConfig.Budget(ratio, minPerSecond, window));
    }

    @SuppressWarnings("NullAway") // v.build calls the constructor only without problems
    @Nullable
    RouteLimitsConfig limits(Fields r) {
        final int before = v.problems().count();
        final Fields f = v.section(r, "limits", RouteLimitsConfig.class);
        if (f == null) {
            return null;
        }
        final Integer maxConcurrent = v.integer(f, "maxConcurrent");
        final Integer maxPending = v.integer(f, "maxPending");
        final Duration pendingTimeout = v.duration(f, "pendingTimeout");
        return v.build(f, before, () -> new RouteLimitsConfig(maxConcurrent, maxPending, pendingTimeout));
    }

    /** {@code statuses: [503, ...]}: each item a status 100-599, reported at the item. */
    private @Nullable List<Integer> statuses(Fields f) {
        final YamlNode n = f.node("statuses");
        if (n == null) {
            return null;
        }
        if (!(n instanceof YamlList l)) {
            v.problems().add(n, f.name("statuses") + ": " + Fields.got(n) + " (expected: a list, e.g. [502, 503])");
            return null;
        }
        final List<Integer> out = new ArrayList<>();
        boolean ok = true;
        for (YamlNode item : l.items()) {
            final Integer status =
                    item instanceof YamlScalar s && s.type() == YamlScalar.Type.INTEGER ? parseInt(s.text()) : null;
            if (status == null || status < 100 || status > 599) {
                v.problems().add(item, f.name("statuses") + ": " + Fields.got(item) + " (expected: 100-599)");
                ok = false;
            } else {
                out.add(status);
            }
        }
        return ok ? out : null;
    }

    private static @Nullable Integer parseInt(String text) {
        try {
            return Integer.parseInt(text);
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /** A list of words from a closed set, in any case; an unknown word is reported at its item. */
    private @Nullable List<String> words(Fields f, String key, java.util.Collection<String> known, String expected) {
        final YamlNode n = f.node(key);
        if (n == null) {
            return null;
        }
        if (!(n instanceof YamlList l)) {
            v.problems().add(n, f.name(key) + ": " + Fields.got(n) + " (expected: a list of " + expected + ")");
            return null;
        }
        final List<String> out = new ArrayList<>();
        boolean ok = true;
        for (YamlNode item : l.items()) {
            final String word = item instanceof YamlScalar s && s.type() == YamlScalar.Type.STRING
                    ? s.text().toUpperCase(Locale.ROOT)
                    : null;
            if (word == null || !known.contains(word)) {
                v.problems().add(item, f.name(key) + ": " + Fields.got(item) + " (expected: " + expected + ")");
                ok = false;
            } else {
                out.add(word);
            }
        }
        return ok ? out : null;
    }
}
