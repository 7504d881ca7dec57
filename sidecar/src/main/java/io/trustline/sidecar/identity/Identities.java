package io.trustline.sidecar.identity;

import static java.util.Objects.requireNonNull;

import io.trustline.ca.SpiffeId;
import io.trustline.ca.TrustBundle;
import io.trustline.ca.client.SvidClient;
import io.trustline.sidecar.config.SidecarConfig;
import io.trustline.sidecar.config.SidecarConfig.IdentityConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.time.Clock;

/** Obtains the workload identity the config asks for, before any listener opens. */
public final class Identities {

    /**
     * Gets the first SVID (from the CA with the join token, or from files) and returns the identity that keeps it
     * fresh.
     *
     * @throws IllegalStateException with a message fit for an operator when it cannot
     */
    public static WorkloadIdentity obtain(SidecarConfig config, Clock clock) {
        final IdentityConfig id = config.identity();
        final SpiffeId self = config.spiffeId();
        if (!id.fromCa()) {
            try {
                // IdentityConfig has refused a files identity without all three.
                return new FileWorkloadIdentity(
                        requireNonNull(id.certFile(), "identity.certFile"),
                        requireNonNull(id.keyFile(), "identity.keyFile"),
                        requireNonNull(id.bundleFile(), "identity.bundleFile"),
                        self,
                        clock);
            } catch (IllegalArgumentException e) {
                throw new IllegalStateException(e.getMessage(), e);
            }
        }
        final TrustBundle caBundle;
        try {
            caBundle = TrustBundle.parsePem(Files.readString(id.caBundle()));
        } catch (IOException | RuntimeException e) {
            throw new IllegalStateException(id.caBundle() + ": cannot read the CA bundle (" + e.getMessage() + ')', e);
        }
        // Read once here for a clear start-up error; the client reads the file again whenever it needs a token, so a
        // fresh one written there re-enrols the sidecar after its SVID expired during a CA outage, without a restart.
        try {
            Files.readString(id.joinTokenFile());
        } catch (IOException e) {
            throw new IllegalStateException(id.joinTokenFile() + ": cannot read the join token", e);
        }
        final SvidClient client = SvidClient.builder()
                .caAddress(requireNonNull(id.ca(), "identity.ca").toString())
                .caBundle(caBundle)
                .spiffeId(self)
                .joinTokenFile(requireNonNull(id.joinTokenFile(), "identity.joinTokenFile"))
                .ttl(id.certTtl())
                .clock(clock)
                .build();
        client.start();
        return new CaWorkloadIdentity(client);
    }

    private Identities() {}
}
