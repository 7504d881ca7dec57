package io.trustline.examples.auth;

import java.util.Map;
import java.util.Optional;

/** The shop's users and their OAuth scopes. A demo has no passwords: the token issuer is the point, not the login. */
public final class DemoUsers {

    /** alice may read and create orders; bob may only read them. */
    private static final Map<String, String> SCOPES = Map.of(
            "alice", "orders.read orders.write",
            "bob", "orders.read");

    /** The space-separated scopes of {@code user}, if the user exists. */
    public static Optional<String> scopesOf(String user) {
        return Optional.ofNullable(SCOPES.get(user));
    }

    private DemoUsers() {}
}
