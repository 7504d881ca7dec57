package io.trustline.policy.cli;

import io.trustline.policy.engine.PolicyEngine;
import io.trustline.policy.engine.ServicePolicy;
import io.trustline.policy.error.PolicyError;
import io.trustline.policy.error.PolicyParseException;
import io.trustline.policy.testing.CaseFiles;
import io.trustline.policy.testing.CaseRequest;
import io.trustline.policy.testing.CaseRunner;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code explain}: the decision for one request and why every rule did or did not match. */
@Command(
        name = "explain",
        description = "Prints the decision for one request, the deciding rule, and why each other rule did not match.")
final class ExplainCommand implements Callable<Integer> {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--policies", required = true, paramLabel = "DIR", description = "Directory of policy files.")
    Path policies;

    @Option(
            names = "--request",
            required = true,
            paramLabel = "FILE",
            description = "The request as YAML or JSON; '-' reads standard input.")
    String request;

    /** Standard input, replaceable by tests. */
    InputStream stdin = System.in;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        PolicyEngine engine = CheckCommand.load(policies, err);
        if (engine == null) {
            return 1;
        }
        CaseRequest r;
        try {
            String name = request.equals("-") ? "<stdin>" : request;
            String text = request.equals("-")
                    ? new String(stdin.readAllBytes(), StandardCharsets.UTF_8)
                    : Files.readString(Path.of(request), StandardCharsets.UTF_8);
            r = CaseFiles.parseRequest(name, text);
        } catch (PolicyParseException e) {
            e.errors().forEach(x -> err.println(x));
            return 1;
        } catch (IOException e) {
            err.println(PolicyError.ofFile(request, "cannot read: " + e.getMessage()));
            return 1;
        }
        CaseRequest.Prepared p = r.prepare();
        if (p.request() == null) {
            out.println("decision: deny (" + p.path().reason() + ")");
            out.println("path: '" + r.path() + "' is refused before authorization: "
                    + p.path().detail());
            return 0;
        }
        if (!p.request().path().equals(r.path())) {
            out.println("path: '" + r.path() + "' normalised to '" + p.request().path() + "'");
        }
        out.println("policy version: " + engine.version());
        ServicePolicy service = engine.forService(p.request().service());
        if (service.cors().isPresent()
                || service.requestLimits().isPresent()
                || !service.deprecations().isEmpty()) {
            // The edge sections may decide before or after authorization: show what the whole pipeline does.
            out.println(
                    "pipeline (request limits, CORS, authorization, deprecations): " + CaseRunner.evaluate(engine, r));
        }
        out.print(service.explain(p.request()).render());
        return 0;
    }
}
