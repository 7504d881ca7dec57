package io.trustline.ca.client;

import static java.util.Objects.requireNonNull;

import io.trustline.ca.HostPort;
import io.trustline.ca.KeyType;
import io.trustline.ca.SpiffeId;
import io.trustline.ca.TrustBundle;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Random;
import java.util.random.RandomGenerator;
import org.jspecify.annotations.Nullable;

/** Builds an {@link SvidClient}. {@link #caAddress}, {@link #caBundle} and {@link #spiffeId} are required. */
public final class SvidClientBuilder {

    @Nullable
    InetSocketAddress caAddress;

    @Nullable
    TrustBundle caBundle;

    @Nullable
    SpiffeId spiffeId;

    @Nullable
    JoinTokenSource joinToken;

    @Nullable
    Duration ttl;

    KeyType keyType = KeyType.EC_P256;
    Clock clock = Clock.systemUTC();

    @Nullable
    RenewalScheduler scheduler;

    Duration startupTimeout = Duration.ofSeconds(30);
    Duration initialBackoff = Duration.ofSeconds(1);
    Duration maxBackoff = Duration.ofSeconds(30);
    Duration callTimeout = Duration.ofSeconds(10);
    RandomGenerator random = new Random();

    SvidClientBuilder() {}

    /** Sets the CA's address, {@code HOST:PORT}, e.g. {@code 127.0.0.1:15012}. Required. */
    public SvidClientBuilder caAddress(String hostPort) {
        caAddress = HostPort.parse(hostPort).toSocketAddress();
        return this;
    }

    /**
     * Sets the roots that the CA's serving certificate must chain to (the trust bundle, from {@code
     * trustline-ca bundle}). Required. After the first SVID the bundle returned with it is used.
     */
    public SvidClientBuilder caBundle(TrustBundle caBundle) {
        this.caBundle = requireNonNull(caBundle, "caBundle");
        return this;
    }

    /** Sets the SPIFFE ID to obtain; the CA checks it against the join token. Required. */
    public SvidClientBuilder spiffeId(SpiffeId spiffeId) {
        this.spiffeId = requireNonNull(spiffeId, "spiffeId");
        return this;
    }

    /**
     * Sets the join token that authorises the first SVID (and later ones, if the current SVID has
     * expired and the token is reusable). Default: none, which works only with a current SVID.
     */
    public SvidClientBuilder joinToken(String joinToken) {
        requireNonNull(joinToken, "joinToken");
        this.joinToken = JoinTokenSource.of(joinToken);
        return this;
    }

    /**
     * Reads the join token from {@code file} each time one is needed: for the first SVID, and
     * whenever the current SVID has expired (the CA was unreachable past its lifetime). A fresh
     * single-use token written to the file then re-enrols the workload at the next retry, without
     * a restart. Replaces {@link #joinToken(String)}.
     */
    public SvidClientBuilder joinTokenFile(Path file) {
        this.joinToken = JoinTokenSource.file(requireNonNull(file, "file"));
        return this;
    }

    /** Sets the lifetime to ask for. Default: the CA's default (1 h). */
    public SvidClientBuilder ttl(Duration ttl) {
        this.ttl = positive("ttl", ttl);
        return this;
    }

    /** Sets the type of key pair made for each SVID. Default: {@link KeyType#EC_P256}. */
    public SvidClientBuilder keyType(KeyType keyType) {
        this.keyType = requireNonNull(keyType, "keyType");
        return this;
    }

    /** Sets the clock that renewal times and certificate checks use. Default: {@link Clock#systemUTC()}. */
    public SvidClientBuilder clock(Clock clock) {
        this.clock = requireNonNull(clock, "clock");
        return this;
    }

    /**
     * Sets the scheduler for renewals and retries. Default: a daemon thread owned (and stopped) by
     * the client.
     */
    public SvidClientBuilder scheduler(RenewalScheduler scheduler) {
        this.scheduler = requireNonNull(scheduler, "scheduler");
        return this;
    }

    /** Sets how long {@link SvidClient#start()} keeps retrying an unreachable CA. Default: 30 s. */
    public SvidClientBuilder startupTimeout(Duration startupTimeout) {
        this.startupTimeout = positive("startupTimeout", startupTimeout);
        return this;
    }

    /** Sets the first retry delay after a failed call; it doubles per failure. Default: 1 s. */
    public SvidClientBuilder initialBackoff(Duration initialBackoff) {
        this.initialBackoff = positive("initialBackoff", initialBackoff);
        return this;
    }

    /** Sets the longest retry delay. Default: 30 s. */
    public SvidClientBuilder maxBackoff(Duration maxBackoff) {
        this.maxBackoff = positive("maxBackoff", maxBackoff);
        return this;
    }

    /** Sets the deadline of one call to the CA. Default: 10 s. */
    public SvidClientBuilder callTimeout(Duration callTimeout) {
        this.callTimeout = positive("callTimeout", callTimeout);
        return this;
    }

    /** Sets the source of jitter. Default: a new {@link Random}. */
    public SvidClientBuilder random(RandomGenerator random) {
        this.random = requireNonNull(random, "random");
        return this;
    }

    /**
     * Builds the client (not started).
     *
     * @throws IllegalStateException if a required setting is missing or they contradict each other
     */
    public SvidClient build() {
        if (caAddress == null) {
            throw new IllegalStateException("caAddress: not set");
        }
        if (caBundle == null) {
            throw new IllegalStateException("caBundle: not set");
        }
        if (spiffeId == null) {
            throw new IllegalStateException("spiffeId: not set");
        }
        if (maxBackoff.compareTo(initialBackoff) < 0) {
            throw new IllegalStateException(
                    "maxBackoff: " + maxBackoff + " (expected: >= initialBackoff " + initialBackoff + ")");
        }
        return new SvidClient(this);
    }

    private static Duration positive(String name, Duration value) {
        requireNonNull(value, name);
        if (value.isNegative() || value.isZero()) {
            throw new IllegalArgumentException(name + ": " + value + " (expected: > 0)");
        }
        return value;
    }
}
