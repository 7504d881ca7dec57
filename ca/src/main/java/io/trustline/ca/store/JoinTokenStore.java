package io.trustline.ca.store;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.trustline.ca.SpiffeId;
import io.trustline.ca.internal.OwnerOnlyFiles;
import io.trustline.ca.store.JoinTokenException.Reason;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * Join tokens: each authorises the first issuance for exactly one SPIFFE ID, until it expires,
 * once (or repeatedly if created reusable), unless revoked.
 *
 * <p>A token reads {@code <id>.<secret>}: the 16-hex-digit id is public (it names the token in
 * the audit log and in {@code token revoke}); the 256-bit secret is shown once at creation and
 * stored only as its SHA-256 hash. A fast hash is enough because the secret is random, not a
 * password; hashes are compared in constant time.
 *
 * <p>The file-backed store keeps {@code tokens.json} (mode 0600) and re-reads it under a file lock
 * on every operation, so the CLI can create or revoke tokens while {@code serve} runs. Tokens that
 * expired more than {@link #RETENTION} ago are dropped when the file is next written.
 */
public final class JoinTokenStore {

    /** How long an expired token is kept (so that {@code token list} can still show it). */
    public static final Duration RETENTION = Duration.ofDays(1);

    private static final int ID_BYTES = 8;
    private static final int SECRET_BYTES = 32;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Persistence persistence;
    private final Clock clock;
    private final SecureRandom random = new SecureRandom();

    private JoinTokenStore(Persistence persistence, Clock clock) {
        this.persistence = persistence;
        this.clock = requireNonNull(clock, "clock");
    }

    /** Returns a store that lives in memory only (tests, in-process demos). */
    public static JoinTokenStore inMemory(Clock clock) {
        return new JoinTokenStore(new MemoryPersistence(), clock);
    }

    /** Returns a store kept in {@code file} (created with mode 0600 on first write). */
    public static JoinTokenStore inFile(Path file, Clock clock) {
        requireNonNull(file, "file");
        return new JoinTokenStore(new FilePersistence(file, clock), clock);
    }

    /**
     * Creates a token for one SPIFFE ID and returns it. This is the only time the secret exists
     * outside the caller; it cannot be shown again.
     *
     * @param ttl how long the token works, {@code > 0}
     * @param reusable whether it can be redeemed more than once
     */
    public String create(SpiffeId spiffeId, Duration ttl, boolean reusable) {
        requireNonNull(spiffeId, "spiffeId");
        requireNonNull(ttl, "ttl");
        if (ttl.isNegative() || ttl.isZero()) {
            throw new IllegalArgumentException("ttl: " + ttl + " (expected: > 0)");
        }
        if (!spiffeId.hasPath()) {
            throw new IllegalArgumentException("spiffeId: " + spiffeId + " (expected: a workload ID with a path)");
        }
        final byte[] idBytes = new byte[ID_BYTES];
        final byte[] secretBytes = new byte[SECRET_BYTES];
        random.nextBytes(idBytes);
        random.nextBytes(secretBytes);
        final String id = HexFormat.of().formatHex(idBytes);
        final String secret = Base64.getUrlEncoder().withoutPadding().encodeToString(secretBytes);
        final Instant now = clock.instant();
        final Entry entry =
                new Entry(new JoinToken(id, spiffeId, now, now.plus(ttl), reusable, null, false), hash(secret));
        persistence.update(entries -> {
            entries.put(id, entry);
            return null;
        });
        return id + "." + secret;
    }

    /**
     * Returns the token's record if it would authorise a request now, without using it up.
     *
     * @throws JoinTokenException if it is malformed, unknown, expired, used or revoked
     */
    public JoinToken check(String token) throws JoinTokenException {
        return apply(token, false);
    }

    /**
     * Uses the token: like {@link #check}, and a single-use token is marked used in the same atomic
     * step, so two concurrent redemptions cannot both succeed.
     *
     * @throws JoinTokenException if it does not authorise a request now
     */
    public JoinToken redeem(String token) throws JoinTokenException {
        return apply(token, true);
    }

    private JoinToken apply(String token, boolean redeem) throws JoinTokenException {
        requireNonNull(token, "token");
        final int dot = token.indexOf('.');
        if (dot <= 0) {
            throw invalid();
        }
        final String id = token.substring(0, dot);
        final byte[] presentedHash = hash(token.substring(dot + 1));
        final Object result = persistence.<Object>update(entries -> {
            final Entry entry = entries.get(id);
            if (entry == null || !MessageDigest.isEqual(entry.hash, presentedHash)) {
                return invalid();
            }
            final JoinToken record = entry.token;
            if (record.revoked()) {
                return new JoinTokenException(Reason.REVOKED, "join token " + id + " was revoked");
            }
            final Instant now = clock.instant();
            if (!now.isBefore(record.expiresAt())) {
                return new JoinTokenException(Reason.EXPIRED, "join token " + id + " expired at " + record.expiresAt());
            }
            if (!record.reusable() && record.usedAt() != null) {
                return new JoinTokenException(Reason.USED, "join token " + id + " was already used");
            }
            if (redeem && record.usedAt() == null) {
                final JoinToken used = new JoinToken(
                        record.id(),
                        record.spiffeId(),
                        record.createdAt(),
                        record.expiresAt(),
                        record.reusable(),
                        now,
                        false);
                entries.put(id, new Entry(used, entry.hash));
                return used;
            }
            return record;
        });
        if (result instanceof JoinTokenException) {
            throw (JoinTokenException) result;
        }
        return (JoinToken) result;
    }

    private static JoinTokenException invalid() {
        return new JoinTokenException(Reason.INVALID, "join token is not valid");
    }

    /**
     * Revokes a token given its id or the whole token.
     *
     * @return whether a token was found
     */
    public boolean revoke(String idOrToken) {
        requireNonNull(idOrToken, "idOrToken");
        final String id = idOf(idOrToken);
        return persistence.update(entries -> {
            final Entry entry = entries.get(id);
            if (entry == null) {
                return Boolean.FALSE;
            }
            final JoinToken t = entry.token;
            entries.put(
                    id,
                    new Entry(
                            new JoinToken(
                                    t.id(), t.spiffeId(), t.createdAt(), t.expiresAt(), t.reusable(), t.usedAt(), true),
                            entry.hash));
            return Boolean.TRUE;
        });
    }

    /** Returns every token kept, oldest first; secrets are not kept and so not included. */
    public List<JoinToken> list() {
        return persistence.update(entries -> {
            final List<JoinToken> tokens = new ArrayList<>();
            entries.values().forEach(e -> tokens.add(e.token));
            return List.copyOf(tokens);
        });
    }

    /** Returns the public id of a token ({@code <id>.<secret>}), or the argument if it is an id. */
    public static String idOf(String idOrToken) {
        final int dot = idOrToken.indexOf('.');
        return dot < 0 ? idOrToken : idOrToken.substring(0, dot);
    }

    private static byte[] hash(String secret) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(secret.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing", e);
        }
    }

    private record Entry(JoinToken token, byte[] hash) {}

    /** Runs a read-modify-write of all entries atomically (in this process and, for files, across). */
    private interface Persistence {
        <T> T update(Function<Map<String, Entry>, T> change);
    }

    private static final class MemoryPersistence implements Persistence {
        private final Map<String, Entry> entries = new LinkedHashMap<>();

        @Override
        public synchronized <T> T update(Function<Map<String, Entry>, T> change) {
            return change.apply(entries);
        }
    }

    private static final class FilePersistence implements Persistence {
        private static final Map<Path, Object> JVM_LOCKS = new ConcurrentHashMap<>();

        private final Path file;
        private final Path lock;
        private final Clock clock;

        FilePersistence(Path file, Clock clock) {
            this.file = file;
            this.clock = clock;
            lock = file.resolveSibling(file.getFileName() + ".lock");
        }

        @Override
        public <T> T update(Function<Map<String, Entry>, T> change) {
            // The file lock keeps the CLI and a running server apart; the per-file monitor keeps
            // threads and store instances of this process apart (a JVM may not hold two locks on
            // one file).
            synchronized (JVM_LOCKS.computeIfAbsent(lock.toAbsolutePath().normalize(), p -> new Object())) {
                try (FileChannel channel = OwnerOnlyFiles.openForLock(lock)) {
                    final FileLock held = channel.lock();
                    try {
                        final Map<String, Entry> entries = read();
                        final String before = serialise(entries);
                        final T result = change.apply(entries);
                        prune(entries);
                        final String after = serialise(entries);
                        if (!after.equals(before)) {
                            OwnerOnlyFiles.replace(file, after.getBytes(StandardCharsets.UTF_8));
                        }
                        return result;
                    } finally {
                        held.release();
                    }
                } catch (IOException e) {
                    throw new UncheckedIOException("join tokens: cannot update " + file, e);
                }
            }
        }

        private void prune(Map<String, Entry> entries) {
            final Instant cutoff = clock.instant().minus(RETENTION);
            entries.values().removeIf(e -> e.token.expiresAt().isBefore(cutoff));
        }

        private Map<String, Entry> read() throws IOException {
            final Map<String, Entry> entries = new LinkedHashMap<>();
            if (!Files.exists(file)) {
                return entries;
            }
            final JsonNode root = JSON.readTree(file.toFile());
            for (JsonNode node : root.path("tokens")) {
                final String usedAt = node.path("used_at").asText("");
                final JoinToken token = new JoinToken(
                        node.path("id").asText(),
                        SpiffeId.parse(node.path("spiffe_id").asText()),
                        Instant.parse(node.path("created_at").asText()),
                        Instant.parse(node.path("expires_at").asText()),
                        node.path("reusable").asBoolean(),
                        usedAt.isEmpty() ? null : Instant.parse(usedAt),
                        node.path("revoked").asBoolean());
                entries.put(
                        token.id(),
                        new Entry(
                                token,
                                HexFormat.of().parseHex(node.path("sha256").asText())));
            }
            return entries;
        }

        private String serialise(Map<String, Entry> entries) throws IOException {
            final ObjectNode root = JSON.createObjectNode();
            final ArrayNode tokens = root.putArray("tokens");
            for (Entry entry : entries.values()) {
                final JoinToken t = entry.token;
                final ObjectNode node = tokens.addObject();
                node.put("id", t.id());
                node.put("sha256", HexFormat.of().formatHex(entry.hash));
                node.put("spiffe_id", t.spiffeId().toString());
                node.put("created_at", t.createdAt().toString());
                node.put("expires_at", t.expiresAt().toString());
                node.put("reusable", t.reusable());
                if (t.usedAt() != null) {
                    node.put("used_at", t.usedAt().toString());
                }
                node.put("revoked", t.revoked());
            }
            return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(root) + "\n";
        }
    }
}
