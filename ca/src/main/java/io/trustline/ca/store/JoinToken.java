package io.trustline.ca.store;

import io.trustline.ca.SpiffeId;
import java.time.Instant;
import org.jspecify.annotations.Nullable;

/**
 * What the CA knows about a join token: never the secret, only its hash (kept by the store).
 *
 * @param id the public part of the token, used to revoke it and named in the audit log
 * @param spiffeId the one SPIFFE ID the token can obtain
 * @param createdAt when it was created
 * @param expiresAt when it stops working
 * @param reusable whether it can be redeemed more than once
 * @param usedAt when it was first redeemed, or {@code null}
 * @param revoked whether an operator revoked it
 */
public record JoinToken(
        String id,
        SpiffeId spiffeId,
        Instant createdAt,
        Instant expiresAt,
        boolean reusable,
        @Nullable Instant usedAt,
        boolean revoked) {}
