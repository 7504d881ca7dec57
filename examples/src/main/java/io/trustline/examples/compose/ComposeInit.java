package io.trustline.examples.compose;

import io.trustline.ca.SpiffeId;
import io.trustline.ca.cli.DurationConverter;
import io.trustline.ca.store.CaDirectory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * The one-shot init step of {@code docker-compose.yml}: creates the CA on the first start, then writes each
 * sidecar's join token and the trust bundle into that sidecar's own volume. A Java command rather than a script
 * because the images have no shell.
 *
 * <p>It runs as root only so that it can hand the freshly created volumes to the users that read them: Docker creates
 * a named volume owned by root, the CA runs as the images' user ({@code --owner}, 65532) and the sidecars as their
 * own ({@code --identity-owner}, 1337), apart from the apps so that the capture rules can tell them apart.
 */
@Command(
        name = "compose-init",
        mixinStandardHelpOptions = true,
        description = "Create the CA (first start only) and one join token per sidecar, for docker-compose.")
public final class ComposeInit implements Callable<Integer> {

    @Option(names = "--ca-dir", required = true, description = "The CA's directory (created when absent).")
    Path caDir;

    @Option(names = "--identity-root", required = true, description = "Holds one directory per service.")
    Path identityRoot;

    @Option(names = "--trust-domain", defaultValue = "example.org", description = "Default: ${DEFAULT-VALUE}.")
    String trustDomain;

    @Option(names = "--namespace", defaultValue = "shop", description = "Default: ${DEFAULT-VALUE}.")
    String namespace;

    // Reusable, so that a restarted sidecar container joins again with the same file; an hour bounds what a
    // leaked copy is worth. Every `up` mints new ones.
    @Option(
            names = "--token-ttl",
            defaultValue = "1h",
            converter = DurationConverter.class,
            description = "Join token lifetime. Default: ${DEFAULT-VALUE}.")
    Duration tokenTtl;

    @Option(names = "--owner", description = "Numeric uid:gid to give the CA's files to (needs root).")
    @Nullable
    String owner;

    @Option(
            names = "--identity-owner",
            description = "Numeric uid:gid to give the sidecars' files to (needs root). Default: the --owner.")
    @Nullable
    String identityOwner;

    @Parameters(arity = "1..*", paramLabel = "SERVICE", description = "frontend orders inventory ...")
    List<String> services;

    @Override
    public Integer call() throws IOException {
        final Clock clock = Clock.systemUTC();
        final CaDirectory ca = Files.exists(caDir.resolve(CaDirectory.KEY_FILE))
                ? CaDirectory.open(caDir, clock)
                : CaDirectory.init(caDir, CaDirectory.Settings.of(trustDomain), clock);
        final String bundle = ca.certificateAuthority().trustBundle().toPem();
        for (String service : services) {
            final Path dir = identityRoot.resolve(service);
            Files.createDirectories(dir);
            final SpiffeId id = SpiffeId.parse("spiffe://" + trustDomain + "/ns/" + namespace + "/sa/" + service);
            Files.writeString(dir.resolve("bundle.pem"), bundle);
            writePrivate(dir.resolve("join.token"), ca.joinTokens().create(id, tokenTtl, true) + "\n");
            // The token itself is never printed: only that it exists.
            System.out.println("compose-init: join token ready for " + id);
        }
        if (owner != null) {
            chown(caDir, owner);
        }
        final String sidecars = identityOwner != null ? identityOwner : owner;
        if (sidecars != null) {
            chown(identityRoot, sidecars);
        }
        return 0;
    }

    private static void writePrivate(Path file, String text) throws IOException {
        final Path tmp = file.resolveSibling(file.getFileName() + ".new");
        Files.deleteIfExists(tmp);
        Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(tmp, text);
        Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }

    private static void chown(Path root, String owner) throws IOException {
        final String[] ids = owner.split(":", 2);
        final int uid = Integer.parseInt(ids[0]);
        final int gid = Integer.parseInt(ids.length > 1 ? ids[1] : ids[0]);
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path p : (Iterable<Path>) paths::iterator) {
                Files.setAttribute(p, "unix:uid", uid);
                Files.setAttribute(p, "unix:gid", gid);
            }
        }
    }
}
