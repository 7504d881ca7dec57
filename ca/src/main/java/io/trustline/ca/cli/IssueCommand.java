package io.trustline.ca.cli;

import io.trustline.ca.SpiffeId;
import io.trustline.ca.X509Svid;
import io.trustline.ca.internal.OwnerOnlyFiles;
import io.trustline.ca.store.CaDirectory;
import io.trustline.ca.store.IssuanceRecord;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

@Command(
        name = "issue",
        description = "Issue an SVID offline (bootstrapping, tests): writes cert.pem, key.pem (0600), bundle.pem.")
final class IssueCommand implements Callable<Integer> {

    static final String CERT_FILE = "cert.pem";
    static final String KEY_FILE = "key.pem";
    static final String BUNDLE_FILE = "bundle.pem";

    @ParentCommand
    TrustlineCa parent;

    @Spec
    CommandSpec spec;

    @Mixin
    DirOption dir;

    @Option(names = "--spiffe-id", required = true, paramLabel = "ID", description = "The SPIFFE ID to issue.")
    String spiffeId;

    @Option(names = "--out", required = true, paramLabel = "OUTDIR", description = "Where to write the files.")
    Path out;

    @Option(
            names = "--ttl",
            paramLabel = "DURATION",
            converter = DurationConverter.class,
            description = "Lifetime (default: the CA's, 1h; capped by its maximum).")
    @Nullable
    Duration ttl;

    @Override
    public Integer call() throws Exception {
        final CaDirectory ca = dir.open(parent.clock);
        final SpiffeId id = SpiffeId.parse(spiffeId);
        TokenCommand.checkIssuable(ca, id);
        for (String name : List.of(CERT_FILE, KEY_FILE, BUNDLE_FILE)) {
            if (Files.exists(out.resolve(name))) {
                throw new IOException(out.resolve(name) + ": exists; refusing to overwrite");
            }
        }
        final X509Svid svid = ca.certificateAuthority().issueOffline(id, ttl);
        ca.issuanceLog()
                .record(new IssuanceRecord(
                        parent.clock.instant(),
                        svid.leaf().getSerialNumber(),
                        id,
                        svid.notAfter(),
                        IssuanceRecord.Authorisation.OFFLINE,
                        "",
                        "cli:" + System.getProperty("user.name", "")));
        OwnerOnlyFiles.createDirectory(out);
        OwnerOnlyFiles.writeNew(out.resolve(KEY_FILE), svid.privateKeyPem().getBytes(StandardCharsets.US_ASCII));
        Files.writeString(out.resolve(CERT_FILE), svid.chainPem());
        Files.writeString(out.resolve(BUNDLE_FILE), svid.bundle().toPem());
        spec.commandLine()
                .getOut()
                .printf(
                        "issued %s serial %s valid until %s into %s%n",
                        id, svid.leaf().getSerialNumber().toString(16), svid.notAfter(), out);
        return 0;
    }
}
