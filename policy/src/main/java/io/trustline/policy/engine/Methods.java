package io.trustline.policy.engine;

/** Maps HTTP methods to small slots, for the index and for bitmask matching. */
final class Methods {

    static final int OTHER = 9;
    static final int SLOTS = 10;
    static final int ALL_SLOTS = (1 << SLOTS) - 1;

    private Methods() {}

    static int slot(String method) {
        return switch (method) {
            case "GET" -> 0;
            case "HEAD" -> 1;
            case "POST" -> 2;
            case "PUT" -> 3;
            case "DELETE" -> 4;
            case "PATCH" -> 5;
            case "OPTIONS" -> 6;
            case "CONNECT" -> 7;
            case "TRACE" -> 8;
            default -> OTHER;
        };
    }
}
