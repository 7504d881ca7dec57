package io.trustline.sidecar.outbound.endpoints;

import com.linecorp.armeria.client.Endpoint;
import io.trustline.ca.HostPort;
import java.util.ArrayList;
import java.util.List;

/**
 * The format of a route's endpoints file ({@code outbound.routes.<name>.file}): one {@code host:port} of a peer's
 * inbound sidecar a line; blank lines and lines starting with {@code #} are ignored. A file with no endpoint is valid
 * (the route then has none and answers 503 {@code upstream.no_endpoints}).
 */
public final class EndpointsFile {

    /** A line of the file that is not an endpoint; {@code line} and {@code column} are 1-based. */
    public static final class BadLineException extends Exception {

        private static final long serialVersionUID = 1L;

        private final int line;
        private final int column;
        private final String problem;

        BadLineException(int line, int column, String problem) {
            super(line + ":" + column + ": " + problem);
            this.line = line;
            this.column = column;
            this.problem = problem;
        }

        public int line() {
            return line;
        }

        public int column() {
            return column;
        }

        public String problem() {
            return problem;
        }
    }

    /** The endpoints {@code text} lists, in file order, without duplicates. */
    public static List<Endpoint> parse(String text) throws BadLineException {
        final List<Endpoint> out = new ArrayList<>();
        final String[] lines = text.split("\r?\n", -1);
        for (int i = 0; i < lines.length; i++) {
            final String raw = lines[i];
            final String entry = raw.strip();
            if (entry.isEmpty() || entry.startsWith("#")) {
                continue;
            }
            final int column = raw.indexOf(entry) + 1;
            final HostPort hp;
            try {
                hp = HostPort.parse(entry);
            } catch (IllegalArgumentException e) {
                throw new BadLineException(
                        i + 1, column, "'" + entry + "' (expected: host:port, e.g. 10.0.0.7:15006): " + e.getMessage());
            }
            final Endpoint endpoint = Endpoint.of(hp.host(), hp.port());
            if (!out.contains(endpoint)) {
                out.add(endpoint);
            }
        }
        return out;
    }

    private EndpointsFile() {}
}
