package io.trustline.policy.engine;

/**
 * One compiled condition of a rule (one field of {@code from}/{@code to}, one header, one {@code
 * when} entry). The hot path calls {@link #test}; explanations call {@link #describeFailure} only
 * when asked, so the two can never disagree about what matched.
 */
interface Condition {

    boolean test(AuthzRequest r);

    /** Why {@link #test} is false for {@code r}, e.g. {@code "to.paths: '/x' matched none of [/api/*]"}. */
    String describeFailure(AuthzRequest r);

    /** Whether the condition can only hold for a request with a verified JWT. */
    default boolean needsToken() {
        return false;
    }
}
