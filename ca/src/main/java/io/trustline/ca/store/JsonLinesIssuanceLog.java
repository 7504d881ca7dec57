package io.trustline.ca.store;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.trustline.ca.internal.OwnerOnlyFiles;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * The issuance audit log: one JSON object per line, appended (never rewritten) to a file of mode
 * 0600 and forced to disk before the certificate is returned. Fields: {@code time}, {@code
 * serial} (hex), {@code spiffe_id}, {@code not_after}, {@code authorisation} ({@code join_token},
 * {@code svid}, {@code offline}, {@code ca_server}), {@code credential} (token id or renewed serial)
 * and {@code peer}.
 */
public final class JsonLinesIssuanceLog implements IssuanceLog {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path file;

    /** Creates a log appending to {@code file}; each record opens it in append mode. */
    public JsonLinesIssuanceLog(Path file) {
        this.file = requireNonNull(file, "file");
    }

    @Override
    public synchronized void record(IssuanceRecord record) throws IOException {
        final ObjectNode line = JSON.createObjectNode();
        line.put("time", record.time().toString());
        line.put("serial", record.serial().toString(16));
        line.put("spiffe_id", record.spiffeId().toString());
        line.put("not_after", record.notAfter().toString());
        line.put("authorisation", record.authorisation().name().toLowerCase(java.util.Locale.ROOT));
        line.put("credential", record.credential());
        line.put("peer", record.peer());
        final byte[] bytes = (JSON.writeValueAsString(line) + "\n").getBytes(StandardCharsets.UTF_8);
        // Opening per record (issuance is rare) lets operators rotate the file without a restart.
        try (FileChannel channel = OwnerOnlyFiles.openAppend(file)) {
            final ByteBuffer buffer = ByteBuffer.wrap(bytes);
            while (buffer.hasRemaining()) {
                channel.write(buffer);
            }
            channel.force(false);
        }
    }

    /** Returns the file this log appends to. */
    public Path file() {
        return file;
    }
}
