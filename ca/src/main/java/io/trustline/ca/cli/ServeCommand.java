package io.trustline.ca.cli;

import io.trustline.ca.server.CaServer;
import io.trustline.ca.server.CaServerBuilder;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

@Command(name = "serve", description = "Serve the CA's gRPC API over TLS until stopped (SIGTERM/Ctrl-C).")
final class ServeCommand implements Callable<Integer> {

    @ParentCommand
    TrustlineCa parent;

    @Mixin
    DirOption dir;

    @Option(
            names = "--listen",
            paramLabel = "HOST:PORT",
            defaultValue = CaServerBuilder.DEFAULT_LISTEN,
            description = "Address to listen on (default: " + CaServerBuilder.DEFAULT_LISTEN + ").")
    String listen;

    @Option(
            names = "--dns-name",
            paramLabel = "NAME",
            description = "DNS name for the server certificate besides its SPIFFE ID (repeatable; default: localhost).")
    @Nullable
    List<String> dnsNames;

    @Option(
            names = "--max-renewal-age",
            paramLabel = "DURATION",
            defaultValue = "7d",
            converter = DurationConverter.class,
            description = "How long after its join token a workload may keep renewing with its current SVID;"
                    + " after that it needs a new join token (default: 7d).")
    Duration maxRenewalAge;

    @Override
    public Integer call() throws Exception {
        final CaServer server = CaServer.builder()
                .directory(dir.dir)
                .clock(parent.clock)
                .listen(listen)
                .dnsNames(dnsNames == null ? List.of("localhost") : dnsNames)
                .maxRenewalAge(maxRenewalAge)
                .build()
                .start();
        final CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime()
                .addShutdownHook(new Thread(
                        () -> {
                            server.close();
                            stopped.countDown();
                        },
                        "trustline-ca-shutdown"));
        stopped.await();
        return 0;
    }
}
