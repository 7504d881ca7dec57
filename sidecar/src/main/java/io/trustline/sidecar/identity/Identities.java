package io.trustline.sidecar.identity;

import static java.util.Objects.requireNonNull;

import io.trustline.ca.SpiffeId;
import io.trustline.ca.TrustBundle;
import io.trustline.ca.client.SvidClient;
import io.trustline.sidecar.config.FileReadErrors;
import io.trustline.sidecar.config.SidecarConfig;
import io.trustline.sidecar.config.SidecarConfig.IdentityConfig;
import java.nio.file.Path;
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
        try {
            return obtainOrThrow(config, clock);
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
    }

    private static WorkloadIdentity obtainOrThrow(SidecarConfig config, Clock clock) {
        final IdentityConfig id = config.identity();
        final SpiffeId self = config.spiffeId();
        if (!id.fromCa()) {
            // IdentityConfig has refused a files identity without all three.
            return new FileWorkloadIdentity(
                    requireNonNull(id.certFile(), "identity.certFile"),
                    requireNonNull(id.keyFile(), "identity.keyFile"),
                    requireNonNull(id.bundleFile(), "identity.bundleFile"),
                    self,
                    clock);
        }
        final TrustBundle caBundle =
                PemFiles.bundle("identity.caBundle", requireNonNull(id.caBundle(), "identity.caBundle"));
        // Read once here for a clear start-up error; the client reads the file again whenever it needs a token, so a
        // fresh one written there re-enrols the sidecar after its SVID expired during a CA outage, without a restart.
        final Path joinTokenFile = requireNonNull(id.joinTokenFile(), "identity.joinTokenFile");
        if (FileReadErrors.readString("identity.joinTokenFile", joinTokenFile).isBlank()) {
            throw new IllegalArgumentException("identity.joinTokenFile: " + id.joinTokenFile() + ": is empty");
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
