package io.trustline.ca.client;

import io.grpc.Status;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Where the {@link SvidClient} takes a join token from when it needs one. A file is read again on every use, so an
 * operator recovers a workload whose SVID expired during a CA outage by writing a fresh token into it. {@link
 * #toString()} names the source, never the token.
 */
abstract class JoinTokenSource {

    /** The token now. Failures are a gRPC status so that they take the client's usual retry or refusal paths. */
    abstract String read();

    static JoinTokenSource of(String token) {
        return new JoinTokenSource() {
            @Override
            String read() {
                return token;
            }

            @Override
            public String toString() {
                return "configured token";
            }
        };
    }

    static JoinTokenSource file(Path file) {
        return new JoinTokenSource() {
            @Override
            String read() {
                final String token;
                try {
                    token = Files.readString(file).trim();
                } catch (IOException e) {
                    throw Status.FAILED_PRECONDITION
                            .withDescription(file + ": cannot read the join token ("
                                    + e.getClass().getSimpleName() + ")")
                            .asRuntimeException();
                }
                if (token.isEmpty()) {
                    throw Status.FAILED_PRECONDITION
                            .withDescription(file + ": the join token file is empty")
                            .asRuntimeException();
                }
                return token;
            }

            @Override
            public String toString() {
                return "file " + file;
            }
        };
    }
}
