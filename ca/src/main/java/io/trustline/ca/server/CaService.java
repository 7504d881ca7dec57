package io.trustline.ca.server;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import io.grpc.StatusException;
import io.grpc.stub.StreamObserver;
import io.trustline.ca.CertificateAuthority;
import io.trustline.ca.CsrRejectedException;
import io.trustline.ca.SpiffeId;
import io.trustline.ca.SvidValidationException;
import io.trustline.ca.SvidValidator;
import io.trustline.ca.VerifiedCsr;
import io.trustline.ca.store.IssuanceLog;
import io.trustline.ca.store.IssuanceRecord;
import io.trustline.ca.store.IssuanceRecord.Authorisation;
import io.trustline.ca.store.JoinToken;
import io.trustline.ca.store.JoinTokenException;
import io.trustline.ca.store.JoinTokenStore;
import io.trustline.ca.v1.CertificateAuthorityGrpc;
import io.trustline.ca.v1.GetTrustBundleRequest;
import io.trustline.ca.v1.GetTrustBundleResponse;
import io.trustline.ca.v1.SignRequest;
import io.trustline.ca.v1.SignResponse;
import java.io.IOException;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The CA's gRPC service. A signing request is authorised by a join token or, without one, by the
 * caller's current SVID presented over mTLS; the SPIFFE ID comes from that authorisation only.
 * A renewal gets no longer a lifetime than the SVID it renews, and is refused (PERMISSION_DENIED)
 * once the workload's attestation, carried from SVID to SVID, is older than the maximum renewal
 * age. Work runs on a bounded executor, never on a transport thread.
 */
final class CaService extends CertificateAuthorityGrpc.CertificateAuthorityImplBase {

    private static final Logger logger = LoggerFactory.getLogger(CaService.class);

    private final CertificateAuthority ca;
    private final JoinTokenStore joinTokens;
    private final IssuanceLog issuanceLog;
    private final SvidValidator validator;
    private final Executor executor;
    private final Duration maxRenewalAge;

    CaService(
            CertificateAuthority ca,
            JoinTokenStore joinTokens,
            IssuanceLog issuanceLog,
            Executor executor,
            Duration maxRenewalAge) {
        this.ca = ca;
        this.maxRenewalAge = maxRenewalAge;
        this.joinTokens = joinTokens;
        this.issuanceLog = issuanceLog;
        this.executor = executor;
        validator = SvidValidator.withBouncyCastle(ca.trustBundle(), ca.trustDomain(), ca.clock());
    }

    @Override
    public void sign(SignRequest request, StreamObserver<SignResponse> responses) {
        // Read the transport's facts here: the context does not follow the task to the executor.
        final X509Certificate[] peerChain = CallerContext.PEER_CHAIN.get();
        final String peer = nullToEmpty(CallerContext.PEER_ADDRESS.get());
        try {
            executor.execute(() -> respond(request, peerChain, peer, responses));
        } catch (RejectedExecutionException e) {
            logger.atWarn()
                    .setMessage("sign refused")
                    .addKeyValue("reason", "overloaded")
                    .addKeyValue("peer", peer)
                    .log();
            responses.onError(Status.UNAVAILABLE
                    .withDescription("the CA is overloaded; retry later")
                    .asException());
        }
    }

    private void respond(
            SignRequest request,
            X509Certificate @Nullable [] peerChain,
            String peer,
            StreamObserver<SignResponse> responses) {
        final SignResponse response;
        try {
            response = sign(request, peerChain, peer);
        } catch (StatusException e) {
            logger.atInfo()
                    .setMessage("sign refused")
                    .addKeyValue("status", e.getStatus().getCode())
                    .addKeyValue("reason", e.getStatus().getDescription())
                    .addKeyValue("peer", peer)
                    .log();
            responses.onError(e);
            return;
        } catch (RuntimeException | Error e) {
            // Answer even on an Error, or the caller would wait for its deadline; then let the
            // Error go on.
            logger.atError()
                    .setMessage("sign failed")
                    .addKeyValue("peer", peer)
                    .setCause(e)
                    .log();
            responses.onError(Status.INTERNAL.withDescription("signing failed").asException());
            if (e instanceof Error) {
                throw (Error) e;
            }
            return;
        }
        responses.onNext(response);
        responses.onCompleted();
    }

