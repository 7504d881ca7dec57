package io.trustline.sidecar;

import static java.util.Objects.requireNonNull;

import io.trustline.ca.HostPort;
import io.trustline.policy.PolicyLoader;
import io.trustline.policy.engine.PolicyEngine;
import io.trustline.policy.error.PolicyError;
import io.trustline.policy.error.PolicyParseException;
import io.trustline.sidecar.config.FileReadErrors;
import io.trustline.sidecar.config.RouteConfig;
import io.trustline.sidecar.config.SidecarConfig;
import io.trustline.sidecar.config.SidecarConfig.IdentityConfig;
import io.trustline.sidecar.identity.FileWorkloadIdentity;
import io.trustline.sidecar.identity.PemFiles;
import io.trustline.sidecar.outbound.endpoints.EndpointsFile;
import java.io.IOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;

/**
 * What {@code --check} verifies beyond the file itself: everything the config refers to, as start-up would use it.
 * The identity files are read and validated by the same code start-up runs (readable, PEM, the right kind, key and
 * certificate together, chaining to the bundle, the configured SPIFFE ID); the policy directory loads as {@code
 * trustline-policy check} loads it; each route's endpoints file is read and parsed; each listener's address is bound
 * and released. Nothing is sent anywhere: the CA is
 * not called, so its join token is not spent.
 */
final class StartupCheck {

    private final SidecarConfig config;
    private final Clock clock;
    private final List<String> problems = new ArrayList<>();
    private final List<String> warnings = new ArrayList<>();

    private StartupCheck(SidecarConfig config, Clock clock) {
        this.config = config;
        this.clock = clock;
    }

    /** Runs every check; the result lists every problem found, not only the first. */
    static StartupCheck run(SidecarConfig config, Clock clock) {
        final StartupCheck check = new StartupCheck(config, clock);
        check.identity(config.identity());
        final Path tokenFile = config.admin().tokenFile();
        if (tokenFile != null) {
            check.attempt(() -> FileReadErrors.readString("admin.tokenFile", tokenFile));
        }
        if (config.policy() != null) {
            check.policies(config.policy().dir());
        }
        if (config.outbound() != null) {
            config.outbound().routes().forEach(check::endpointsFile);
        }
        check.listeners();
        return check;
    }

    List<String> problems() {
        return List.copyOf(problems);
    }

    /** Policy warnings (valid, probably not meant), as {@code trustline-policy check} prints them. */
    List<String> warnings() {
        return List.copyOf(warnings);
    }

    private void identity(IdentityConfig id) {
        // IdentityConfig has refused a CA identity without its three settings and a files identity without its three.
        if (id.fromCa()) {
            final Path caBundle = requireNonNull(id.caBundle(), "identity.caBundle");
            final Path joinTokenFile = requireNonNull(id.joinTokenFile(), "identity.joinTokenFile");
            attempt(() -> PemFiles.bundle("identity.caBundle", caBundle));
            attempt(() -> {
                if (FileReadErrors.readString("identity.joinTokenFile", joinTokenFile)
                        .isBlank()) {
                    throw new IllegalArgumentException("identity.joinTokenFile: " + joinTokenFile + ": is empty");
                }
            });
            resolves("identity.ca", requireNonNull(id.ca(), "identity.ca"));
            return;
        }
        final Path certFile = requireNonNull(id.certFile(), "identity.certFile");
        final Path keyFile = requireNonNull(id.keyFile(), "identity.keyFile");
        final Path bundleFile = requireNonNull(id.bundleFile(), "identity.bundleFile");
        final int before = problems.size();
        attempt(() -> PemFiles.bundle("identity.bundleFile", bundleFile));
        attempt(() -> PemFiles.keyPair("identity.certFile", certFile, "identity.keyFile", keyFile));
        if (problems.size() == before) {
            // Each file is fine on its own; now as start-up would hold them: chain, validity, identity.
            attempt(() -> new FileWorkloadIdentity(certFile, keyFile, bundleFile, config.spiffeId(), clock).close());
        }
    }

    private void policies(Path dir) {
        if (!Files.exists(dir)) {
            problems.add("policy.dir: " + dir + ": does not exist");
            return;
        }
        try {
            final PolicyEngine engine = PolicyLoader.load(dir);
            if (engine.policies().isEmpty()) {
                warnings.add("policy.dir: " + dir + ": no policies: every request would be denied");
            }
            for (PolicyError w : engine.warnings()) {
                warnings.add(w.file() + ":" + w.line() + ":" + w.column() + ": warning: " + w.message());
            }
        } catch (PolicyParseException e) {
            e.errors().forEach(error -> problems.add(error.toString()));
        }
    }

    /** A route's endpoints file: readable, and in the format start-up reads ({@link EndpointsFile}). */
    private void endpointsFile(String route, RouteConfig config) {
        final Path file = config.file();
        if (file == null) {
            return;
        }
        final String key = "outbound.routes." + route + ".file";
        attempt(() -> {
            try {
                if (EndpointsFile.parse(FileReadErrors.readString(key, file)).isEmpty()) {
                    warnings.add(key + ": " + file + ": lists no endpoints: calls on the route would get 503"
                            + " upstream.no_endpoints");
                }
            } catch (EndpointsFile.BadLineException e) {
                problems.add(file + ":" + e.line() + ":" + e.column() + ": " + key + ": " + e.problem());
            }
        });
    }

    private void listeners() {
        bindable("inbound.listen", config.inbound().listen(), false);
        if (config.outbound() != null) {
            bindable("outbound.listen", config.outbound().listen(), true);
        }
        bindable("admin.listen", config.admin().listen(), false);
        if (config.admin().probeListen() != null) {
            bindable("admin.probeListen", config.admin().probeListen(), false);
        }
    }

    /** Binds {@code address} and releases it at once: the port is free now (start-up may still race another). */
    private void bindable(String key, HostPort address, boolean loopbackOnly) {
        if (address.port() == 0) {
            return;
        }
        final InetSocketAddress socketAddress;
        try {
            socketAddress = loopbackOnly ? address.toLoopbackSocketAddress() : address.toSocketAddress();
        } catch (IllegalArgumentException e) {
            problems.add(key + ": " + e.getMessage());
            return;
        }
        if (socketAddress.isUnresolved()) {
            problems.add(key + ": " + address + ": the host does not resolve");
            return;
        }
        try (ServerSocket socket = new ServerSocket()) {
            socket.setReuseAddress(true);
            socket.bind(socketAddress);
        } catch (BindException e) {
            problems.add(key + ": " + address + ": " + ListenerBindException.cause(e));
        } catch (IOException e) {
            problems.add(key + ": " + address + ": cannot bind (" + e.getMessage() + ')');
        }
    }

    private void resolves(String key, HostPort address) {
        try {
            InetAddress.getByName(address.host());
        } catch (UnknownHostException e) {
            problems.add(key + ": " + address + ": the host does not resolve");
        }
    }

    private void attempt(Runnable check) {
        try {
            check.run();
        } catch (IllegalArgumentException | IllegalStateException e) {
            problems.add(e.getMessage());
        }
    }
}
