package io.trustline.sidecar.admin;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The bearer token that state-changing admin calls must present, read from {@code admin.tokenFile} at each check (so
 * it can be rotated without a restart; checks are rare and run off the event loop). Without a token file, or with an
 * empty or unreadable one, every such call is refused: the admin port fails closed. Comparison is constant-time over
 * SHA-256 digests, so neither the content nor the length of the token leaks through timing.
 */
final class AdminToken {

    private static final Logger logger = LoggerFactory.getLogger(AdminToken.class);

    /** The result of checking a presented token. */
    enum Check {
        ACCEPTED,
        /** No token was presented. */
        MISSING,
        /** A token was presented and it is not the one in the file. */
        INVALID,
        /** No usable token file: nothing can be accepted. */
        NOT_CONFIGURED
    }

    private final @Nullable Path file;

    AdminToken(@Nullable Path file) {
        this.file = file;
    }

    /** Checks the {@code Authorization} header value of a call (blocking: reads the token file). */
    Check check(@Nullable String authorization) {
        final byte[] expected = expected();
        if (expected == null) {
            return Check.NOT_CONFIGURED;
        }
        if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return Check.MISSING;
        }
        final byte[] presented = authorization.substring(7).trim().getBytes(StandardCharsets.UTF_8);
        return MessageDigest.isEqual(sha256(expected), sha256(presented)) ? Check.ACCEPTED : Check.INVALID;
    }

    private byte @Nullable [] expected() {
        if (file == null) {
            return null;
        }
        try {
            final String token = Files.readString(file).trim();
            return token.isEmpty() ? null : token.getBytes(StandardCharsets.UTF_8);
        } catch (IOException e) {
            logger.warn(
                    "admin token file unreadable, state-changing calls refused file={} cause={}",
                    file,
                    e.getClass().getSimpleName());
            return null;
        }
    }

    private static byte[] sha256(byte[] bytes) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(bytes);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 unavailable", e);
        }
    }
}
