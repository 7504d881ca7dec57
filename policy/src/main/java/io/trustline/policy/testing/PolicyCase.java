package io.trustline.policy.testing;

import static java.util.Objects.requireNonNull;

import io.trustline.policy.model.Origin;

/** One test case: a request and what the policies should decide for it. */
public record PolicyCase(String note, CaseRequest request, Expectation expect, Origin origin) {

    public PolicyCase {
        requireNonNull(note, "note");
        requireNonNull(request, "request");
        requireNonNull(expect, "expect");
        requireNonNull(origin, "origin");
    }
}