    private SignResponse sign(SignRequest request, X509Certificate @Nullable [] peerChain, String peer)
            throws StatusException {
        if (request.getCsr().isEmpty()) {
            throw invalidArgument("csr: missing");
        }
        if (request.getTtlSeconds() < 0) {
            throw invalidArgument("ttl_seconds: " + request.getTtlSeconds() + " (expected: >= 0)");
        }
        final SpiffeId requested = requestedId(request.getSpiffeId());
        final String token = request.getJoinToken();

        // 1. Who is asking, and for which ID.
        final SpiffeId authorised;
        final Authorisation authorisation;
        final String credential;
        // The certificate being renewed: set exactly when the caller authenticated with its SVID.
        X509Certificate renewing = null;
        if (!token.isEmpty()) {
            final JoinToken record;
            try {
                record = joinTokens.check(token);
            } catch (JoinTokenException e) {
                throw unauthenticated(e.getMessage());
            }
            authorised = record.spiffeId();
            authorisation = Authorisation.JOIN_TOKEN;
            credential = record.id();
        } else if (peerChain != null) {
            try {
                authorised = validator.validate(peerChain, SvidValidator.Use.WORKLOAD_CLIENT);
            } catch (SvidValidationException e) {
                throw unauthenticated("client certificate is not a valid SVID: " + e.getMessage());
            }
            authorisation = Authorisation.SVID;
            renewing = peerChain[0];
            credential = renewing.getSerialNumber().toString(16);
        } else {
            throw unauthenticated("no join token and no client certificate");
        }
        if (requested != null && !requested.equals(authorised)) {
            throw permissionDenied(describe(authorisation) + " authorises " + authorised + ", not " + requested);
        }

        // 2. Is the CSR acceptable for that ID (cheap checks before the signature).
        final VerifiedCsr csr;
        try {
            csr = ca.verifyCsr(request.getCsr().toByteArray(), authorised);
        } catch (CsrRejectedException e) {
            final boolean wrongId = e.reason() == CsrRejectedException.Reason.ID_MISMATCH
                    || e.reason() == CsrRejectedException.Reason.ID_NOT_ALLOWED;
            throw wrongId ? permissionDenied(e.getMessage()) : invalidArgument(e.getMessage());
        }

        // 3. Use the token up only now, so a bad CSR does not burn it; atomic against a second use.
        if (authorisation == Authorisation.JOIN_TOKEN) {
            try {
                joinTokens.redeem(token);
            } catch (JoinTokenException e) {
                throw unauthenticated(e.getMessage());
            }
        }

        // 4. A renewal only while the workload's attestation is recent enough; it cannot outlive what it renews.
        final Duration ttl = request.getTtlSeconds() == 0 ? null : Duration.ofSeconds(request.getTtlSeconds());
        final X509Certificate leaf;
        final Instant attestedAt;
        if (renewing != null) {
            attestedAt = CertificateAuthority.attestedAt(renewing);
            if (!ca.clock().instant().isBefore(attestedAt.plus(maxRenewalAge))) {
                throw permissionDenied("the SVID of " + authorised + " was attested at " + attestedAt
                        + ", more than the maximum renewal age (" + maxRenewalAge
                        + ") ago: attest again with a new join token");
            }
            leaf = ca.renew(csr, ttl, renewing);
        } else {
            attestedAt = ca.clock().instant();
            leaf = ca.sign(csr, ttl);
        }

        // 5. Record, return.
        final IssuanceRecord record = new IssuanceRecord(
                ca.clock().instant(),
                leaf.getSerialNumber(),
                authorised,
                leaf.getNotAfter().toInstant(),
                authorisation,
                credential,
                peer);
        try {
            issuanceLog.record(record);
        } catch (IOException e) {
            logger.atError().setMessage("audit log write failed").setCause(e).log();
            throw new StatusException(
                    Status.INTERNAL.withDescription("the CA cannot write its audit log; nothing was issued"));
        }
        logger.atInfo()
                .setMessage("svid issued")
                .addKeyValue("spiffe_id", authorised)
                .addKeyValue("serial", leaf.getSerialNumber().toString(16))
                .addKeyValue("not_after", record.notAfter())
                .addKeyValue("authorisation", authorisation)
                .addKeyValue("renewal", authorisation == Authorisation.SVID)
                .addKeyValue("attested_at", attestedAt)
                .addKeyValue("credential", credential)
                .addKeyValue("peer", peer)
                .log();
        return SignResponse.newBuilder()
                .setSpiffeId(authorised.toString())
                .addAllCertificateChain(der(ca.chainOf(leaf)))
                .addAllTrustBundle(der(ca.trustBundle().roots()))
                .build();
    }

    @Override
    public void getTrustBundle(GetTrustBundleRequest request, StreamObserver<GetTrustBundleResponse> responses) {
        responses.onNext(GetTrustBundleResponse.newBuilder()
                .setTrustDomain(ca.trustDomain())
                .addAllX509Authorities(der(ca.trustBundle().roots()))
                .build());
        responses.onCompleted();
    }

    private static @Nullable SpiffeId requestedId(String value) throws StatusException {
        if (value.isEmpty()) {
            return null;
        }
        try {
            return SpiffeId.parse(value);
        } catch (IllegalArgumentException e) {
            throw invalidArgument(e.getMessage());
        }
    }

    private static String describe(Authorisation authorisation) {
        return authorisation == Authorisation.JOIN_TOKEN ? "the join token" : "the client certificate";
    }

    static List<ByteString> der(List<X509Certificate> certificates) {
        return certificates.stream()
                .map(c -> {
                    try {
                        return ByteString.copyFrom(c.getEncoded());
                    } catch (CertificateEncodingException e) {
                        throw new IllegalStateException("cannot encode certificate", e);
                    }
                })
                .toList();
    }

    private static String nullToEmpty(@Nullable String value) {
        return value == null ? "" : value;
    }

    private static StatusException unauthenticated(@Nullable String message) {
        return Status.UNAUTHENTICATED.withDescription(message).asException();
    }

    private static StatusException permissionDenied(@Nullable String message) {
        return Status.PERMISSION_DENIED.withDescription(message).asException();
    }

    private static StatusException invalidArgument(@Nullable String message) {
        return Status.INVALID_ARGUMENT.withDescription(message).asException();
    }
}
