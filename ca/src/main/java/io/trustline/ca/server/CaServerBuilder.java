package io.trustline.ca.server;

import static java.util.Objects.requireNonNull;

import io.trustline.ca.CertificateAuthority;
import io.trustline.ca.HostPort;
import io.trustline.ca.store.CaDirectory;
import io.trustline.ca.store.IssuanceLog;
import io.trustline.ca.store.JoinTokenStore;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Builds a {@link CaServer}, either from a CA directory ({@link #directory}) or from an in-memory
 * {@link CertificateAuthority} with its join tokens and audit log (tests, in-process demos).
 */
public final class CaServerBuilder {

    /** The default listen address, as Istio's istiod serves its CA. */
    public static final String DEFAULT_LISTEN = "0.0.0.0:15012";
    /** How long a workload may renew after its attestation unless configured otherwise. */
    public static final Duration DEFAULT_MAX_RENEWAL_AGE = Duration.ofDays(7);

    private static final String EXACTLY_ONE_SOURCE = "set exactly one of directory(...) and certificateAuthority(...)";

    private @Nullable Path directory;
    private Clock clock = Clock.systemUTC();
    private @Nullable CertificateAuthority ca;
    private @Nullable JoinTokenStore joinTokens;
    private IssuanceLog issuanceLog = IssuanceLog.discard();
    private InetSocketAddress listen = HostPort.parse(DEFAULT_LISTEN).toSocketAddress();
    private int signingThreads = Math.max(1, Runtime.getRuntime().availableProcessors());
    private int signingQueueCapacity = 256;
    private Duration serverSvidTtl = Duration.ofHours(24);
    private List<String> dnsNames = List.of("localhost");
    private Duration maxRenewalAge = DEFAULT_MAX_RENEWAL_AGE;

    CaServerBuilder() {}

    /** Serves the CA kept in {@code dir} (see {@link CaDirectory}), with its tokens and audit log. */
    public CaServerBuilder directory(Path dir) {
        directory = requireNonNull(dir, "dir");
        return this;
    }

    /** Sets the clock for a CA loaded from a directory. Default: {@link Clock#systemUTC()}. */
    public CaServerBuilder clock(Clock clock) {
        this.clock = requireNonNull(clock, "clock");
        return this;
    }

    /** Serves an in-memory CA (instead of a directory). */
    public CaServerBuilder certificateAuthority(CertificateAuthority ca) {
        this.ca = requireNonNull(ca, "ca");
        return this;
    }

    /** Sets the join tokens of an in-memory CA. Default: an empty in-memory store. */
    public CaServerBuilder joinTokens(JoinTokenStore joinTokens) {
        this.joinTokens = requireNonNull(joinTokens, "joinTokens");
        return this;
    }

    /** Sets the audit log of an in-memory CA. Default: {@link IssuanceLog#discard()}. */
    public CaServerBuilder issuanceLog(IssuanceLog issuanceLog) {
        this.issuanceLog = requireNonNull(issuanceLog, "issuanceLog");
        return this;
    }

    /** Sets the address to listen on, {@code HOST:PORT}; port 0 picks a free one. Default: {@value #DEFAULT_LISTEN}. */
    public CaServerBuilder listen(String hostPort) {
        listen = HostPort.parse(hostPort).toSocketAddress();
        return this;
    }

    /** Sets the address to listen on. */
    public CaServerBuilder listen(InetSocketAddress address) {
        listen = requireNonNull(address, "address");
        return this;
    }

    /** Sets how many threads sign. Default: the number of processors. */
    public CaServerBuilder signingThreads(int signingThreads) {
        if (signingThreads <= 0) {
            throw new IllegalArgumentException("signingThreads: " + signingThreads + " (expected: > 0)");
        }
        this.signingThreads = signingThreads;
        return this;
    }

    /** Sets how many signing requests may wait; beyond that callers get UNAVAILABLE. Default: 256. */
    public CaServerBuilder signingQueueCapacity(int signingQueueCapacity) {
        if (signingQueueCapacity <= 0) {
            throw new IllegalArgumentException("signingQueueCapacity: " + signingQueueCapacity + " (expected: > 0)");
        }
        this.signingQueueCapacity = signingQueueCapacity;
        return this;
    }

    /** Sets the lifetime of the server's own TLS certificate (renewed at half). Default: 24 h. */
    public CaServerBuilder serverSvidTtl(Duration serverSvidTtl) {
        requireNonNull(serverSvidTtl, "serverSvidTtl");
        if (serverSvidTtl.isNegative() || serverSvidTtl.isZero()) {
            throw new IllegalArgumentException("serverSvidTtl: " + serverSvidTtl + " (expected: > 0)");
        }
        this.serverSvidTtl = serverSvidTtl;
        return this;
    }

    /**
     * Sets how long after its attestation (a join token, or offline issuance) a workload may keep renewing over mTLS
     * with its current SVID; past it, renewal is refused and the workload needs a fresh join token. Default:
     * {@link #DEFAULT_MAX_RENEWAL_AGE}.
     */
    public CaServerBuilder maxRenewalAge(Duration maxRenewalAge) {
        requireNonNull(maxRenewalAge, "maxRenewalAge");
        if (maxRenewalAge.isNegative() || maxRenewalAge.isZero()) {
            throw new IllegalArgumentException("maxRenewalAge: " + maxRenewalAge + " (expected: > 0)");
        }
        this.maxRenewalAge = maxRenewalAge;
        return this;
    }

    /**
     * Sets DNS names put in the server certificate besides its SPIFFE ID, for clients that verify
     * host names. Trustline's own client verifies the SPIFFE ID instead. Default: {@code localhost}.
     */
    public CaServerBuilder dnsNames(List<String> dnsNames) {
        this.dnsNames = List.copyOf(requireNonNull(dnsNames, "dnsNames"));
        return this;
    }

    /**
     * Builds the server (not started yet).
     *
     * @throws IllegalStateException if neither or both of a directory and a CA are set
     * @throws UncheckedIOException if the directory cannot be opened, e.g. a key file is readable by
     *     others
     */
    public CaServer build() {
        if (directory != null) {
            if (ca != null) {
                throw new IllegalStateException(EXACTLY_ONE_SOURCE);
            }
            if (joinTokens != null) {
                throw new IllegalStateException("joinTokens(...) is for an in-memory CA; a directory has its own");
            }
            final CaDirectory opened;
            try {
                opened = CaDirectory.open(directory, clock);
            } catch (IOException e) {
                throw new UncheckedIOException(e.getMessage(), e);
            }
            return new CaServer(
                    opened.certificateAuthority(),
                    opened.joinTokens(),
                    opened.issuanceLog(),
                    listen,
                    signingThreads,
                    signingQueueCapacity,
                    serverSvidTtl,
                    dnsNames,
                    maxRenewalAge);
        }
        if (ca == null) {
            throw new IllegalStateException(EXACTLY_ONE_SOURCE);
        }
        return new CaServer(
                ca,
                joinTokens == null ? JoinTokenStore.inMemory(ca.clock()) : joinTokens,
                issuanceLog,
                listen,
                signingThreads,
                signingQueueCapacity,
                serverSvidTtl,
                dnsNames,
                maxRenewalAge);
    }
}
