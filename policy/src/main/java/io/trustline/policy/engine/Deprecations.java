package io.trustline.policy.engine;

import io.trustline.policy.model.Deprecation;
import io.trustline.policy.model.Policy;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/** The deprecated routes of a service, in (policy name, file order); the first that matches a call applies. */
public final class Deprecations {

    private static final Deprecations EMPTY = new Deprecations(new DeprecatedRoute[0]);

    private final DeprecatedRoute[] routes;

    private Deprecations(DeprecatedRoute[] routes) {
        this.routes = routes;
    }

    static Deprecations of(List<Policy> sorted) {
        List<DeprecatedRoute> out = new ArrayList<>();
        for (Policy p : sorted) {
            for (Deprecation d : p.deprecations()) {
                out.add(new DeprecatedRoute(p.name(), d));
            }
        }
        return out.isEmpty() ? EMPTY : new Deprecations(out.toArray(DeprecatedRoute[]::new));
    }

    /** Whether the service has no deprecated route. */
    public boolean isEmpty() {
        return routes.length == 0;
    }

    /**
     * The deprecated route a call is on, or null.
     *
     * @param path the normalised path, without query
     * @param grpcMethod {@code package.Service/Method} for gRPC calls, else null
     */
    public @Nullable DeprecatedRoute match(String method, String path, @Nullable String grpcMethod) {
        for (DeprecatedRoute r : routes) {
            if (r.matches(method, path, grpcMethod)) {
                return r;
            }
        }
        return null;
    }

    /** Every route, for tools. */
    public List<DeprecatedRoute> routes() {
        return List.of(routes);
    }
}
