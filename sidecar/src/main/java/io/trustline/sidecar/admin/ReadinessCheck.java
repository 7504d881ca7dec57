package io.trustline.sidecar.admin;

import org.jspecify.annotations.Nullable;

/**
 * One condition {@code /readyz} waits for (a valid certificate, a policy for the service, the JWT issuers' keys).
 * The sidecar reports ready only when every check passes. Implementations are called on every probe from the admin
 * port's event loop: they must answer from state they already hold, without blocking.
 */
public interface ReadinessCheck {

    /** A short stable name shown by {@code /readyz}, e.g. {@code certificate}, {@code jwks}. */
    String name();

    /** Why this part is not ready (for the operator, never a secret), or null when it is. */
    @Nullable
    String problem();

    /** A check from a name and a supplier of its problem. */
    static ReadinessCheck of(String name, java.util.function.Supplier<@Nullable String> problem) {
        return new ReadinessCheck() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public @Nullable String problem() {
                return problem.get();
            }
        };
    }
}
