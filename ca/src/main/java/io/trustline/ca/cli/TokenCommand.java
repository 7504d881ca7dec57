package io.trustline.ca.cli;

import io.trustline.ca.SpiffeId;
import io.trustline.ca.store.CaDirectory;
import io.trustline.ca.store.JoinToken;
import io.trustline.ca.store.JoinTokenStore;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

@Command(
        name = "token",
        description = "Manage join tokens (each authorises the first SVID of one SPIFFE ID).",
        subcommands = {TokenCommand.Create.class, TokenCommand.Revoke.class, TokenCommand.ListTokens.class})
final class TokenCommand implements Runnable {

    @ParentCommand
    TrustlineCa parent;

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing subcommand: create, revoke or list");
    }

    @Command(name = "create", description = "Create a token and print it once; only its hash is stored.")
    static final class Create implements Callable<Integer> {

        @ParentCommand
        TokenCommand token;

        @Spec
        CommandSpec spec;

        @Mixin
        DirOption dir;

        @Option(
                names = "--spiffe-id",
                required = true,
                paramLabel = "ID",
                description = "The one ID the token can obtain.")
        String spiffeId;

        @Option(
                names = "--ttl",
                paramLabel = "DURATION",
                defaultValue = "1h",
                converter = DurationConverter.class,
                description = "How long the token works (default: 1h).")
        Duration ttl;

        @Option(names = "--reusable", description = "Allow more than one use (default: single use).")
        boolean reusable;

        @Override
        public Integer call() throws Exception {
            final CaDirectory ca = dir.open(token.parent.clock);
            final SpiffeId id = SpiffeId.parse(spiffeId);
            checkIssuable(ca, id);
            final String created = ca.joinTokens().create(id, ttl, reusable);
            // The token alone on stdout, so scripts can capture it; the rest on stderr.
            spec.commandLine().getOut().println(created);
            spec.commandLine()
                    .getErr()
                    .printf(
                            "join token %s for %s, %s, expires %s%n",
                            JoinTokenStore.idOf(created),
                            id,
                            reusable ? "reusable" : "single use",
                            token.parent.clock.instant().plus(ttl));
            return 0;
        }
    }

    @Command(name = "revoke", description = "Revoke a token, given its id or the token itself.")
    static final class Revoke implements Callable<Integer> {

        @ParentCommand
        TokenCommand token;

        @Spec
        CommandSpec spec;

        @Mixin
        DirOption dir;

        @Parameters(paramLabel = "ID-OR-TOKEN", description = "The token id (first part) or the whole token.")
        String idOrToken;

        @Override
        public Integer call() throws Exception {
            final CaDirectory ca = dir.open(token.parent.clock);
            final String id = JoinTokenStore.idOf(idOrToken);
            if (!ca.joinTokens().revoke(idOrToken)) {
                throw new IllegalArgumentException("no join token with id " + id);
            }
            spec.commandLine().getOut().println("revoked join token " + id);
            return 0;
        }
    }

    @Command(name = "list", description = "List tokens (ids, IDs, expiry, state; never secrets).")
    static final class ListTokens implements Callable<Integer> {

        @ParentCommand
        TokenCommand token;

        @Spec
        CommandSpec spec;

        @Mixin
        DirOption dir;

        @Override
        public Integer call() throws Exception {
            final CaDirectory ca = dir.open(token.parent.clock);
            final Instant now = token.parent.clock.instant();
            final PrintWriter out = spec.commandLine().getOut();
            for (JoinToken t : ca.joinTokens().list()) {
                final String state = t.revoked()
                        ? "revoked"
                        : !now.isBefore(t.expiresAt())
                                ? "expired"
                                : t.usedAt() != null && !t.reusable() ? "used" : "active";
                out.printf(
                        "%s  %s  expires %s  %s%s%n",
                        t.id(), t.spiffeId(), t.expiresAt(), state, t.reusable() ? " (reusable)" : "");
            }
            return 0;
        }
    }

    static void checkIssuable(CaDirectory ca, SpiffeId id) {
        final String trustDomain = ca.certificateAuthority().trustDomain();
        if (!id.isMemberOf(trustDomain)) {
            throw new IllegalArgumentException(
                    "--spiffe-id: " + id + " is not in this CA's trust domain " + trustDomain);
        }
        if (!id.hasPath()) {
            throw new IllegalArgumentException("--spiffe-id: " + id + " names no workload (expected: a path)");
        }
    }
}
